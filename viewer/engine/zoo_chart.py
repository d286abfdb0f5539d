"""The data of the lecture's accuracy-versus-cost chart, and the latency measurement that can replace its x axis.

Every registry network with ImageNet weights is a :class:`ZooPoint`: top-1 accuracy (torchvision's metadata of
its default weights) against GMACs and parameters, with its lecture family. :func:`measure_latency` times each
network on a device (random weights: the values do not change the time) and caches the numbers per device and
torch version in the user's cache folder, so that the chart's latency axis is measured once per machine.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Generator, Sequence
from pathlib import Path

from viewer.core.lecture.zoo import LECTURE_FAMILIES, LECTURE_NETWORKS, ZooPoint
from viewer.core.progress import Progress
from viewer.engine.models.registry import ModelSpec, list_specs

__all__ = [
    "CACHE_ENV",
    "LECTURE_FAMILIES",
    "LECTURE_NETWORKS",
    "ZooPoint",
    "default_compare_networks",
    "latency_cache_path",
    "load_latency_cache",
    "measure_latency",
    "zoo_points",
]

CACHE_ENV = "VIEWER_CACHE_DIR"


def _imagenet(spec: ModelSpec) -> bool:
    return spec.source == "torchvision" and not spec.weights_of and "acc@1" in spec.accuracy and spec.gmacs is not None


def zoo_points(latency_ms: dict[str, float] | None = None) -> list[ZooPoint]:
    """One point per registry network with ImageNet weights, in the lecture's family order; ``latency_ms``
    (from :func:`measure_latency` or :func:`load_latency_cache`) fills each point's measured latency."""
    latency_ms = latency_ms or {}
    return [
        ZooPoint(
            name=spec.name,
            family=spec.family,
            acc1=spec.accuracy["acc@1"],
            acc5=spec.accuracy.get("acc@5"),
            gmacs=float(spec.gmacs or 0.0),
            params=int(spec.num_params or 0),
            lecture=spec.name in LECTURE_NETWORKS,
            latency_ms=latency_ms.get(spec.name),
        )
        for spec in list_specs()
        if _imagenet(spec)
    ]


def default_compare_networks(limit: int = 6) -> list[tuple[str, str]]:
    """The lecture's families, one network each where weights exist: (name, default weights) pairs."""
    picks = ("alexnet", "vgg16", "googlenet", "resnet50", "resnext50_32x4d", "lenet5")
    specs = {spec.name: spec for spec in list_specs()}
    chosen = [(name, specs[name].default_weights or "none") for name in picks if specs[name].has_pretrained]
    return chosen[:limit]


def latency_cache_path(device: str) -> Path:
    """``<user cache>/convnet-viewer/latency-<device>-torch<version>.json`` (``$VIEWER_CACHE_DIR`` overrides)."""
    import torch

    base = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "convnet-viewer"
    )
    safe = device.replace(":", "-")
    return Path(base) / f"latency-{safe}-torch{torch.__version__.replace('+', '_')}.json"


def load_latency_cache(device: str) -> dict[str, float]:
    """Milliseconds per network measured earlier on ``device`` with this torch version ({} if none)."""
    try:
        data = json.loads(latency_cache_path(device).read_text())
        return {str(name): float(ms) for name, ms in data.get("latency_ms", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def measure_latency(
    names: Sequence[str] | None = None, *, device: str = "cpu", runs: int = 5, refresh: bool = False
) -> Generator[Progress, None, dict[str, float]]:
    """Yield progress per network; return {name: median ms of ``runs`` warm batch-1 forwards} on ``device``.

    Networks in the cache are not measured again unless ``refresh``; the cache is rewritten (atomically) after
    each network, so that a cancelled measurement keeps what it measured.
    """
    import torch

    from viewer.engine.export import write_json
    from viewer.engine.models.registry import build_model, get_spec

    target = torch.device(device)
    wanted = list(names) if names is not None else [point.name for point in zoo_points()]
    cached = {} if refresh else load_latency_cache(device)
    todo = [name for name in wanted if name not in cached]
    path = latency_cache_path(device)
    for number, name in enumerate(todo):
        yield Progress(number, len(todo), f"latency on {device}: {name} ({number + 1} of {len(todo)})")
        spec = get_spec(name)
        torch.manual_seed(0)
        model = build_model(name).to(target)
        batch = torch.randn(1, *spec.input.shape, device=target)
        times = []
        with torch.inference_mode():
            model(batch)
            for _ in range(runs):
                if target.type == "cuda":
                    torch.cuda.synchronize(target)
                started = time.perf_counter()
                model(batch)
                if target.type == "cuda":
                    torch.cuda.synchronize(target)
                times.append((time.perf_counter() - started) * 1e3)
        cached[name] = float(statistics.median(times))
        del model
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"device": device, "torch": torch.__version__, "runs": runs, "latency_ms": cached}
        write_json(path, record, force=True)
    return {name: cached[name] for name in wanted if name in cached}
