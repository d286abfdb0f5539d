"""Models built on the meta device: shapes and costs without memory or arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from viewer.engine.models import registry

__all__ = ["meta_model"]


@contextmanager
def _parameters_on_meta() -> Iterator[None]:
    # RegNet's builder computes its widths with tensors and `.tolist()`, which a `torch.device("meta")`
    # context forbids. This keeps construction on the CPU but moves each parameter and buffer to the meta
    # device as it is registered (accelerate's `init_empty_weights` trick), so nothing large is allocated.
    register_parameter, register_buffer = nn.Module.register_parameter, nn.Module.register_buffer

    def parameter_on_meta(self: nn.Module, name: str, param: nn.Parameter | None) -> None:
        register_parameter(self, name, param)
        if param is not None:
            self._parameters[name] = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)

    def buffer_on_meta(self: nn.Module, name: str, tensor: torch.Tensor | None, persistent: bool = True) -> None:
        register_buffer(self, name, tensor, persistent)
        if tensor is not None:
            self._buffers[name] = tensor.to("meta")

    nn.Module.register_parameter = parameter_on_meta  # type: ignore[method-assign]
    nn.Module.register_buffer = buffer_on_meta  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.register_parameter = register_parameter  # type: ignore[method-assign]
        nn.Module.register_buffer = register_buffer  # type: ignore[method-assign]


# The in-place ops that weight initialisation (``torch.nn.init``, the modules' ``reset_parameters``) applies to
# parameters: they change values only, never a shape or a dtype, and a meta tensor has no values.
_VALUE_ONLY_IN_PLACE = frozenset(
    getattr(torch.Tensor, name)
    for name in (
        "normal_", "uniform_", "zero_", "fill_", "exponential_", "random_", "bernoulli_", "cauchy_",
        "log_normal_", "geometric_", "erfinv_", "mul_", "add_", "sub_", "div_", "clamp_", "copy_",
    )
)  # fmt: skip


class _NoInitOnMeta(TorchFunctionMode):
    """Weight initialisation on meta tensors returns at once.

    On the meta device each ``normal_`` or ``uniform_`` still runs PyTorch's Python decompositions and meta
    kernels: about half of building a MobileNet there, all of it Python holding the GIL while the GUI thread
    waits to repaint (``viewer bench``: stalls while switching models). The values would be meaningless anyway.
    """

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        if func in _VALUE_ONLY_IN_PLACE and args and isinstance(args[0], torch.Tensor) and args[0].is_meta:
            return args[0]
        return func(*args, **(kwargs or {}))


def meta_model(name: str, **kwargs: Any) -> nn.Module:
    """``registry.build_model(name)`` with every tensor on the meta device: instant, no memory."""
    try:
        with torch.device("meta"), _NoInitOnMeta():
            return registry.build_model(name, **kwargs)
    except (NotImplementedError, RuntimeError):
        with _parameters_on_meta(), _NoInitOnMeta():
            return registry.build_model(name, **kwargs)
