"""Models built on the meta device: shapes and costs without memory or arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from viewer.engine import registry

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


def meta_model(name: str, **kwargs: Any) -> nn.Module:
    """``registry.build_model(name)`` with every tensor on the meta device: instant, no memory."""
    try:
        with torch.device("meta"):
            return registry.build_model(name, **kwargs)
    except (NotImplementedError, RuntimeError):
        with _parameters_on_meta():
            return registry.build_model(name, **kwargs)
