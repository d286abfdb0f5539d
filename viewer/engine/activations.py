"""Capturing what chosen layers output for one image, with per-channel statistics and a channel mosaic.

Outputs come from ``torchvision.models.feature_extraction.create_feature_extractor`` where the model traces
with torch.fx (only the graph up to the asked layers runs), otherwise from forward hooks that are always
removed again. Either way each output is copied the moment it is made, because an in-place ReLU that follows
a convolution overwrites the convolution's output tensor.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import DTypeLike
from torch import fx, nn
from torch.utils._pytree import tree_leaves, tree_map
from torchvision.models.feature_extraction import create_feature_extractor

from viewer.core.activation_grid import channel_grid  # re-exported: the CLI and tests name it here
from viewer.core.errors import BudgetError, ModelError
from viewer.core.graph.receptive import ReceptiveField
from viewer.core.results.activation import Activation
from viewer.core.results.summary import Summary
from viewer.core.wire.arena import Arena, new_arena
from viewer.core.wire.shared import ALIGN
from viewer.engine.fx_tracers import forget_tracer, forgetting_feature_extractor_tracers
from viewer.engine.summary import summarize

if TYPE_CHECKING:  # weights imports the registry and the zoo: a type here, duck-typed at run time
    from viewer.engine.models.weights import LoadedModel

__all__ = [
    "DEFAULT_BUDGET_BYTES",
    "activation_of",
    "capture",
    "channel_grid",
    "estimate_bytes",
    "layer_outputs",
    "readable_scale",
    "recording_outputs",
]

DEFAULT_BUDGET_BYTES = 2**31


def estimate_bytes(summary: Summary, layers: Sequence[str], *, dtype: DTypeLike = np.float16) -> int:
    """Memory a capture of ``layers`` holds: each output in float32 while copied, plus the stored array."""
    per_element = 4 + np.dtype(dtype).itemsize
    total = 0
    for name in layers:
        shape = summary.find(name).output_shape or ()
        total += math.prod(shape) * per_element
    return total


def _channel_view(output: torch.Tensor) -> torch.Tensor:
    # Feature maps keep (C, H, W); anything else (a vector, tokens) is one flat row of "channels".
    return output if output.dim() == 3 else output.reshape(-1, 1, 1)


def _activation(
    layer: str, output: torch.Tensor, summary: Summary, dtype: DTypeLike, method: str, arena: Arena | None = None
) -> Activation:
    node = summary.find(layer)
    return activation_of(layer, output, node.receptive_field, summary.input_shape, dtype, method, arena)


def activation_of(
    layer: str,
    output: torch.Tensor,
    receptive_field: ReceptiveField | None,
    input_shape: tuple[int, ...],
    dtype: DTypeLike = np.float16,
    method: str = "hooks",
    arena: Arena | None = None,
) -> Activation:
    """The :class:`Activation` of one image's ``output`` (C, H, W or anything flattened): its statistics computed
    in float32, its array stored in ``dtype`` (in ``arena`` when given)."""
    values = _channel_view(output.detach().float())
    flat = values.reshape(values.shape[0], -1)
    mean = flat.mean(dim=1).cpu().numpy()
    peak = flat.amax(dim=1).cpu().numpy()
    zero_fraction = (flat == 0).float().mean(dim=1).cpu().numpy()
    stored = output.detach()
    stored = stored if stored.dim() == 3 else stored.reshape(-1)
    shape, kept = tuple(stored.shape), np.dtype(dtype)
    array = arena.empty(shape, kept) if arena is not None else None
    array = np.empty(shape, kept) if array is None else array
    # Converted by torch (vectorised; numpy's float16 conversion took 130 ms for a ResNet-50's 50 MB here),
    # written where it is kept: in the arena, where the window will read it.
    torch.from_numpy(array).copy_(stored)
    return Activation(
        layer=layer,
        array=array,
        mean=mean,
        max=peak,
        zero_fraction=zero_fraction,
        receptive_field=receptive_field,
        input_shape=input_shape,
        method=method,
    )


def _copied(value: Any) -> Any:
    """``value`` with every tensor in it cloned (a module may return a tuple, e.g. attention)."""
    return tree_map(lambda leaf: leaf.clone() if isinstance(leaf, torch.Tensor) else leaf, value)


def _first_tensor(output: Any) -> torch.Tensor | None:
    return next((leaf for leaf in tree_leaves(output) if isinstance(leaf, torch.Tensor)), None)


@contextmanager
def recording_outputs(model: nn.Module, layers: Sequence[str]) -> Iterator[dict[str, torch.Tensor]]:
    """Forward hooks on ``layers`` that keep a copy of each one's first output; removed on exit."""
    modules = dict(model.named_modules())
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for name in layers:

        def keep(_module: nn.Module, _args: Any, output: Any, name: str = name) -> None:
            tensor = _first_tensor(output)
            if tensor is not None and name not in outputs:
                outputs[name] = tensor.detach().clone()  # an in-place ReLU would overwrite the original

        handles.append(modules[name].register_forward_hook(keep))
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def _node_names(model: nn.Module, layers: tuple[str, ...]) -> dict[str, str | None]:
    """Map module names to create_feature_extractor's node names (None where a layer has no node of its own).

    The two differ: torchvision strips a trailing ``_<n>`` from a node's name and renumbers calls, so in
    ViT the module ``ln_2`` is the node ``ln_1`` (same shape, wrong values). A module call's node carries the
    exact module name as its target, so the mapping is made from the graph that torchvision's own tracer
    (same settings) records. A block maps to the last node inside it; a module that runs several times to
    its first call (as hooks record it); a layer inside a module torchvision keeps whole (``Conv2dNormActivation``)
    has no node, and the capture falls back to hooks.
    """
    named = _traced_nodes(model)
    names: dict[str, str | None] = {}
    for layer in layers:
        calls = [qualname for (called, _, qualname) in named if called == layer]
        inside = [qualname for (_, scope, qualname) in named if scope.startswith(layer + ".")]
        chosen = calls[0] if calls else (inside[-1] if inside else None)
        # create_feature_extractor matches by prefix: the name must not also prefix another node's name.
        if chosen is not None and any(qualname.startswith(chosen + ".") for _, _, qualname in named):
            chosen = None
        names[layer] = chosen
    return names


