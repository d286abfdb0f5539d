"""Which ReLUs deconvolution and guided backpropagation can change, for one unit of one network.

Captum's ``Deconvolution`` and ``GuidedBackprop`` (and their ``Neuron`` forms) change the backward pass of every
``nn.ReLU`` *module*, through hooks on its input and output tensors: deconvolution passes back ``relu(grad_output)``
(Zeiler & Fergus ignore the forward mask), guided backpropagation ``relu(grad_input)`` (the forward mask, then
only positive signals). What that covers, checked by this package's tests against an independent autograd rule:

- ``nn.ReLU(inplace=True)``, as torchvision writes it: Captum's pre-hook hands the module a copy of its input, so
  the in-place rectification never overwrites a tensor that the backward needs;
- one module called several times (ResNet's blocks call ``self.relu`` twice): each call's tensors get their hooks;
- ``nn.ReLU6`` (MobileNetV2), a ``Hardtanh`` that Captum does not treat as a ReLU: :func:`relu6_as_relu` makes it
  one for the length of the call, so that the same rules apply (guided backpropagation then also masks where the
  forward clipped at 6).

What it cannot cover is a rectification that is not a module: ``F.relu``, ``torch.relu``, ``x.relu()`` (and their
in-place and ReLU6 forms) inside a ``forward``, as torchvision's GoogLeNet and Inception v3 (every ``BasicConv2d``)
and DenseNet (after its last block) do. Their backward would stay the plain gradient's, silently mixing the rules:
:func:`audit_forward` finds those that run before the unit's layer, and the caller refuses. Other nonlinearities
(GELU, SiLU, Hardswish, sigmoid gates…) have no rule in either method: they pass the plain gradient, and the caller
says so in its notes. ``torch.clamp(x, min=0)`` is not recognised as a ReLU.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

__all__ = ["ForwardAudit", "audit_forward", "relu6_as_relu"]

_RECTIFIER_MODULES = (nn.ReLU, nn.ReLU6)
# The nonlinearities whose backward neither method changes (plain gradient through them).
_OTHER_MODULES = (
    nn.GELU, nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.PReLU, nn.RReLU,
    nn.ELU, nn.SELU, nn.CELU, nn.Mish, nn.Softplus, nn.Hardtanh, nn.GLU,
)  # fmt: skip
_RECTIFIER_FUNCTIONS: Mapping[Callable[..., Any], str] = {
    F.relu: "F.relu",
    F.relu_: "F.relu_",
    torch.relu: "torch.relu",
    torch.relu_: "torch.relu_",
    torch.Tensor.relu: "Tensor.relu",
    torch.Tensor.relu_: "Tensor.relu_",
    F.relu6: "F.relu6",
    F.hardtanh: "F.hardtanh",
    F.hardtanh_: "F.hardtanh_",
}
_OTHER_FUNCTIONS: Mapping[Callable[..., Any], str] = {
    F.gelu: "GELU",
    F.silu: "SiLU",
    F.hardswish: "Hardswish",
    F.hardsigmoid: "Hardsigmoid",
    F.sigmoid: "Sigmoid",
    torch.sigmoid: "Sigmoid",
    torch.Tensor.sigmoid: "Sigmoid",
    torch.tanh: "Tanh",
    torch.Tensor.tanh: "Tanh",
    F.leaky_relu: "LeakyReLU",
    F.elu: "ELU",
    F.mish: "Mish",
    F.softplus: "Softplus",
}


class _Stop(Exception):
    """Raised by the layer's hook: nothing after the unit's layer matters to it."""


@dataclass
class ForwardAudit:
    """What ran up to the unit's layer (its first call): the layer's output and the nonlinearities before it."""

    output: torch.Tensor  # the layer's output (a detached copy), batch included
    rectifier_modules: int = 0  # nn.ReLU / nn.ReLU6 calls
    relu6_modules: int = 0  # of those, nn.ReLU6
    functional: list[tuple[str, str]] = field(default_factory=list)  # (function, module it ran in) of F.relu & co
    others: Counter[str] = field(default_factory=Counter)  # other nonlinearities by name (modules and functions)


@dataclass
class _Seen:
    """The counts of :class:`ForwardAudit`, made while the forward runs."""

    rectifiers: int = 0
    relu6: int = 0
    functional: list[tuple[str, str]] = field(default_factory=list)
    others: Counter[str] = field(default_factory=Counter)


class _Watch(TorchFunctionMode):
    """Sees every torch function called in the forward; counts rectifications made outside a ReLU module."""

    def __init__(self, stack: list[nn.Module], names: Mapping[nn.Module, str], found: _Seen) -> None:
        super().__init__()
        self.stack, self.names, self.found = stack, names, found

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Sequence[type],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        # A module's own functional call (nn.ReLU calls F.relu) is that module's, counted by the module hooks.
        inside = bool(self.stack) and isinstance(self.stack[-1], (*_RECTIFIER_MODULES, *_OTHER_MODULES))
        if not inside:
            if func in _RECTIFIER_FUNCTIONS:
                where = self.names.get(self.stack[-1], "") if self.stack else ""
                self.found.functional.append((_RECTIFIER_FUNCTIONS[func], where or "the network's forward"))
            elif func in _OTHER_FUNCTIONS:
                self.found.others[_OTHER_FUNCTIONS[func]] += 1
        return func(*args, **dict(kwargs or {}))


def audit_forward(model: nn.Module, layer: str, tensor: torch.Tensor) -> ForwardAudit:
    """Run ``model`` on ``tensor`` (no gradients) up to the end of ``layer``'s first call; what ran before it."""
    target = model.get_submodule(layer)
    names = {module: name for name, module in model.named_modules()}
    stack: list[nn.Module] = []
    found = _Seen()
    captured: list[torch.Tensor] = []

    def enter(module: nn.Module, _inputs: Any) -> None:
        stack.append(module)
        if isinstance(module, _RECTIFIER_MODULES):
            found.rectifiers += 1
            found.relu6 += isinstance(module, nn.ReLU6)
        elif isinstance(module, _OTHER_MODULES):
            found.others[type(module).__name__] += 1

    def leave(module: nn.Module, _inputs: Any, output: Any) -> None:
        if module is target:
            tensor_out = output[0] if isinstance(output, (tuple, list)) else output
            if not isinstance(tensor_out, torch.Tensor):
                raise TypeError(f"{layer} returned {type(tensor_out).__name__}, not a tensor")
            captured.append(tensor_out.detach().clone())  # an in-place op after the layer must not change it
            raise _Stop
        if stack and stack[-1] is module:
            stack.pop()

    handles = []
    for module in names:
        handles.append(module.register_forward_pre_hook(enter))
        handles.append(module.register_forward_hook(leave))
    try:
        with torch.no_grad(), _Watch(stack, names, found):
            model(tensor)
    except _Stop:
        pass
    finally:
        for handle in handles:
            handle.remove()
    if not captured:
        raise LookupError(f"{layer} did not run in the forward pass")
    return ForwardAudit(
        output=captured[0],
        rectifier_modules=found.rectifiers,
        relu6_modules=found.relu6,
        functional=found.functional,
        others=found.others,
    )


class _ReLU6AsReLU(nn.ReLU6, nn.ReLU):
    """An ``nn.ReLU6`` that is also an ``nn.ReLU`` for ``isinstance``: its forward stays ReLU6's (``Hardtanh``'s,
    first in the method order), its attributes (``min_val``, ``max_val``, ``inplace``) are the instance's own."""


@contextlib.contextmanager
def relu6_as_relu(model: nn.Module) -> Iterator[int]:
    """For the length of the block, every ``nn.ReLU6`` of ``model`` is an ``nn.ReLU`` to Captum (its hooks pick
    modules by ``isinstance``); yields how many. The class is swapped in place rather than the model copied (a VGG
    is half a gigabyte) and always swapped back; the forward computes the same either way."""
    swapped = [module for module in model.modules() if type(module) is nn.ReLU6]
    try:
        for module in swapped:
            module.__class__ = _ReLU6AsReLU
        yield len(swapped)
    finally:
        for module in swapped:
            module.__class__ = nn.ReLU6
