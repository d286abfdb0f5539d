"""Which evaluation recipe (resize, crop, interpolation, mean, std) a network's weights get.

torchvision's weights enums say their own (``transforms()``); a weights *file* is recognised when its sha256
begins as one of torchvision's published files of that architecture (their names carry that prefix:
``mobilenet_v2-b0353104.pth``), or when the checkpoint saved a ``recipe`` entry beside its state_dict (an
enum name, the ``--recipe`` text, or a mapping of :data:`viewer.core.network.recipe.RECIPE_KEYS`). Otherwise the
network's default recipe stays, and its ``said_by`` says that nothing told it. A ``--recipe`` given by the
user always wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from torchvision import models as tv_models

from viewer.core.network.input import InputSpec
from viewer.core.network.recipe import NOT_SAID, Recipe, RecipeError, parse_recipe
from viewer.engine.models.registry import ModelSpec

__all__ = [
    "checkpoint_recipe",
    "enum_recipe",
    "enum_recipes",
    "input_for",
    "published_member",
    "resolve_recipe",
    "spec_recipe",
]

_HASH_IN_URL = re.compile(r"-([a-f0-9]{8,})\.[a-z]+$")


def enum_recipe(member: tv_models.WeightsEnum, *, said_by: str) -> Recipe:
    """The recipe of a torchvision weights entry, read from its own ``transforms()``."""
    transform = member.transforms()
    return Recipe(
        resize=int(transform.resize_size[0]),
        crop=int(transform.crop_size[0]),
        interpolation=str(transform.interpolation.value),
        mean=tuple(float(v) for v in transform.mean),
        std=tuple(float(v) for v in transform.std),
        name=member.name,
        said_by=said_by,
    )


def spec_recipe(spec: InputSpec, *, name: str = "", said_by: str) -> Recipe:
    """An ``InputSpec``'s preprocessing as a recipe."""
    return Recipe(spec.resize_size, spec.crop_size, spec.interpolation, spec.mean, spec.std, name, said_by)


def input_for(recipe: Recipe, channels: int) -> InputSpec:
    """The ``InputSpec`` a network is fed with under ``recipe``."""
    if len(recipe.mean) != channels or len(recipe.std) != channels:
        raise RecipeError(
            f"recipe: mean and std need {channels} value(s) each for this network's {channels}-channel input."
        )
    return InputSpec(channels, recipe.crop, recipe.resize, recipe.mean, recipe.std, recipe.interpolation)


def _enum_of(spec: ModelSpec) -> Any | None:
    if spec.source != "torchvision":
        return None
    return tv_models.get_model_weights(spec.weights_of or spec.name)


def enum_recipes(spec: ModelSpec) -> tuple[Recipe, ...]:
    """The recipe of each torchvision weights entry of ``spec``'s architecture (none for other networks): what
    a weights file of it may have been trained with, for the GUI to offer."""
    return tuple(enum_recipe(member, said_by="the weights") for member in _enum_of(spec) or ())


def published_member(spec: ModelSpec, sha256: str) -> tv_models.WeightsEnum | None:
    """The torchvision weights entry of ``spec``'s architecture whose published file has this sha256, if any."""
    enum = _enum_of(spec)
    for member in enum or ():
        match = _HASH_IN_URL.search(member.url)
        if match and sha256.startswith(match.group(1)):
            return member
    return None


def checkpoint_recipe(checkpoint: Any) -> Any | None:
    """The ``recipe`` entry a checkpoint saved beside its state_dict (``{"state_dict": ..., "recipe": ...}``)."""
    if isinstance(checkpoint, Mapping):
        return checkpoint.get("recipe")
    return None


def _requested(spec: ModelSpec, request: Any, base: Recipe, channels: int, said_by: str) -> Recipe:
    """``request`` (``--recipe`` text, or a checkpoint's entry) applied over ``base``."""
    if isinstance(request, Mapping):
        text = ",".join(
            f"{key}={':'.join(map(str, value)) if isinstance(value, list | tuple) else value}"
            for key, value in request.items()
        )
        parsed = parse_recipe(text, channels=channels)
    elif isinstance(request, str):
        parsed = parse_recipe(request, channels=channels)
    else:
        raise RecipeError(f"recipe: {type(request).__name__} is neither an enum name nor key=value text.")
    if isinstance(parsed, dict):
        return base.with_values(parsed, said_by=said_by)
    enum = _enum_of(spec)
    if enum is None:
        raise RecipeError(
            f"recipe {parsed}: {spec.name} has no torchvision weights enum; give explicit values "
            "(resize=...,crop=...,interpolation=...,mean=...,std=...)."
        )
    try:
        member = enum[parsed]
    except KeyError:
        known = ", ".join(m.name for m in enum)
        raise RecipeError(f"recipe {parsed}: {spec.name} has no such weights (known: {known}).") from None
    return enum_recipe(member, said_by=said_by)


def resolve_recipe(
    spec: ModelSpec,
    *,
    default: Recipe,
    channels: int,
    request: str | None = None,
    file_sha256: str | None = None,
    saved: Any | None = None,
) -> Recipe:
    """The recipe the weights get: ``request`` (``--recipe``) if given; for a file, the one its sha256 or its
    checkpoint's ``saved`` entry says; else ``default`` (the weights' own, or for a file the network's default,
    with ``said_by`` saying that the file did not tell)."""
    if request:
        return _requested(spec, request, default, channels, "--recipe")
    if file_sha256 is None:
        return default
    member = published_member(spec, file_sha256)
    if member is not None:
        file_name = member.url.rsplit("/", 1)[-1]
        return enum_recipe(member, said_by=f"the file's sha256: torchvision's published {file_name}")
    if saved is not None:
        return _requested(spec, saved, default, channels, "the checkpoint's saved recipe")
    what = f"the default weights' {default.name}" if default.name else "the network's default"
    return replace(default, said_by=f"{NOT_SAID}: {what} recipe")