# One trace per model, kept as plain strings (a value holding the graph would keep its model alive): picking
# another layer in the GUI then costs no new trace for the names.
_TRACED: weakref.WeakKeyDictionary[nn.Module, list[tuple[str | None, str, str]]] = weakref.WeakKeyDictionary()


def _traced_nodes(model: nn.Module) -> list[tuple[str | None, str, str]]:
    """(module called or None, scope, node name) of every named node of torchvision's trace of ``model``."""
    cached = _TRACED.get(model)
    if cached is not None:
        return cached
    # Private helper, but it is exactly the tracer set-up create_feature_extractor uses, so names agree.
    from torchvision.models.feature_extraction import NodePathTracer, _set_default_tracer_kwargs

    was_training = model.training
    tracer = NodePathTracer(**_set_default_tracer_kwargs(None))
    model.eval()
    try:
        graph = tracer.trace(model)
        named = []
        for node in graph.nodes:
            if node in tracer.node_to_qualname:
                qualname = tracer.node_to_qualname[node]
                called = str(node.target) if node.op == "call_module" else None
                named.append((called, called if called is not None else qualname, qualname))
    finally:
        model.train(was_training)
        forget_tracer(tracer)  # else a reference cycle holds the model until a full collection (fx_tracers)
    _TRACED[model] = named
    return named


# The last extractor built per model: the GUI captures the same layers for image after image, and tracing a
# large network three times (names, then train and eval graphs) costs more than a forward pass.
_EXTRACTORS: weakref.WeakKeyDictionary[nn.Module, tuple[tuple[str, ...], fx.GraphModule | None, dict[str, str | None]]]
_EXTRACTORS = weakref.WeakKeyDictionary()


