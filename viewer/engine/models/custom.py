"""Custom architectures: a user's ``file.py:function`` that returns an ``nn.Module``, and what it declares.

A custom model may declare ``categories`` (or ``classes``), ``input_size`` (C, N, N), ``mean`` and ``std`` on
the builder function (or as globals of its file) or on the module the function returns; both are read, and the
same attribute set on both with different values is refused (which one was meant cannot be guessed).
"""

from __future__ import annotations

import hashlib
import importlib.util
import operator
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from viewer.core.errors import ModelError
from viewer.core.hashing import sha256_bytes
from viewer.core.network.input import InputSpec
from viewer.engine.models import registry
from viewer.engine.models.registry import ModelSpec

__all__ = ["custom_spec", "with_module_attributes"]


def custom_spec(reference: str, expected_sha256: str | None = None) -> ModelSpec:
    """A spec for ``path/to/file.py:builder``: a user's function that returns an ``nn.Module``.

    Optional attributes, on the function (or, failing that, as globals of its file): ``categories`` (or
    ``classes``, a list of names), ``input_size`` (C, H, W), ``mean`` and ``std``. The same attributes set on
    the ``nn.Module`` the function returns are read once it is built (``with_module_attributes``, which
    ``load_model`` calls). Running the file runs the user's code: callers
    must only pass files the user named explicitly. With ``expected_sha256`` (the content the user agreed
    to run) the file is read once, checked, and those very bytes are run: a file changed after the user's
    consent is refused rather than run.
    """
    file_part, _, function_name = reference.rpartition(":")
    if not file_part or not function_name:
        raise ModelError(f"{reference}: expected path/to/file.py:function_name.")
    path = Path(file_part).expanduser()
    if not path.is_file():
        raise ModelError(f"{path.name}: no such model file.")
    try:
        source = path.read_bytes()
    except OSError as error:
        raise ModelError(f"{path.name}: cannot be read ({error.strerror or error}).") from None
    if expected_sha256 is not None and sha256_bytes(source) != expected_sha256:
        raise ModelError(
            f"{path.name}: changed since you allowed it to run, so it was not run; choose it again to review it."
        )
    module_name = f"viewer_custom_{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ModelError(f"{path.name}: not a Python file.")
    module = importlib.util.module_from_spec(loader_spec)
    # Registered as an import would be, so that code needing its own module works (dataclasses with
    # postponed annotations, pickling, inspect.getsource).
    sys.modules[module_name] = module
    try:
        # The bytes read (and checked) above, not a second read of the file; dont_inherit: the user's file gets
        # its own __future__ imports, not this module's.
        code = compile(source, str(path), "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise ModelError(f"{path.name}: failed to run ({type(error).__name__}: {error}).") from None
    builder = getattr(module, function_name, None)
    if not callable(builder):
        raise ModelError(f"{path.name}: has no function {function_name!r}.")

    declared = _declared_attributes(module, builder)
    return _custom_spec_from(path, function_name, builder, declared)


# The optional attributes of a custom model, each with the names it may go by.
_ATTRIBUTES = {
    "categories": ("categories", "classes"),
    "input_size": ("input_size",),
    "mean": ("mean",),
    "std": ("std",),
}


def _declared_attributes(*owners: Any) -> dict[str, Any]:
    """The optional attributes set on the first of ``owners`` that has each (builder function, then its file).

    Tensors are skipped: a model that registers a ``mean`` buffer normalises its input itself, and that buffer
    is not the preprocessing the app should apply before it.
    """
    found: dict[str, Any] = {}
    for key, names in _ATTRIBUTES.items():
        for owner in owners:
            value = next(
                (
                    getattr(owner, n, None)
                    for n in names
                    if getattr(owner, n, None) is not None and not isinstance(getattr(owner, n), torch.Tensor)
                ),
                None,
            )
            if value is not None:
                found[key] = value
                break
    return found


def _custom_spec_from(path: Path, function_name: str, builder: Callable[..., Any], found: dict[str, Any]) -> ModelSpec:
    size = found.get("input_size", (3, 224, 224))
    try:
        channels, height, width = (operator.index(v) for v in size)
    except (TypeError, ValueError):
        raise ModelError(f"{path.name}: input_size must be three integers (C, H, W), not {size!r}.") from None
    if min(channels, height, width) <= 0:
        raise ModelError(f"{path.name}: input_size {size!r} must be positive.")
    if height != width:
        # Preprocessing (torchvision's resize + centre crop) and the heatmap geometry assume a square input.
        raise ModelError(
            f"{path.name}: input_size {channels}x{height}x{width} is not square; only square inputs "
            "(C, N, N) are supported."
        )
    categories = found.get("categories") or ()
    try:
        mean = tuple(float(v) for v in found.get("mean", registry.IMAGENET_MEAN if channels == 3 else (0.5,)))
        std = tuple(float(v) for v in found.get("std", registry.IMAGENET_STD if channels == 3 else (0.5,)))
    except (TypeError, ValueError):
        raise ModelError(f"{path.name}: mean and std must be sequences of numbers, one per channel.") from None
    if len(mean) not in (1, channels) or len(std) not in (1, channels):
        raise ModelError(
            f"{path.name}: mean and std need one value per input channel ({channels}), not {len(mean)} and {len(std)}."
        )
    return ModelSpec(
        name=f"{path.stem}:{function_name}",
        family="Custom",
        paper=str(path),
        source="custom",
        input=InputSpec(int(channels), int(height), int(height), mean, std),
        categories=tuple(str(c) for c in categories),
        weights=(),
        default_weights=None,
        builder=builder,
    )


def _comparable(key: str, value: Any) -> Any:
    """A value in one form, so that a list and a tuple, or 3 and 3.0, set on either side do not conflict."""
    try:
        if key == "categories":
            return tuple(str(v) for v in value)
        if key == "input_size":
            return tuple(operator.index(v) for v in value)
        return tuple(round(float(v), 9) for v in value)
    except (TypeError, ValueError):
        return value


def with_module_attributes(spec: ModelSpec, model: nn.Module) -> ModelSpec:
    """``spec`` completed with the attributes set on the module its builder returned.

    A custom model may declare ``categories`` (or ``classes``), ``input_size``, ``mean`` and ``std`` on the
    builder function (``custom_spec`` reads those) or on the ``nn.Module`` it returns (read here). The same
    attribute set on both with different values is a ``ModelError``: which one was meant cannot be guessed.
    Registry specs are returned unchanged.
    """
    if spec.source != "custom" or spec.builder is None:
        return spec
    on_module = _declared_attributes(model)
    if not on_module:
        return spec
    path = Path(spec.paper)
    on_builder = _declared_attributes(spec.builder, sys.modules.get(getattr(spec.builder, "__module__", ""), None))
    for key, value in on_module.items():
        if key in on_builder and _comparable(key, on_builder[key]) != _comparable(key, value):
            shown = (
                f"{len(on_builder[key])} vs {len(value)} names"
                if key == "categories"
                else f"{tuple(on_builder[key])} vs {tuple(value)}"
            )
            raise ModelError(
                f"{path.name}: {key} is set on the function {spec.builder.__name__} and on the module it "
                f"returns, with different values ({shown}); keep one."
            )
    return _custom_spec_from(path, spec.name.rpartition(":")[2], spec.builder, {**on_builder, **on_module})
