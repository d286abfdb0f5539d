"""The worker's jobs for Compare, Explain and the accuracy-versus-cost chart.

Like ``tasks.py``, they run on the worker thread and import the engine lazily, so that the GUI thread never
imports torch. Long ones are generators of the engine's protocol: they yield ``Progress`` and ``return`` their
result (:mod:`viewer.core.progress`).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from viewer.core.choice import ModelChoice
from viewer.core.class_search import find_class
from viewer.core.options import ExplainOptions
from viewer.core.progress import Progress

if TYPE_CHECKING:  # the engine is imported on the worker, when a job first runs
    from viewer.core.zoo import ZooPoint
    from viewer.engine.compare import Comparison
    from viewer.engine.explain import Explanation
    from viewer.engine.weights import LoadedModel
    from viewer.gui.model_cache import ModelLoader
    from viewer.gui.tasks import ImageEntry

__all__ = ["ExplainSet", "compare_networks", "explain_methods", "export_explanation", "measure_zoo", "zoo"]


@dataclass
class ExplainSet:
    """The methods' maps of one class over one image, and why the others are missing.

    ``input_size`` and ``forward_ms`` (measured with the cheap methods) give the costly methods' estimates.
    """

    class_index: int | None
    class_name: str
    results: dict[str, Explanation] = field(default_factory=dict)  # method -> its map
    reasons: dict[str, str] = field(default_factory=dict)  # method -> why it does not apply or failed
    model: str = ""
    image_path: str = ""
    pretrained: bool = True  # False: random init, the maps mean nothing (said on the tab)
    input_size: tuple[int, int] = (0, 0)  # (width, height) the methods see
    forward_ms: float = 0.0  # one warm forward pass of that input; 0 when not measured

    def merged(self, later: ExplainSet) -> ExplainSet:
        """This set with the maps and reasons of ``later`` (same image, model and class) added."""
        return replace(self, results={**self.results, **later.results}, reasons={**self.reasons, **later.reasons})


def compare_networks(
    image: ImageEntry,
    networks: Sequence[ModelChoice],
    *,
    load: ModelLoader,
    topk: int = 5,
    runs: int = 5,
    heatmap_class: int | None = None,
) -> Generator[Progress, None, Comparison]:
    """The engine's :func:`~viewer.engine.compare.compare` of ``networks`` on the image entry; each network is
    built through the worker's cache when its turn comes (``load``), and one that fails is a row with its reason."""
    from viewer.engine.compare import compare

    by_pair = {(choice.model or "", choice.weights): choice for choice in networks}
    pairs = [(choice.model or "", choice.weights) for choice in networks]
    return (
        yield from compare(
            pairs,
            image.loaded,
            topk=topk,
            runs=runs,
            loader=lambda name, weights: load(by_pair[(name, weights)]),
            heatmap_class=heatmap_class,
        )
    )


def explain_methods(
    image: ImageEntry,
    methods: Sequence[str],
    *,
    loaded: LoadedModel,
    class_index: int | None = None,
    options: ExplainOptions | None = None,
    measure: bool = False,
) -> Generator[Progress, None, ExplainSet]:
    """Each applicable method of ``methods`` in turn; the others get their reason instead of a map. With
    ``measure``, also one forward pass timed, for the costly methods' estimates."""
    from viewer.engine.errors import ViewerError
    from viewer.engine.explain import applicable_methods, explain
    from viewer.engine.inference import classify

    yield Progress(0, len(methods) + 1, "explain: which methods apply")
    reasons = {method: reason for method, reason in applicable_methods(loaded).items() if reason}
    if class_index is None:
        class_index = classify([image.loaded], loaded, topk=1)[0].topk[0].index
    class_index = find_class(loaded.categories, class_index, loaded.name)  # a sentence for a class it lacks
    found = ExplainSet(
        class_index,
        loaded.categories[class_index],
        model=loaded.name,
        image_path=image.path,
        pretrained=loaded.pretrained,
    )
    found.reasons = {method: reasons[method] for method in methods if method in reasons}
    for number, method in enumerate(methods):
        if method in found.reasons:
            continue
        yield Progress(number + 1, len(methods) + 1, f"explain: {method}")
        try:
            found.results[method] = yield from explain(
                loaded, image.loaded, method, class_index=class_index, **(options or {}).get(method, {})
            )
        except ViewerError as error:  # this method fails here; the others still run
            found.reasons[method] = str(error)
    if measure:
        from viewer.engine.explain_timing import forward_time

        found.input_size, found.forward_ms = forward_time(loaded, image.loaded)
    return found


def export_explanation(
    result: Explanation, image: ImageEntry, path: str, *, colormap: str, alpha: float, force: bool = False
) -> list[str]:
    """Write one method's map like a heatmap: PNG overlay, float32 NPY, JSON provenance."""
    import numpy as np

    from viewer.engine.explain_export import write_explanation

    written = write_explanation(
        path, np.asarray(image.loaded.image), result, colormap=colormap, alpha=alpha, force=force
    )
    return [str(p) for p in written]


def zoo(device: str = "cpu") -> list[ZooPoint]:
    """The chart's points, with the latencies measured earlier on ``device`` (if any)."""
    from viewer.engine.weights import resolve_device
    from viewer.engine.zoo_chart import load_latency_cache, zoo_points

    return zoo_points(load_latency_cache(str(resolve_device(device))))


def measure_zoo(device: str = "cpu", names: Sequence[str] | None = None) -> Generator[Progress, None, list[ZooPoint]]:
    """Measure the latency of the chart's networks on ``device`` (cached), then return the points with it."""
    from viewer.engine.weights import resolve_device
    from viewer.engine.zoo_chart import measure_latency, zoo_points

    latency = yield from measure_latency(names, device=str(resolve_device(device)))
    return zoo_points(latency)
