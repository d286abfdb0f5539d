"""Receptive fields: which input pixels one cell of a feature map can see.

A field is described the classic way (Araujo et al., "Computing receptive fields of CNNs", Distill 2019):
``size`` (pixels on a side), ``jump`` (input pixels between neighbouring cells) and ``start`` (the
centre of cell (0, 0) in input pixel coordinates, where pixel ``i`` is centred on ``i``; negative with
padding). A layer with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d`` maps a field to::

    size' = size + (d·(k−1))·jump      jump' = jump·s      start' = start + (d·(k−1)/2 − p)·jump

No library computes this for a PyTorch module graph, so it is hand-written: this module reads a layer's
geometry, and the data-flow graph's trace (:mod:`viewer.engine.graph.trace`) composes the fields node by node,
merges taking the largest (branches share a centre). One computation for the whole app: a second, hook-based
tracer that stood here, used only by its own test, agreed with the graph on every network of that test once the
graph let attention's output make a residual add global; its hand-computed tests now check the graph's fields.

``None`` means "not a local field": after flattening, a fully-connected layer on a vector, global pooling or
attention, every output sees the whole image.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from viewer.core.graph.receptive import Pair, as_pair

__all__ = ["layer_geometry"]


def _two(value: Any) -> tuple[Any, Any]:
    return (value, value) if isinstance(value, (int, float)) else as_pair(value)


def layer_geometry(module: nn.Module) -> tuple[Pair, Pair, tuple[float, float], Pair] | None:
    """(kernel, stride, padding, dilation) of a 2-D sliding-window layer, else ``None``."""
    if not isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.LPPool2d)):
        return None
    kernel = _two(module.kernel_size)
    stride = _two(module.stride if module.stride is not None else module.kernel_size)
    dilation = _two(getattr(module, "dilation", 1))
    padding: Any = getattr(module, "padding", 0)
    if padding == "same":
        padding = tuple(d * (k - 1) / 2 for k, d in zip(kernel, dilation, strict=True))
    elif padding == "valid":
        padding = (0, 0)
    return kernel, stride, _two(padding), dilation
