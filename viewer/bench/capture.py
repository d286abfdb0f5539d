"""Activation capture against a plain forward pass: one layer, every layer, and the memory every layer takes.

One layer is the deepest convolution, so that the captured graph runs (almost) the whole network: the worst
case for the overhead of capturing. Peak memory is read from the kernel, not from ``tracemalloc``, which only
sees Python's allocator and misses torch's tensors; on the CPU a fresh subprocess reads its ``VmHWM`` (the
high-water mark of resident memory) after a plain forward and again after the all-layer capture, so the
difference is what capturing every layer adds at its peak. On CUDA the allocator's own peak counter is used.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import nn

from viewer.bench.common import Row, best_of, best_of_interleaved, sample_image

if TYPE_CHECKING:
    from viewer.core.results.summary import LayerNode, Summary
    from viewer.engine.models.weights import LoadedModel

__all__ = ["MODELS", "bench_capture"]

MODELS = ("resnet50", "vgg16")
ONE_LAYER_GOAL = 1.10


def _synchronized(function: Callable[[], object], device: str) -> Callable[[], object]:
    if not device.startswith("cuda"):
        return function

    def run() -> None:
        function()
        torch.cuda.synchronize()

    return run


def _inputs(name: str, device: str) -> tuple[LoadedModel, torch.Tensor, Summary]:
    from viewer.engine.images import load_image, preprocess
    from viewer.engine.models.weights import load_model
    from viewer.engine.summary import summarize

    loaded = load_model(name, "none", device=device)
    batch = preprocess(load_image(sample_image()), loaded.input, "weights").unsqueeze(0).to(device)
    return loaded, batch, summarize(loaded)


def _leaf_layers(node: LayerNode) -> list[str]:
    """Every leaf module that runs at inference (what "all layers" means in the GUI's tree)."""
    if not node.children:
        return [node.name] if node.name and node.output_shape is not None and not node.training_only else []
    return [name for child in node.children for name in _leaf_layers(child)]


def _deepest_convolution(model: nn.Module) -> str:
    return [name for name, module in model.named_modules() if isinstance(module, nn.Conv2d)][-1]


def bench_capture(*, quick: bool = False, device: str = "cpu") -> list[Row]:

    repeats = 3 if quick else 7
    # One function call per model: its closures bind that model only, and it is freed before the next loads.
    return [row for name in MODELS for row in _capture_rows(name, device, repeats)]


def _capture_rows(name: str, device: str, repeats: int) -> list[Row]:
    from viewer.engine.activations import capture

    rows: list[Row] = []
    loaded, batch, summary = _inputs(name, device)
    model = loaded.model
    layer = _deepest_convolution(model)
    layers = _leaf_layers(summary.root)

    def forward() -> None:
        with torch.inference_mode():
            model(batch)

    forward_once = _synchronized(forward, device)
    one = _synchronized(lambda: capture(loaded, batch, [layer], summary=summary), device)
    every = _synchronized(lambda: capture(loaded, batch, layers, summary=summary), device)
    reference, measured_one = best_of_interleaved(forward_once, one, repeats)
    measured_all = best_of(every, max(2, repeats // 2))
    ratio = measured_one / reference
    rows.append(
        Row(
            "activations",
            f"{name} one layer ({layer})",
            f"{measured_one * 1e3:.1f} ms",
            f"forward {reference * 1e3:.1f} ms",
            ratio,
            f"≤{ONE_LAYER_GOAL:.2f}",
            ratio <= ONE_LAYER_GOAL,
        )
    )
    rows.append(
        Row(
            "activations",
            f"{name} all {len(layers)} layers",
            f"{measured_all * 1e3:.1f} ms",
            f"forward {reference * 1e3:.1f} ms",
            measured_all / reference,
            "-",
            None,
        )
    )
    extra_mb, stored_mb = _peak_memory(name, device, loaded, batch, summary, layers)
    rows.append(
        Row(
            "activations",
            f"{name} all layers: peak memory",
            f"+{extra_mb:.0f} MB peak",
            f"{stored_mb:.0f} MB kept (float16)",
            extra_mb / stored_mb if stored_mb else 0.0,
            "-",
            None,
        )
    )
    return rows


def _peak_memory(
    name: str, device: str, loaded: LoadedModel, batch: torch.Tensor, summary: Summary, layers: list[str]
) -> tuple[float, float]:
    """(MB the all-layer capture adds to the peak over a plain forward, MB of the arrays it keeps)."""
    from viewer.engine.activations import capture

    if device.startswith("cuda"):
        with torch.inference_mode():
            loaded.model(batch)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.max_memory_allocated()
        with torch.inference_mode():
            loaded.model(batch)
        forward_peak = torch.cuda.max_memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        result = capture(loaded, batch, layers, summary=summary)
        capture_peak = torch.cuda.max_memory_allocated()
        stored = sum(a.array.nbytes for a in result.values())
        return (capture_peak - max(forward_peak, base)) / 2**20, stored / 2**20
    # The CPU: a fresh process, so that the high-water mark is this measurement's alone.
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, name], capture_output=True, text=True, timeout=600, check=True
    )
    numbers = json.loads(done.stdout.strip().splitlines()[-1])
    return (numbers["capture_hwm_kb"] - numbers["forward_hwm_kb"]) / 1024, numbers["stored_bytes"] / 2**20


_PEAK_SCRIPT = """
import json, sys
import torch
from viewer.bench.capture import _inputs, _leaf_layers
from viewer.engine.activations import capture

def hwm_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

loaded, batch, summary = _inputs(sys.argv[1], "cpu")
layers = _leaf_layers(summary.root)
with torch.inference_mode():
    loaded.model(batch)
    loaded.model(batch)
forward = hwm_kb()
result = capture(loaded, batch, layers, summary=summary)
captured = hwm_kb()
stored = sum(a.array.nbytes for a in result.values())
print(json.dumps({"forward_hwm_kb": forward, "capture_hwm_kb": captured, "stored_bytes": stored}))
"""
