"""Reading a traced classifier for :mod:`viewer.engine.heatmap.convolutionize`: shapes, and what each node does.

The rewrite needs to know, of each ``torch.fx`` node, the shape it carries at the canonical input (found on
meta tensors, so without arithmetic) and what kind of operation it is: a *flatten point* (an (N, C, H, W) map
made an (N, features) vector), a *global pooling* (an h×w map reduced to 1×1), an operation that acts on each
position alone (which may stay in a convolutionized head), or attention over a fixed token grid (which rules the
network out). These questions only read the graph; :mod:`~viewer.engine.heatmap.convolutionize` changes it.
"""

from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import fx, nn

from viewer.core.errors import UnsupportedModelError
from viewer.engine.meta_interpreter import MetaInterpreter

__all__ = [
    "ADAPTIVE_POOLS",
    "ADAPTIVE_POOL_FUNCTIONS",
    "PER_POSITION_FUNCTIONS",
    "PER_POSITION_MODULES",
    "descendants",
    "first_tensor_input",
    "global_pool_kind",
    "is_flatten_point",
    "module_of",
    "node_label",
    "propagate_shapes",
    "reject_attention",
    "shape_if_tensor",
    "shape_of",
]

# Modules and functions that act on each position (or each element) independently: they commute with
# "apply at every position", so they may stay between the flatten and the classifier's linears.
PER_POSITION_MODULES = (
    nn.Dropout,
    nn.Dropout1d,
    nn.Dropout2d,
    nn.AlphaDropout,
    nn.Identity,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Hardtanh,
    nn.Sigmoid,
    nn.Tanh,
    nn.Softplus,
    nn.PReLU,
)
PER_POSITION_FUNCTIONS = {
    F.relu,
    F.relu6,
    F.leaky_relu,
    F.elu,
    F.selu,
    F.gelu,
    F.silu,
    F.mish,
    F.hardswish,
    F.hardsigmoid,
    F.hardtanh,
    F.dropout,
    F.sigmoid,
    F.tanh,
    torch.relu,
    torch.sigmoid,
    torch.tanh,
    operator.mul,
    operator.add,
    operator.truediv,
    operator.sub,
}
_GLOBAL_POOL_MODULES = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.AvgPool2d, nn.MaxPool2d)
_GLOBAL_POOL_FUNCTIONS = {F.adaptive_avg_pool2d, F.adaptive_max_pool2d, F.avg_pool2d, F.max_pool2d}
ADAPTIVE_POOLS = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_ATTENTION_NAMES = (
    "MultiheadAttention",
    "ShiftedWindowAttention",
    "RelativePositionalMultiHeadAttention",
    "Attention",
    "SelfAttention",
)
ADAPTIVE_POOL_FUNCTIONS = {F.adaptive_avg_pool2d, F.adaptive_max_pool2d}


def propagate_shapes(module: fx.GraphModule, input_shape: tuple[int, ...]) -> torch.Size:
    """Record ``node.meta["shape"]`` for every tensor node at ``input_shape`` (N, C, H, W), doing no arithmetic.

    The graph runs on meta tensors: each module call with meta stand-ins of its real parameters (the same
    shapes, no data), so this costs the same for VGG-19 as for LeNet, and the layers that keep their input's
    shape (normalisations, activations, dropout) are answered without running them. Fake tensors
    (``FakeTensorMode``) gave the same shapes but dispatched every operation through Python: 0.1-0.4 s per pass
    of a MobileNet, three passes per network, all of it holding the GIL while the GUI thread waited to repaint
    (``viewer bench``: the Explain tab asks which methods apply to each new network; the longest stalls of the
    200-switch soak).
    """
    from viewer.engine.quiet import quiet_torch_logs

    # a too-small input raises; the caller says so in one sentence
    with quiet_torch_logs(), torch.no_grad():
        result = _ShapeRecorder(module).run(torch.empty(input_shape, device="meta"))
    if isinstance(result, (tuple, list)):
        result = result[0]
    shape: torch.Size = result.shape
    return shape


