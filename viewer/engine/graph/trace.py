"""One torch.fx trace of a model, run on the meta device, turned into :class:`viewer.core.graph.dataflow.GraphNode` s.

torch.fx records every module call and tensor function with the stack of modules it happened in
(``node.meta["nn_module_stack"]``), which gives the hierarchy. An ``fx.Interpreter`` then runs the traced graph
on meta tensors (no memory, no arithmetic) and reads, per node, the output shape, the FLOPs counted by
``FlopCounterMode`` during that node alone, and the receptive field composed from its inputs' fields. Models with
real weights are never copied: each module call runs through ``functional_call`` with meta stand-ins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from viewer.core.graph.dataflow import GraphEdge, GraphNode, HyperValue, Shape
from viewer.core.graph.receptive import ReceptiveField, larger_field
from viewer.core.macs import macs_from_flops
from viewer.engine.fx_tracers import forget_tracer
from viewer.engine.graph.layer_geometry import layer_geometry
from viewer.engine.meta_interpreter import MetaInterpreter

__all__ = ["TracedGraph", "hyper_parameters", "trace_graph"]

# Module attributes worth showing as hyper-parameters, in display order.
_HYPER_ATTRIBUTES = (
    "in_channels", "out_channels", "in_features", "out_features", "num_features", "normalized_shape",
    "embed_dim", "num_heads", "kernel_size", "stride", "padding", "dilation", "groups", "output_size",
    "ceil_mode", "p", "inplace",
)  # fmt: skip
_POOL_FUNCTIONS: dict[Callable[..., object], tuple[str, ...]] = {
    F.max_pool2d: ("kernel_size", "stride", "padding", "dilation"),
    F.avg_pool2d: ("kernel_size", "stride", "padding"),
}
_GLOBAL_MIXERS = ("Attention",)
# Calls FlopCounterMode counts no FLOPs for (it counts matrix products and convolutions). They run outside it:
# under the counter, BatchNorm and LayerNorm are decomposed op by op, which was half of a ResNet-152 graph's time.
_FLOP_FREE_MODULES = frozenset(
    {
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "LayerNorm",
        "GroupNorm",
        "LocalResponseNorm",
        "ReLU",
        "ReLU6",
        "LeakyReLU",
        "GELU",
        "SiLU",
        "Hardswish",
        "Hardsigmoid",
        "Sigmoid",
        "Tanh",
        "Softmax",
        "Dropout",
        "Dropout2d",
        "MaxPool2d",
        "AvgPool2d",
        "AdaptiveAvgPool2d",
        "AdaptiveMaxPool2d",
        "Flatten",
        "Identity",
    }
)
_FLOP_FREE_FUNCTIONS = frozenset(
    {
        "add",
        "iadd",
        "sub",
        "mul",
        "imul",
        "truediv",
        "getitem",
        "cat",
        "flatten",
        "relu",
        "relu6",
        "gelu",
        "silu",
        "hardswish",
        "hardsigmoid",
        "sigmoid",
        "tanh",
        "softmax",
        "dropout",
        "max_pool2d",
        "avg_pool2d",
        "adaptive_avg_pool2d",
        "adaptive_max_pool2d",
        "view",
        "reshape",
        "permute",
        "transpose",
        "contiguous",
        "mean",
        "size",
        "chunk",
        "split",
        "expand",
        "unsqueeze",
        "squeeze",
        "layer_norm",
        "batch_norm",
        "pad",
        "roll",
    }
)  # any class with this in its name lets every token see every other


def _plain(value: object) -> HyperValue:
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list, torch.Size)):
        return tuple(item if isinstance(item, (bool, int, float, str)) else str(item) for item in value)
    return str(value)


def hyper_parameters(module: nn.Module) -> dict[str, HyperValue]:
    """The module's key hyper-parameters (channels, kernel, stride, groups…) as plain values."""
    hyper = {key: _plain(getattr(module, key)) for key in _HYPER_ATTRIBUTES if getattr(module, key, None) is not None}
    if isinstance(getattr(module, "weight", None), torch.Tensor) and hasattr(module, "bias"):
        hyper["bias"] = isinstance(module.bias, torch.Tensor)
    return hyper


def _function_name(node: fx.Node) -> str:
    if node.op == "call_method":
        return str(node.target)
    target = node.target
    name = getattr(target, "__name__", str(target))
    return {"getitem": "getitem", "iadd": "add", "imul": "mul"}.get(name, name)


def _first_tensor(value: object) -> torch.Tensor | None:
    return next((leaf for leaf in tree_leaves(value) if isinstance(leaf, torch.Tensor)), None)


def _carries_tensors(value: object) -> bool:
    return _first_tensor(value) is not None