def _extractor(model: nn.Module, layers: tuple[str, ...]) -> tuple[fx.GraphModule | None, dict[str, str | None]]:
    """The feature extractor for ``layers`` (None if one of them has no node) and the layer → node names."""
    cached = _EXTRACTORS.get(model)
    if cached is not None and cached[0] == layers:
        return cached[1], cached[2]
    names = _node_names(model, layers)
    extractor = None
    if all(names.values()):
        nodes = sorted({node for node in names.values() if node})
        with forgetting_feature_extractor_tracers():  # see fx_tracers: its tracers would hold the model
            extractor = create_feature_extractor(model, return_nodes={node: node for node in nodes})
        # Copy each returned value right where it is made: a later in-place op (ReLU(inplace=True) after a
        # convolution) would otherwise change it before the graph returns.
        graph = extractor.graph
        output_node = next(node for node in graph.nodes if node.op == "output")
        returned = dict(output_node.args[0])
        for key, node in returned.items():
            with graph.inserting_after(node):
                returned[key] = graph.call_function(_copied, (node,))
        output_node.args = (returned,)
        extractor.recompile()
    _EXTRACTORS[model] = (layers, extractor, names)
    return extractor, names


def _run_fx(model: nn.Module, batch: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
    extractor, names = _extractor(model, layers)
    if extractor is None:
        unreachable = [layer for layer, node in names.items() if node is None]
        raise ModelError(
            f"feature extraction cannot reach {', '.join(unreachable[:3])}{' …' if len(unreachable) > 3 else ''} "
            "(inside a module torchvision keeps whole); use hooks."
        )
    outputs = extractor(batch)
    tensors = {layer: _first_tensor(outputs[node]) for layer, node in names.items()}
    empty = [layer for layer, tensor in tensors.items() if tensor is None]
    if empty:  # the caller falls back to hooks, which see the real run
        raise ModelError(f"feature extraction returned no tensor for {', '.join(empty[:3])}.")
    return {layer: tensor for layer, tensor in tensors.items() if tensor is not None}


def _run_hooks(model: nn.Module, batch: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
    with recording_outputs(model, layers) as outputs:
        model(batch)
    return dict(outputs)


def layer_outputs(
    model: nn.Module, batch: torch.Tensor, layers: Sequence[str], summary: Summary, *, method: str = "auto"
) -> tuple[dict[str, torch.Tensor], str]:
    """The outputs of ``layers`` for ``batch`` (on the model's device), and how they were taken ("fx" or "hooks").

    ``method``: "auto" (feature extraction, hooks where the model does not trace or a shape disagrees with the
    ``summary``), "fx" or "hooks". Call it under ``torch.no_grad()``. A layer that gave no tensor is missing from
    the dict (the caller names it).
    """
    wanted = tuple(dict.fromkeys(layers))
    if method == "hooks" or "" in wanted:
        return _run_hooks(model, batch, wanted), "hooks"
    try:
        outputs = _run_fx(model, batch, wanted)
        # Safety net for the name mapping: each output must have the shape the summary saw.
        wrong = [n for n in wanted if tuple(outputs[n].shape[1:]) != summary.find(n).output_shape]
        if wrong:
            raise ModelError(f"feature extraction returned unexpected shapes for {', '.join(wrong[:3])}.")
    except Exception:
        if method == "fx":
            raise
        return _run_hooks(model, batch, wanted), "hooks"  # data-dependent control flow, untraceable ops
    return outputs, "fx"


def _model_and_name(loaded_or_model: LoadedModel | nn.Module) -> tuple[nn.Module, str]:
    if isinstance(loaded_or_model, nn.Module):
        return loaded_or_model, type(loaded_or_model).__name__
    model = getattr(loaded_or_model, "model", None)
    if not isinstance(model, nn.Module):
        raise ModelError(f"Cannot capture activations of {type(loaded_or_model).__name__}: expected a model.")
    return model, str(getattr(loaded_or_model, "name", type(model).__name__))


def capture(
    loaded_or_model: LoadedModel | nn.Module,
    input_tensor: torch.Tensor,
    layers: Sequence[str],
    *,
    budget_bytes: int = DEFAULT_BUDGET_BYTES,
    summary: Summary | None = None,
    dtype: DTypeLike = np.float16,
    method: str = "auto",
) -> dict[str, Activation]:
    """The outputs of ``layers`` (qualified module names, as in the summary tree) for one input image.

    Args:
        loaded_or_model: A ``LoadedModel`` or an ``nn.Module`` in eval mode; it runs on its own device.
        input_tensor: The preprocessed image, (1, C, H, W) or (C, H, W).
        layers: Module names to capture, e.g. ``["features.0", "layer1.0"]``; only these are kept.
        budget_bytes: Refuse (``BudgetError``) captures estimated to need more memory than this.
        summary: The model's summary at this input size, if already computed (else one meta pass).
        dtype: The dtype of the stored arrays (statistics are always computed in float32).
        method: "auto" (feature extraction, hooks where the model does not trace), "fx" or "hooks".

    Returns:
        ``{layer: Activation}`` in the order asked.
    """
    model, model_name = _model_and_name(loaded_or_model)
    batch = input_tensor if input_tensor.dim() == 4 else input_tensor.unsqueeze(0)
    if batch.dim() != 4 or batch.shape[0] != 1:
        raise ModelError(f"Activations need one image (C, H, W); got a tensor of shape {tuple(input_tensor.shape)}.")
    if summary is None or tuple(summary.input_shape) != tuple(batch.shape[1:]):
        channels, height, width = (int(size) for size in batch.shape[1:])
        summary = summarize(model, (channels, height, width), model_name=model_name)
    wanted = tuple(dict.fromkeys(layers))
    if not wanted:
        raise ModelError("No layer was chosen for activations.")
    for name in wanted:
        node = summary.find(name)  # a ModelError with close names for a typo
        if node.output_shape is None or node.training_only:
            raise ModelError(f"{model_name} layer {name!r} does not run at inference, so it has no activations.")
    needed = estimate_bytes(summary, wanted, dtype=dtype)
    if needed > budget_bytes:
        raise BudgetError(
            f"Capturing {len(wanted)} layer(s) of {model_name} needs about {needed / 2**20:,.0f} MB, over the "
            f"{budget_bytes / 2**20:,.0f} MB budget; choose fewer or later (smaller) layers."
        )

    parameter = next(iter([*model.parameters(), *model.buffers()]), None)
    batch = batch.to(parameter.device if parameter is not None else batch.device)
    with torch.no_grad():
        outputs, used = layer_outputs(model, batch, wanted, summary, method=method)
    missing = [name for name in wanted if outputs.get(name) is None]
    if missing:
        raise ModelError(f"{model_name} layer(s) {', '.join(missing)} produced no tensor output for this input.")
    # Made in shared memory where the window reads them (a local engine: viewer.core.wire.arena), not copied there.
    sizes = [math.prod(outputs[name][0].shape) * np.dtype(dtype).itemsize for name in wanted]
    arena = new_arena(sum(-(-size // ALIGN) * ALIGN for size in sizes))
    return {name: _activation(name, outputs[name][0], summary, dtype, used, arena) for name in wanted}


def readable_scale(shape: tuple[int, ...], *, columns: int | None = None, target: int = 1024, limit: int = 4096) -> int:
    """The integer zoom that makes a ``channel_grid`` of maps ``shape`` (C, H, W) about ``target`` px on its longer
    side.

    Never below 1 (each channel keeps at least its own resolution), and never so large that the longer side
    passes ``limit`` px (a readable total: 512 channels of 56 x 56 stay at one pixel per cell).
    """
    count, height, width = shape if len(shape) == 3 else (int(np.prod(shape)), 1, 1)
    columns = max(1, min(columns or math.ceil(math.sqrt(count)), count))
    rows = math.ceil(count / columns)

    def side(zoom: int) -> int:
        return max(rows * (height * zoom + 1) - 1, columns * (width * zoom + 1) - 1)

    zoom = 1
    while side(zoom + 1) <= target and side(zoom + 1) <= limit:
        zoom += 1
    return zoom
