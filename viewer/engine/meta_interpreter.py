"""Running a traced network on meta tensors: every call's output shape, without memory or arithmetic.

Shared by the graph's trace (:mod:`viewer.engine.graph.trace`, which also counts MACs and receptive fields) and
the convolutionized network's shapes (:mod:`viewer.engine.heatmap.traced`): its own module so that neither
package imports the other's internals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn
from torch.func import functional_call

__all__ = ["SAME_SHAPE_MODULES", "MetaInterpreter"]

# torch.nn's elementwise and normalising layers: their output has their input's shape. On meta tensors their
# forward still runs PyTorch's Python decompositions (BatchNorm's above all), a third of a MobileNet's trace, all
# of it holding the GIL while the GUI thread waits to repaint; their shape is known without running them.
SAME_SHAPE_MODULES: tuple[type[nn.Module], ...] = (
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm,
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.Tanh,
    nn.Softmax, nn.Dropout, nn.Dropout2d, nn.Identity,
)  # fmt: skip


class MetaInterpreter(fx.Interpreter):
    """Runs a traced graph on meta tensors: each module called with meta stand-ins of its real parameters (the
    same shapes, no data), the layers that keep their input's shape answered without running them. Shared by the
    graph's trace (:class:`_MetaRunner`) and the convolutionized graph's shapes."""

    def __init__(self, module: fx.GraphModule, modules_of: nn.Module) -> None:
        super().__init__(module, garbage_collect_values=True)
        self.modules = dict(modules_of.named_modules())

    def call_module(
        self, target: str | Callable[..., Any], args: tuple[object, ...], kwargs: dict[str, object]
    ) -> object:
        assert isinstance(target, str)  # fx names a call_module's target by its qualified name
        module = self.modules[target]
        if type(module) in SAME_SHAPE_MODULES and len(args) == 1 and not kwargs and isinstance(args[0], torch.Tensor):
            return torch.empty_like(args[0], device="meta")
        own = {name: value for name, value in [*module.named_parameters(), *module.named_buffers()]
               if value.device.type != "meta"}  # fmt: skip
        if not own:
            return module(*args, **kwargs)
        stand_ins = {name: torch.empty_like(value, device="meta") for name, value in own.items()}
        return functional_call(module, stand_ins, args, kwargs)

    def fetch_attr(self, target: str) -> object:
        value = super().fetch_attr(target)
        if isinstance(value, torch.Tensor) and value.device.type != "meta":
            return torch.empty_like(value, device="meta")
        return value