@dataclass
class _Record:
    shape: Shape | None
    macs: int
    field: ReceptiveField | None
    tensor: bool  # the output carries tensors
    packs_output: bool = False  # builds the model's returned container (GoogLeNet's namedtuple): not data flow
    constant: bool = False  # computed from parameters alone (a positional embedding, a class token): sees nothing


@dataclass
class TracedGraph:
    """The nodes and edges of one trace, with what each module is (type, hyper-parameters, parameter count)."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    block_types: dict[str, str]  # module path → class name, for every block that contains a node
    called_modules: set[str] = field(default_factory=set)


class _MetaRunner(MetaInterpreter):
    """Runs the traced graph on meta tensors and records each node's shape, MACs and receptive field."""

    def __init__(self, module: fx.GraphModule, root: nn.Module, batch: int) -> None:
        super().__init__(module, root)
        self.root = root
        self.batch = batch
        self.records: dict[fx.Node, _Record] = {}
        self.counter = FlopCounterMode(display=False)

    def _counts_flops(self, n: fx.Node) -> bool:
        if n.op == "call_module":
            return type(self.modules[str(n.target)]).__name__ not in _FLOP_FREE_MODULES
        if n.op in ("call_function", "call_method"):
            return _function_name(n) not in _FLOP_FREE_FUNCTIONS
        return False

    def run_node(self, n: fx.Node) -> object:
        macs = 0
        if self._counts_flops(n):
            with self.counter:  # entering resets its counts: what it holds afterwards is this node's alone
                result = super().run_node(n)
            macs = macs_from_flops(self.counter.get_total_flops()) // self.batch
        else:
            result = super().run_node(n)
        tensor = _first_tensor(result)
        shape = tuple(int(s) for s in tensor.shape[1:]) if tensor is not None and tensor.dim() > 0 else None
        packs = not isinstance(result, torch.Tensor) and all(user.op == "output" for user in n.users)
        constant = n.op == "get_attr" or (
            n.op != "placeholder"
            and all(self.records[arg].constant for arg in n.all_input_nodes if arg in self.records)
        )
        self.records[n] = _Record(shape, int(macs), self._field(n, tensor), tensor is not None, packs, constant)
        return result

    def _input_fields(self, n: fx.Node) -> list[ReceptiveField | None]:
        inputs = [arg for arg in n.all_input_nodes if arg in self.records and self.records[arg].tensor]
        return [self.records[arg].field for arg in inputs]

    def _field(self, n: fx.Node, output: torch.Tensor | None) -> ReceptiveField | None:
        if n.op == "placeholder":
            return ReceptiveField()
        if output is None or output.dim() <= 2:
            return None  # a flat vector (or tokens × features after attention): every entry may see everything
        fields = self._input_fields(n)
        if not fields:
            return None
        if n.op == "call_module":
            module = self.modules[str(n.target)]
            incoming = fields[0]
            if any(word in type(module).__name__ for word in _GLOBAL_MIXERS) or incoming is None:
                return None
            geometry = layer_geometry(module)
            if geometry is not None:
                return incoming.compose(*geometry)
            if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
                source = n.all_input_nodes[0]
                in_shape, out_shape = self.records[source].shape or (), tuple(output.shape[1:])
                in_size, out_size = tuple(in_shape[-2:]), tuple(out_shape[-2:])
                if len(in_size) < 2 or out_size == (1, 1) or any(i % o for i, o in zip(in_size, out_size, strict=True)):
                    return None
                ratio = (in_size[0] // out_size[0], in_size[1] // out_size[1])
                return incoming.compose(ratio, ratio, (0, 0), (1, 1))
            return incoming
        if n.op == "call_function" and n.target in _POOL_FUNCTIONS and fields[0] is not None:
            return _pool_function_field(n, fields[0])
        # A merge (an add, a product, a concatenation) takes the larger of its inputs' fields. An input that sees
        # the whole image: a gate broadcast over the map (squeeze-and-excitation's pooled scales) leaves the map's
        # local field; a whole map of it (a transformer's residual add after attention) makes the merge global.
        merged: ReceptiveField | None = None
        for source in n.all_input_nodes:
            record = self.records.get(source)
            if record is None or not record.tensor or record.constant:
                continue
            if record.field is None and record.shape == tuple(output.shape[1:]):
                return None
            merged = larger_field(merged, record.field)
        return merged


def _pair(value: object) -> tuple[int, int]:
    """A pooling's size, stride or padding (a number or a pair) as a pair of ints."""
    first, last = (value[0], value[-1]) if isinstance(value, (tuple, list)) else (value, value)
    if not isinstance(first, (int, float)) or not isinstance(last, (int, float)):
        raise TypeError(f"expected a number or a pair of numbers, not {value!r}")
    return (int(first), int(last))


def _pool_function_field(n: fx.Node, incoming: ReceptiveField) -> ReceptiveField:
    names = _POOL_FUNCTIONS.get(n.target, ()) if callable(n.target) else ()
    values = dict(zip(names, n.args[1:], strict=False))
    values.update({key: value for key, value in n.kwargs.items() if key in names})
    kernel = _pair(values.get("kernel_size", 1))
    stride = _pair(values.get("stride") or kernel)
    padding = _pair(values.get("padding", 0))
    dilation = _pair(values.get("dilation", 1))
    return incoming.compose(kernel, stride, (float(padding[0]), float(padding[1])), dilation)


def trace_graph(model: nn.Module, input_shape: Shape, *, training: bool = False) -> TracedGraph:
    """Trace ``model`` with torch.fx and run the trace on meta tensors; raises whatever fx raises.

    Args:
        model: Any module, on the meta device or with real weights (never copied, never run for real).
        input_shape: (C, H, W) of one image.
        training: Trace in training mode (GoogLeNet's auxiliary heads only run then).
    """
    modes = {module: module.training for module in model.modules()}
    model.train(training)
    try:
        tracer = fx.Tracer()
        try:
            graph = tracer.trace(model)
        finally:
            forget_tracer(tracer)  # else a reference cycle holds the model until a full collection (fx_tracers)
        module = fx.GraphModule(model, graph)
        batch = 2 if training else 1  # BatchNorm in training mode refuses one value per channel
        runner = _MetaRunner(module, model, batch)
        with torch.no_grad():
            runner.run(torch.empty(batch, *input_shape, device="meta"))
    finally:
        for each, was_training in modes.items():
            each.training = was_training
    return _to_nodes(graph, runner, dict(model.named_modules()))


def _stack(node: fx.Node) -> list[tuple[str, str]]:
    stack = node.meta.get("nn_module_stack") or {}
    entries = []
    for value in stack.values():
        path, kind = value if isinstance(value, tuple) else (str(value), object)
        entries.append((str(path), getattr(kind, "__name__", str(kind))))
    return entries


def _to_nodes(graph: fx.Graph, runner: _MetaRunner, modules: dict[str, nn.Module]) -> TracedGraph:
    ids: dict[fx.Node, str] = {}
    counts: dict[str, int] = {}
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    block_types: dict[str, str] = {}
    called: set[str] = set()
    attribute_params: dict[fx.Node, int] = {}  # get_attr nodes: their tensors count for their first user
    seen_modules: set[str] = set()
    for n in graph.nodes:
        record = runner.records.get(n)
        if n.op == "get_attr":
            value = runner.fetch_attr(str(n.target))
            attribute_params[n] = value.numel() if isinstance(value, nn.Parameter) else 0
            continue
        if n.op == "output" or record is None or not record.tensor or record.packs_output:
            continue
        stack = _stack(n)
        module_path = str(n.target) if n.op == "call_module" else None
        enclosing = [(path, kind) for path, kind in stack if path and path != module_path]
        for path, kind in enclosing:
            block_types.setdefault(path, kind)
        if n.op == "placeholder":
            base, op, kind = "input", "input", "Input"
        elif module_path is not None:
            base, op, kind = module_path, "module", type(modules[module_path]).__name__
            called.add(module_path)
        else:
            scope = enclosing[-1][0] if enclosing else ""
            name = _function_name(n)
            base, op, kind = (f"{scope}.{name}" if scope else name), n.op.replace("call_", ""), name
        call = counts.get(base, 0)
        counts[base] = call + 1
        node_id = base if call == 0 else f"{base}_{call}"
        ids[n] = node_id
        params = 0
        hyper: dict[str, HyperValue] = {}
        if module_path is not None:
            module = modules[module_path]
            hyper = hyper_parameters(module)
            if module_path not in seen_modules:
                params = sum(p.numel() for p in module.parameters())
                seen_modules.add(module_path)
        params += sum(attribute_params.pop(arg, 0) for arg in n.all_input_nodes if arg in attribute_params)
        if n.op == "call_function" and n.target is torch.cat:
            hyper["dim"] = _plain(n.kwargs.get("dim", n.args[1] if len(n.args) > 1 else 0))
        nodes.append(GraphNode(
            id=node_id, op=op, type=kind, module=module_path, blocks=tuple(path for path, _ in enclosing),
            call=call + 1, hyper=hyper, shape=record.shape, params=params, macs=record.macs,
            receptive_field=record.field,
        ))  # fmt: skip
        for arg in n.all_input_nodes:
            if arg in ids:
                edges.append(GraphEdge(ids[arg], node_id, runner.records[arg].shape))
    return TracedGraph(nodes, edges, block_types, called)
