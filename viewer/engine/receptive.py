"""Receptive fields: which input pixels one cell of a feature map can see.

A field is described the classic way (Araujo et al., "Computing receptive fields of CNNs", Distill 2019):
``size`` (pixels on a side), ``jump`` (input pixels between neighbouring cells) and ``start`` (the
centre of cell (0, 0) in input pixel coordinates, where pixel ``i`` is centred on ``i``; negative with
padding). A layer with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d`` maps a field to::

    size' = size + (d·(k−1))·jump      jump' = jump·s      start' = start + (d·(k−1)/2 − p)·jump

No library computes this for a PyTorch module graph, so it is hand-written here. The graph is followed by
recording the tensors each module reads and writes during one forward pass (hooks; the meta device makes
that pass free). Where a tensor comes from a functional op rather than a module (``torch.cat`` of Inception
branches, ``out + identity`` of a residual block), its field is the LARGEST field made inside the enclosing
module: the branches share a centre, so their union is the largest size on each axis. Pooling called as a
function (``F.max_pool2d``) is invisible to hooks, so such fields can come out slightly too small.

``None`` means "not a local field": after flattening, a fully-connected layer on a vector, global pooling or
attention, every output sees the whole image.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils._pytree import tree_leaves
from torch.utils.hooks import RemovableHandle
from torch.utils.weak import WeakTensorKeyDictionary

from viewer.core.receptive import Pair, ReceptiveField, as_pair, larger_field

__all__ = ["ReceptiveField", "ReceptiveFieldTracer", "layer_geometry", "receptive_fields"]


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


def _is_attention(module: nn.Module) -> bool:
    # nn.MultiheadAttention, Swin's ShiftedWindowAttention, MaxViT's RelativePositionalMultiHeadAttention…:
    # every token may look at every other (Swin: every token of its window), so no conv-style field exists.
    return "Attention" in type(module).__name__


@dataclass
class _Frame:
    """One module call in progress: the field of its input and the largest local field made inside it."""

    input_field: ReceptiveField | None
    largest: ReceptiveField | None = None
    mixed_globally: bool = False  # an attention layer ran inside: everything after it sees the whole image

    @property
    def best(self) -> ReceptiveField | None:
        return None if self.mixed_globally else larger_field(self.input_field, self.largest)


@dataclass
class ReceptiveFieldTracer:
    """Hooks that follow fields through one forward pass; ``fields[name]`` is each module's output field.

    Use as a context manager around a forward pass of ``model`` (the hooks are removed on exit); only the
    first call of a module that runs several times is recorded.
    """

    model: nn.Module
    fields: dict[str, ReceptiveField | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._known = WeakTensorKeyDictionary()
        self._frames: list[_Frame] = []
        self._handles: list[RemovableHandle] = []

    def __enter__(self) -> ReceptiveFieldTracer:
        for name, module in self.model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._enter_hook(module)))
            self._handles.append(module.register_forward_hook(self._exit_hook(name, module)))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._frames.clear()

    def _field_of(self, tensor: torch.Tensor | None) -> ReceptiveField | None:
        if tensor is not None and tensor in self._known:
            known: ReceptiveField | None = self._known[tensor]
            return known
        if not self._frames:  # the network's input
            return ReceptiveField()
        if tensor is not None and tensor.dim() <= 2:
            return None  # (batch, features): flattened or pooled, every feature may see the whole image
        # Made by a functional op (cat, add, flatten…): see the module docstring.
        return self._frames[-1].best

    def _enter_hook(self, module: nn.Module) -> Any:
        def hook(_module: nn.Module, args: tuple[Any, ...]) -> None:
            tensors = [leaf for leaf in tree_leaves(args) if isinstance(leaf, torch.Tensor)]
            self._frames.append(_Frame(self._field_of(tensors[0] if tensors else None)))

        return hook

    def _exit_hook(self, name: str, module: nn.Module) -> Any:
        def hook(_module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
            frame = self._frames.pop()
            outputs = [leaf for leaf in tree_leaves(output) if isinstance(leaf, torch.Tensor)]
            inputs = [leaf for leaf in tree_leaves(args) if isinstance(leaf, torch.Tensor)]
            if _is_attention(module):
                result, mixed = None, True
            elif next(module.children(), None) is None:
                result, mixed = self._leaf_field(module, frame.input_field, inputs, outputs), False
            elif outputs and outputs[0] in self._known:
                result, mixed = self._known[outputs[0]], frame.mixed_globally
            else:
                result, mixed = frame.best, frame.mixed_globally
            for tensor in outputs:
                self._known[tensor] = result
            self.fields.setdefault(name, result)
            if self._frames:
                parent = self._frames[-1]
                parent.largest = larger_field(parent.largest, result)
                parent.mixed_globally |= mixed and result is None

        return hook

    @staticmethod
    def _leaf_field(
        module: nn.Module,
        incoming: ReceptiveField | None,
        inputs: list[torch.Tensor],
        outputs: list[torch.Tensor],
    ) -> ReceptiveField | None:
        if incoming is None or isinstance(module, nn.Flatten):
            return None
        geometry = layer_geometry(module)
        if geometry is not None:
            return incoming.compose(*geometry)
        if isinstance(module, nn.Linear):
            # On a flat vector it mixes every position; on (N, H, W, C) or tokens it acts per position.
            return None if not inputs or inputs[0].dim() <= 2 else incoming
        if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and inputs and outputs:
            in_size, out_size = tuple(inputs[0].shape[-2:]), tuple(outputs[0].shape[-2:])
            if out_size == (1, 1) or any(i % o for i, o in zip(in_size, out_size, strict=True)):
                return None  # global, or uneven windows with no single jump
            ratio = as_pair(i // o for i, o in zip(in_size, out_size, strict=True))
            return incoming.compose(ratio, ratio, (0, 0), (1, 1))
        return incoming  # element-wise or per-position (BatchNorm, ReLU, Dropout, LayerNorm, Permute…)


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        yield
    finally:
        for module, training in modes.items():
            module.training = training


def receptive_fields(model: nn.Module, input_shape: tuple[int, int, int]) -> dict[str, ReceptiveField | None]:
    """The output field of every module of a model that runs on the meta device (standalone helper).

    ``summary.summarize`` fills ``LayerNode.receptive_field`` with the same tracer during its own pass.
    """
    with torch.device("meta"), _eval_mode(model), torch.no_grad(), ReceptiveFieldTracer(model) as tracer:
        model(torch.empty(1, *input_shape))
    return tracer.fields
