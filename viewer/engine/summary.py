"""Architecture summary: a tree of layers with output shape, parameters, MACs, memory and receptive field.

One forward pass on the meta device (no memory, no arithmetic) gives everything: output shapes from
forward hooks, MACs from ``torch.utils.flop_counter.FlopCounterMode``'s per-module breakdown (FLOPs / 2, the
same convention as torchvision's ``_ops``) and receptive fields from ``receptive.ReceptiveFieldTracer``.
A model with real weights is not copied: ``torch.func.functional_call`` swaps in meta stand-ins for the pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.func import functional_call
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from viewer.engine import registry
from viewer.engine.errors import ModelError
from viewer.engine.meta import meta_model
from viewer.engine.receptive import ReceptiveField, ReceptiveFieldTracer

__all__ = ["LayerNode", "Summary", "format_table", "meta_model", "summarize", "summary_rows", "summary_to_dict"]

# Module attributes worth showing as hyper-parameters, in display order.
_HYPER_ATTRIBUTES = (
    "in_channels", "out_channels", "in_features", "out_features", "num_features", "normalized_shape",
    "embed_dim", "num_heads", "kernel_size", "stride", "padding", "dilation", "groups", "output_size",
    "ceil_mode", "p", "inplace",
)  # fmt: skip


@dataclass
class LayerNode:
    """One module of the network; ``params`` and ``macs`` include everything below it."""

    name: str  # qualified name ("layer1.0.conv1"); "" for the whole model
    type: str
    hyper: dict[str, Any]
    output_shape: tuple[int, ...] | None  # without the batch dimension; None if it never ran
    params_own: int
    params: int
    macs: int
    memory_bytes: int  # float32 output activations of one image
    receptive_field: ReceptiveField | None
    is_block: bool  # has children: collapsible in a tree
    children: list[LayerNode] = field(default_factory=list)
    training_only: bool = False  # e.g. GoogLeNet's auxiliary heads: no cost at inference (macs = 0)

    @property
    def depth(self) -> int:
        return 0 if not self.name else self.name.count(".") + 1

    def iter_nodes(self) -> Iterator[LayerNode]:
        """This node and everything below it, in pre-order."""
        yield self
        for child in self.children:
            yield from child.iter_nodes()


@dataclass
class Summary:
    """The layer tree of a model at one input size, with its totals."""

    model_name: str
    input_shape: tuple[int, int, int]
    root: LayerNode
    total_params: int
    trainable_params: int
    macs: int  # multiply-accumulates of one forward pass at ``input_shape`` (inference mode)

    @property
    def gmacs(self) -> float:
        return self.macs / 1e9

    def iter_nodes(self) -> Iterator[LayerNode]:
        return self.root.iter_nodes()

    def first_convolution(self) -> str | None:
        """Name of the first convolution layer (in pre-order), or None for a network without one."""
        return next((node.name for node in self.iter_nodes() if "Conv" in node.type and not node.children), None)

    def find(self, name: str) -> LayerNode:
        """The node of qualified name ``name``; a ``ModelError`` with close names otherwise."""
        for node in self.iter_nodes():
            if node.name == name:
                return node
        close = difflib.get_close_matches(name, [node.name for node in self.iter_nodes()], n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ModelError(f"{self.model_name} has no layer named {name!r}.{hint}")


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list, torch.Size)):
        return tuple(_plain(item) for item in value)
    return str(value)


def _hyper(module: nn.Module) -> dict[str, Any]:
    hyper = {key: _plain(getattr(module, key)) for key in _HYPER_ATTRIBUTES if getattr(module, key, None) is not None}
    if isinstance(getattr(module, "weight", None), torch.Tensor) and hasattr(module, "bias"):
        hyper["bias"] = isinstance(module.bias, torch.Tensor)
    return hyper


@dataclass
class _Pass:
    """What one forward pass recorded, per qualified module name."""

    shapes: dict[str, tuple[tuple[int, ...], int]] = field(default_factory=dict)  # (shape, float32 bytes)
    fields: dict[str, ReceptiveField | None] = field(default_factory=dict)
    macs: dict[str, int] = field(default_factory=dict)
    total_macs: int = 0


@contextmanager
def _mode(model: nn.Module, training: bool) -> Iterator[None]:
    modes = {module: module.training for module in model.modules()}
    model.train(training)
    try:
        yield
    finally:
        for module, was_training in modes.items():
            module.training = was_training


def _forward_pass(model: nn.Module, input_shape: tuple[int, ...], device: str, training: bool = False) -> _Pass:
    """Run the model once under hooks and the FLOP counter."""
    # Batch 2 in training mode: BatchNorm refuses one value per channel (Inception-v3's aux head is 1x1).
    batch = 2 if training else 1
    record = _Pass()
    handles = []
    for name, module in model.named_modules():

        def shape_hook(_module: nn.Module, _args: Any, output: Any, name: str = name) -> None:
            tensors = [leaf for leaf in tree_leaves(output) if isinstance(leaf, torch.Tensor)]
            if tensors and name not in record.shapes:
                nbytes = sum(4 * (t.numel() // batch) for t in tensors)
                record.shapes[name] = (tuple(int(n) for n in tensors[0].shape[1:]), nbytes)

        handles.append(module.register_forward_hook(shape_hook))
    counter = FlopCounterMode(display=False)
    try:
        with _mode(model, training), torch.no_grad(), ReceptiveFieldTracer(model) as tracer, counter:
            if device == "meta":
                stand_ins = {
                    name: torch.empty_like(tensor, device="meta")
                    for name, tensor in [*model.named_parameters(), *model.named_buffers()]
                }
                functional_call(model, stand_ins, (torch.zeros(batch, *input_shape, device="meta"),))
            else:
                model(torch.zeros(batch, *input_shape, device=device))
    finally:
        for handle in handles:
            handle.remove()
    record.fields = tracer.fields
    # The counter names modules "<RootClass>.<qualified name>"; the root itself is its class name.
    prefix = type(model).__name__
    flops = {key: sum(per_op.values()) for key, per_op in counter.get_flop_counts().items()}
    for name, _module in model.named_modules():
        record.macs[name] = flops.get(f"{prefix}.{name}" if name else prefix, 0) // 2
    record.total_macs = counter.get_total_flops() // 2
    return record


def _run(model: nn.Module, input_shape: tuple[int, ...], device: str, model_name: str, training: bool = False) -> _Pass:
    try:
        return _forward_pass(model, input_shape, device, training)
    except Exception as error:  # a custom model may do data-dependent work the meta device cannot
        tensor = next(iter([*model.parameters(), *model.buffers()]), None)
        own_device = tensor.device if tensor is not None else torch.device("cpu")
        if device == "meta" and own_device.type != "meta" and not training:
            try:
                return _forward_pass(model, input_shape, str(own_device))
            except Exception as real_error:  # it fails for real too (a wrong input size): say so, in one sentence
                error = real_error
        raise ModelError(f"{model_name} cannot run on a {'x'.join(map(str, input_shape))} input: {error}") from error


def _build_tree(model: nn.Module, eval_pass: _Pass, train_pass: _Pass | None) -> LayerNode:
    def build(name: str, module: nn.Module) -> LayerNode:
        children = [build(f"{name}.{child}" if name else child, sub) for child, sub in module.named_children()]
        shape, nbytes = eval_pass.shapes.get(name, (None, 0))
        rf = eval_pass.fields.get(name)
        training_only = name not in eval_pass.shapes and train_pass is not None and name in train_pass.shapes
        if training_only:
            assert train_pass is not None
            shape, nbytes = train_pass.shapes[name]
            rf = train_pass.fields.get(name)
        return LayerNode(
            name=name,
            type=type(module).__name__,
            hyper=_hyper(module),
            output_shape=shape,
            params_own=sum(p.numel() for p in module.parameters(recurse=False)),
            params=sum(p.numel() for p in module.parameters()),
            # A ModuleList is never called itself: its cost is its children's.
            macs=eval_pass.macs.get(name, 0) if name in eval_pass.shapes else sum(c.macs for c in children),
            memory_bytes=nbytes,
            receptive_field=rf,
            is_block=bool(children),
            children=children,
            training_only=training_only,
        )

    return build("", model)


def summarize(
    model: nn.Module | str | Any,
    input_shape: tuple[int, int, int] | None = None,
    *,
    device: str = "meta",
    model_name: str | None = None,
) -> Summary:
    """The layer tree of ``model`` for one ``input_shape`` (C, H, W) image.

    Args:
        model: An ``nn.Module``, a registry name (built on the meta device) or a ``LoadedModel``.
        input_shape: (C, H, W); defaults to the registry's input for a name or a ``LoadedModel``.
        device: "meta" (free, the default) or a real device for models the meta device cannot run; a
            model that fails on meta falls back to one real forward pass on its own device.
        model_name: The name shown in tables; defaults to the registry name or the class name.

    Modules that only run in training (GoogLeNet's and Inception-v3's auxiliary classifiers) are traced by a
    second meta pass in training mode so that they show their shapes, but their MACs stay 0: the totals
    are those of inference, which is what torchvision's ``_ops`` report.
    """
    if isinstance(model, str):
        spec = registry.get_spec(model)
        model_name, input_shape = model_name or model, input_shape or spec.input.shape
        model = meta_model(model)
    elif not isinstance(model, nn.Module) and isinstance(getattr(model, "model", None), nn.Module):
        model_name, input_shape = model_name or model.name, input_shape or model.input.shape
        model = model.model
    if not isinstance(model, nn.Module):
        raise ModelError(f"Cannot summarize {type(model).__name__}: expected a model, a model name or a loaded model.")
    model_name = model_name or type(model).__name__
    if input_shape is None:
        raise ModelError(f"{model_name}: an input shape (channels, height, width) is needed for a summary.")
    input_shape = tuple(int(n) for n in input_shape)  # type: ignore[assignment]
    eval_pass = _run(model, input_shape, device, model_name)
    train_pass = None
    # Only whole sub-networks that never ran (auxiliary heads) call for a training pass: leaf layers that never
    # ran are usually read as weights by a parent (Swin's qkv/proj go through F.linear) and would not run then.
    skipped_blocks = [
        name
        for name, module in model.named_modules()
        if name not in eval_pass.shapes
        and next(module.children(), None) is not None
        and not isinstance(module, (nn.ModuleList, nn.ModuleDict))  # never called themselves
    ]
    if skipped_blocks and device == "meta":
        try:
            train_pass = _forward_pass(model, input_shape, "meta", training=True)
        except Exception:  # shapes of training-only heads are a bonus; their params are shown regardless
            train_pass = None
    root = _build_tree(model, eval_pass, train_pass)
    parameters = list(model.parameters())
    return Summary(
        model_name=model_name,
        input_shape=input_shape,  # type: ignore[arg-type]
        root=root,
        total_params=sum(p.numel() for p in parameters),
        trainable_params=sum(p.numel() for p in parameters if p.requires_grad),
        macs=eval_pass.total_macs,
    )


def _human(count: int) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= scale:
            return f"{count / scale:.2f}{suffix}"
    return str(count)


def _shape_text(shape: tuple[int, ...] | None) -> str:
    return "—" if shape is None else "x".join(map(str, shape)) or "scalar"


def format_table(summary: Summary, depth: int | None = None) -> str:
    """A text table (layer, type, output shape, params, MACs, receptive field), indented by depth.

    Args:
        summary: The summary to print.
        depth: Deepest level shown (0: the model only; 1: its direct children …); all when None.
    """
    header = ("Layer (type)", "Output shape", "Params", "MACs", "RF")
    rows = []
    for node in summary.iter_nodes():
        if depth is not None and node.depth > depth:
            continue
        label = f"{'  ' * node.depth}{node.name or summary.model_name} ({node.type})"
        rf = node.receptive_field
        rows.append((
            label + (" [training only]" if node.training_only else ""),
            _shape_text(node.output_shape),
            f"{node.params:,}",
            _human(node.macs),
            f"{rf.size[0]}x{rf.size[1]}/{rf.jump[0]}" if rf else "",
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    align = ("<", "<", ">", ">", ">")

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths)).rstrip()

    rule = "-" * len(line(header))
    footer = [
        f"Input: {_shape_text(summary.input_shape)}",
        f"Total params: {summary.total_params:,}  (trainable {summary.trainable_params:,})",
        f"MACs: {summary.macs:,}  ({summary.gmacs:.3f} GMACs)",
        "RF: receptive field size / jump in input pixels",
    ]
    return "\n".join([line(header), rule, *map(line, rows), rule, *footer])


def _node_dict(node: LayerNode) -> dict[str, Any]:
    return {
        "name": node.name,
        "type": node.type,
        "output_shape": list(node.output_shape) if node.output_shape is not None else None,
        "params": node.params,
        "params_own": node.params_own,
        "macs": node.macs,
        "memory_bytes": node.memory_bytes,
        "hyper": {k: list(v) if isinstance(v, tuple) else v for k, v in node.hyper.items()},
        "receptive_field": node.receptive_field.as_dict() if node.receptive_field else None,
        "training_only": node.training_only,
        "children": [_node_dict(child) for child in node.children],
    }


def summary_to_dict(summary: Summary) -> dict[str, Any]:
    """A JSON-ready dict; ``layers`` nests the model's direct children and everything below them."""
    return {
        "model": summary.model_name,
        "input": list(summary.input_shape),
        "total_params": summary.total_params,
        "trainable_params": summary.trainable_params,
        "macs": summary.macs,
        "layers": [_node_dict(child) for child in summary.root.children],
    }


def summary_rows(summary: Summary) -> list[dict[str, Any]]:
    """One flat row per module (the model included), for CSV."""
    rows = []
    for node in summary.iter_nodes():
        rf = node.receptive_field
        rows.append({
            "name": node.name,
            "type": node.type,
            "depth": node.depth,
            "output_shape": _shape_text(node.output_shape),
            "params_own": node.params_own,
            "params": node.params,
            "macs": node.macs,
            "memory_bytes": node.memory_bytes,
            "rf_size": rf.size[0] if rf else "",
            "rf_jump": rf.jump[0] if rf else "",
            "is_block": node.is_block,
            "training_only": node.training_only,
        })  # fmt: skip
    return rows
