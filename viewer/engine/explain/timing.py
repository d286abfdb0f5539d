"""How long one forward pass of an explanation's input takes: the base of the costly methods' estimates.

The Explain tab says what occlusion and integrated gradients will cost before the user starts them
(:mod:`viewer.core.explain_cost`); the worker measures one warm forward pass of the same input they would see.
"""

from __future__ import annotations

import time

import torch

from viewer.engine.explain.input import explain_input
from viewer.engine.images import LoadedImage
from viewer.engine.models.weights import LoadedModel

__all__ = ["TIMED_PASSES", "forward_time"]

TIMED_PASSES = 2


def forward_time(loaded: LoadedModel, image: LoadedImage) -> tuple[tuple[int, int], float]:
    """(The input's (width, height), milliseconds of one warm forward pass of it, batch 1)."""
    prepared = explain_input(loaded, image)
    times = []
    with torch.inference_mode():
        loaded.model(prepared.tensor)  # warm-up: allocator, oneDNN primitives for this shape
        _synchronise(loaded.device)
        for _ in range(TIMED_PASSES):
            started = time.perf_counter()
            loaded.model(prepared.tensor)
            _synchronise(loaded.device)
            times.append((time.perf_counter() - started) * 1e3)
    # The fastest pass: one slowed by another program (or the first after the warm-up, still allocating) made
    # the estimate wrong by a factor of 3 to 50 in a tryout on a busy machine.
    return prepared.size, min(times)


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
