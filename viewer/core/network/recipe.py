"""The evaluation recipe of a set of weights: resize, centre crop, interpolation, mean and std (plain Python).

Weights are trained with one preprocessing, and give their published accuracy only with it: torchvision's
MobileNetV2 ``IMAGENET1K_V1`` resizes the short side to 256 (bilinear), ``IMAGENET1K_V2`` to 232. A weights
*file* does not always say which it was trained with, so a :class:`Recipe` carries, beside its values, how it
was chosen (``said_by``): given with ``--recipe``, recognised from the file (torchvision's published sha256, or
a ``recipe`` entry saved in the checkpoint), or the network's default because nothing said otherwise. Every
result's provenance records it (:meth:`Recipe.as_dict`), and the GUI can ask for one per file and remember it
as text (:func:`format_recipe` is read back by :func:`parse_recipe`).

The text form, as ``--recipe`` takes it, is either a torchvision weights enum name of the network
(``IMAGENET1K_V1``: that entry's ``transforms()``) or explicit values, comma-separated ``key=value`` pairs::

    resize=256,crop=224,interpolation=bilinear,mean=0.485:0.456:0.406,std=0.229:0.224:0.225

Keys left out keep the network's default recipe; ``mean`` and ``std`` list one value per channel, separated by
colons; ``interpolation`` is one of :data:`INTERPOLATIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from viewer.core.errors import ViewerError

__all__ = [
    "INTERPOLATIONS",
    "NOT_SAID",
    "RECIPE_KEYS",
    "Recipe",
    "RecipeError",
    "check_recipe_text",
    "format_recipe",
    "parse_recipe",
    "recipe_used",
    "used_details",
    "used_label",
]

INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
RECIPE_KEYS = ("resize", "crop", "interpolation", "mean", "std")
NOT_SAID = "not said by the file"  # how ``said_by`` begins when a weights file did not say its recipe
RECIPE_SYNTAX = "an enum name such as IMAGENET1K_V1, or resize=256,crop=224,interpolation=bilinear,mean=A:B:C,std=A:B:C"


class RecipeError(ViewerError):
    """A ``--recipe`` (or a checkpoint's ``recipe`` entry) that cannot be read: one sentence saying why."""


@dataclass(frozen=True)
class Recipe:
    """The evaluation preprocessing of a set of weights, and how it was chosen."""

    resize: int  # the short side is resized to this many pixels ...
    crop: int  # ... then the central crop × crop square is cut
    interpolation: str  # one of INTERPOLATIONS
    mean: tuple[float, ...]  # per channel, subtracted after scaling to [0, 1]
    std: tuple[float, ...]
    name: str = ""  # the torchvision enum name whose transforms() these are, "" for explicit values
    said_by: str = ""  # why this recipe: "--recipe", "the weights", "the file's sha256 ...", "not said by the file ..."

    def with_values(self, values: Mapping[str, Any], *, said_by: str) -> Recipe:
        """This recipe with ``values`` (a subset of :data:`RECIPE_KEYS`) replaced; its name is dropped."""
        unknown = sorted(set(values) - set(RECIPE_KEYS))
        if unknown:
            raise RecipeError(f"recipe: unknown key(s) {', '.join(unknown)} (use {', '.join(RECIPE_KEYS)}).")
        changed = {key: value for key, value in values.items() if getattr(self, key) != value}
        return replace(self, **values, name=self.name if not changed else "", said_by=said_by)

    @property
    def assumed(self) -> bool:
        """True when a weights file did not say its recipe and this one (the network's default) was assumed."""
        return self.said_by.startswith(NOT_SAID)

    @property
    def short_label(self) -> str:
        """The values that tell recipes apart, for a status line: ``IMAGENET1K_V1: resize 256, crop 224, bilinear``."""
        values = f"resize {self.resize}, crop {self.crop}, {self.interpolation}"
        return f"{self.name}: {values}" if self.name else values

    @property
    def label(self) -> str:
        """One line for a view: ``IMAGENET1K_V1: resize 256, crop 224, bilinear, mean …, std …``."""
        mean = ", ".join(f"{v:g}" for v in self.mean)
        std = ", ".join(f"{v:g}" for v in self.std)
        values = f"resize {self.resize}, crop {self.crop}, {self.interpolation}, mean ({mean}), std ({std})"
        return f"{self.name}: {values}" if self.name else values

    def as_dict(self) -> dict[str, Any]:
        """The JSON form every result's provenance embeds."""
        return {
            "resize": self.resize,
            "crop": self.crop,
            "interpolation": self.interpolation,
            "mean": list(self.mean),
            "std": list(self.std),
            "name": self.name or None,
            "said_by": self.said_by,
        }


def recipe_used(recipe: Recipe, preset: str) -> dict[str, Any]:
    """What of ``recipe`` a preset actually applied, for provenance: ``weights`` all of it, ``full`` only the
    normalisation (no resize or crop), ``standardize`` none of it (the lecture's per-image standardisation)."""
    used = recipe.as_dict()
    if preset in ("full", "standardize"):
        used.update(resize=None, crop=None, interpolation=None)
    if preset == "standardize":
        used.update(mean=None, std=None)
    used["preset"] = preset
    return used


def parse_recipe(text: str, *, channels: int = 3) -> str | dict[str, Any]:
    """``--recipe`` as an enum name (returned upper-cased, for the engine to look up) or explicit values.

    Raises:
        RecipeError: one sentence naming the part that cannot be read.
    """
    text = text.strip()
    if not text:
        raise RecipeError(f"--recipe is empty: give {RECIPE_SYNTAX}.")
    if "=" not in text:
        if not text.replace("_", "").isalnum():
            raise RecipeError(f"--recipe {text}: give {RECIPE_SYNTAX}.")
        return text.upper()
    values: dict[str, Any] = {}
    for part in text.split(","):
        key, sep, value = (piece.strip() for piece in part.partition("="))
        key = key.lower()
        if not sep or key not in RECIPE_KEYS:
            raise RecipeError(f"--recipe: {part.strip()!r} is not key=value with a key among {', '.join(RECIPE_KEYS)}.")
        if key in values:
            raise RecipeError(f"--recipe: {key} is given twice.")
        values[key] = _value(key, value, channels)
    return values


def check_recipe_text(text: str) -> None:
    """Raise :class:`RecipeError` when ``text`` is no recipe for any network (before the network is known: mean
    and std are checked against its channel count when it is loaded; ``viewer gui --recipe``)."""
    counts = {
        len(part.partition("=")[2].split(":"))
        for part in text.split(",")
        if part.partition("=")[0].strip().lower() in ("mean", "std")
    }
    parse_recipe(text, channels=min(counts) if counts else 3)


def _value(key: str, text: str, channels: int) -> Any:
    if key in ("resize", "crop"):
        if not text.isdigit() or int(text) < 1:
            raise RecipeError(f"--recipe: {key}={text}: expected a whole number of pixels, at least 1.")
        return int(text)
    if key == "interpolation":
        if text.lower() not in INTERPOLATIONS:
            raise RecipeError(f"--recipe: interpolation={text}: use {', '.join(INTERPOLATIONS)}.")
        return text.lower()
    try:
        numbers = tuple(float(v) for v in text.split(":"))
    except ValueError:
        raise RecipeError(f"--recipe: {key}={text}: expected numbers separated by colons, e.g. 0.5:0.5:0.5.") from None
    if len(numbers) != channels:
        raise RecipeError(f"--recipe: {key}={text}: {len(numbers)} value(s) for a {channels}-channel input.")
    if not all(math.isfinite(v) for v in numbers) or (key == "std" and not all(v > 0 for v in numbers)):
        raise RecipeError(
            f"--recipe: {key}={text}: every value must be finite{' and positive' if key == 'std' else ''}."
        )
    return numbers


def format_recipe(recipe: Recipe) -> str:
    """The explicit text form of ``recipe`` (what :func:`parse_recipe` reads back)."""
    return (
        f"resize={recipe.resize},crop={recipe.crop},interpolation={recipe.interpolation},"
        f"mean={':'.join(repr(v) for v in recipe.mean)},std={':'.join(repr(v) for v in recipe.std)}"
    )


def used_label(used: Mapping[str, object]) -> str:
    """`` (IMAGENET1K_V1: resize 256, crop 224, bilinear)``: the resize and crop a result's provenance says
    (:func:`recipe_used`), "" when its preset applied none (``full``, ``standardize``: the whole image)."""
    if used.get("resize") is None:
        return ""
    name = f"{used['name']}: " if used.get("name") else ""
    return f" ({name}resize {used['resize']}, crop {used.get('crop')}, {used.get('interpolation')})"


def used_details(used: Mapping[str, object]) -> str:
    """Every value of a result's recipe (:func:`recipe_used`) on its own line, and what chose it (a tooltip)."""
    if not used:
        return ""
    lines = [f"{key}: {used[key]}" for key in ("resize", "crop", "interpolation", "mean", "std") if key in used]
    said_by = used.get("said_by")
    said_by = "the user's choice (--recipe, or the window's Recipe…)" if said_by == "--recipe" else said_by
    return "Preprocessing applied\n" + "\n".join(lines) + (f"\nchosen by: {said_by}" if said_by else "")