class _ShapeRecorder(MetaInterpreter):
    """Runs a graph on meta tensors (see :func:`propagate_shapes`), recording each node's output shape."""

    def __init__(self, module: fx.GraphModule) -> None:
        super().__init__(module, module)

    def run_node(self, n: fx.Node) -> object:
        result = super().run_node(n)
        n.meta["shape"] = tuple(result.shape) if isinstance(result, torch.Tensor) else None
        return result


def shape_if_tensor(node: fx.Node) -> tuple[int, ...] | None:
    """The shape ``propagate_shapes`` recorded for ``node``; None where it carries no tensor."""
    shape: tuple[int, ...] | None = node.meta.get("shape")
    return shape


def shape_of(node: fx.Node) -> tuple[int, ...]:
    """The shape of a node that carries a tensor (found by ``first_tensor_input`` or a flatten point)."""
    shape = shape_if_tensor(node)
    if shape is None:
        raise UnsupportedModelError(f"{node.name} carries no tensor where a feature map was expected.")
    return shape


def module_of(gm: fx.GraphModule, node: fx.Node) -> nn.Module | None:
    """The module ``node`` calls; None for a function, a method or an attribute."""
    # A call_module's target is the module's qualified name.
    return gm.get_submodule(str(node.target)) if node.op == "call_module" else None


def first_tensor_input(node: fx.Node) -> fx.Node | None:
    """The first input of ``node`` that carries a tensor (the feature map it acts on); None if none does."""
    return next((arg for arg in node.all_input_nodes if shape_if_tensor(arg) is not None), None)


def is_flatten_point(gm: fx.GraphModule, node: fx.Node) -> bool:
    """A node turning an (N, C, H, W) map into an (N, features) vector."""
    source = first_tensor_input(node)
    out = shape_if_tensor(node)
    if source is None or out is None or len(out) != 2 or len(shape_of(source)) != 4:
        return False
    module = module_of(gm, node)
    if isinstance(module, nn.Flatten):
        return True
    if node.op == "call_function" and node.target in (torch.flatten, torch.reshape, torch.mean, torch.squeeze):
        return True
    return node.op == "call_method" and node.target in ("flatten", "view", "reshape", "mean", "squeeze")


def global_pool_kind(gm: fx.GraphModule, node: fx.Node) -> str | None:
    """``"average"``/``"max"`` when ``node`` reduces an h×w map (h·w > 1) to 1×1 by pooling, else None."""
    source = first_tensor_input(node)
    out = shape_if_tensor(node)
    if source is None or out is None or len(out) not in (2, 4) or len(shape_of(source)) != 4:
        return None
    if shape_of(source)[-2:] == (1, 1) or (len(out) == 4 and out[-2:] != (1, 1)):
        return None
    module = module_of(gm, node)
    if isinstance(module, _GLOBAL_POOL_MODULES) or (
        node.op == "call_function" and node.target in _GLOBAL_POOL_FUNCTIONS
    ):
        name = type(module).__name__ if module is not None else getattr(node.target, "__name__", str(node.target))
        return "max" if "max" in name.lower() else "average"
    if node.target in ("mean", torch.mean) or node.target in ("amax", torch.amax):
        return "max" if "amax" in str(node.target) else "average"
    return None


def reject_attention(model: nn.Module) -> None:
    """Raise :class:`UnsupportedModelError` if ``model`` has an attention layer (found by type or class name)."""
    for name, module in model.named_modules():
        kind = type(module).__name__
        if isinstance(module, nn.MultiheadAttention) or kind in _ATTENTION_NAMES:
            raise UnsupportedModelError(
                f"{type(model).__name__} cannot be made fully convolutional: its attention layer {name or kind} "
                "mixes every token of a fixed grid, so an output has no bounded receptive field to slide."
            )


def node_label(node: fx.Node) -> str:
    """How ``ConversionInfo`` names a node: the module's qualified name, else the node's own name."""
    return str(node.target) if node.op == "call_module" else node.name


def descendants(node: fx.Node) -> set[fx.Node]:
    """Every node that uses ``node``'s output, directly or not."""
    found: set[fx.Node] = set()
    stack = list(node.users)
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(current.users)
    return found
