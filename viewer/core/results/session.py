"""What the window knows of the machine, the loaded model and the opened images, and what an export wrote.

``Registry`` is read once at start-up (the zoo, the devices, the versions); ``ModelInfo`` describes the model the
engine holds (never the module itself); ``ImageEntry`` is an opened image as plain arrays (the whole image, the
screen's copy, the thumbnail), which is also what jobs get: the engine makes its own picture of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from viewer.core.network.choice import ModelChoice
from viewer.core.network.recipe import Recipe
from viewer.core.network.spec import NetworkSpec

__all__ = ["ExportResult", "ImageEntry", "ModelInfo", "OpenResult", "Registry"]


@dataclass(frozen=True)
class Registry:
    """The model zoo and the machine, read once at start-up."""

    specs: list[NetworkSpec]  # in the lecture's family order
    family_order: tuple[str, ...]
    devices: list[str]  # "cuda:0", ..., "mps", "cpu"
    auto_device: str
    versions: dict[str, str]
    weights_dir: str = ""  # torch hub's checkpoints folder, where pretrained weights are (or would be) cached


# eq=False: an entry is one opened image (compared and hashed by identity), never equal to another by its pixels.
@dataclass(frozen=True, eq=False)
class ImageEntry:
    """An opened image: the whole picture every job reads, and what the panels show of it."""

    path: str
    pixels: np.ndarray  # uint8 HxWx3 RGB, upright (EXIF applied, alpha composited over white): what jobs read
    original_mode: str  # the file's own mode ("L", "RGBA", ...) before it was made RGB
    original_size: tuple[int, int]  # (width, height) after EXIF orientation
    display: np.ndarray  # uint8 HxWx3, longer side at most 4096 (``pixels`` itself when no larger)
    thumbnail: np.ndarray  # uint8 hxwx3
    preview: np.ndarray | None = None  # uint8, longer side at most PREVIEW_SIDE (scaled on the worker)
    notes: list[str] = field(default_factory=list)  # what was done to it that a user should know
    key: str = ""  # given by the engine that opened it: later jobs name it so (viewer.core.images.refs)

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of ``pixels``."""
        return (int(self.pixels.shape[1]), int(self.pixels.shape[0]))


@dataclass(frozen=True)
class OpenResult:
    images: list[ImageEntry]
    errors: list[str] = field(default_factory=list)  # one sentence per file that could not be opened


@dataclass(frozen=True)
class ModelInfo:
    """What the views need to know about the model now loaded (never the module itself)."""

    name: str
    label: str
    weights_label: str
    pretrained: bool
    device: str
    categories: tuple[str, ...]
    input_shape: tuple[int, int, int]
    resize_size: int  # the weights' resize before the centre crop (maps input boxes back onto the image)
    family: str
    paper: str
    weights: str = ""  # what was loaded: an enum name, "MNIST", "none" or a file (for the presets' fit)
    mean: tuple[float, ...] = ()  # the normalisation the weights were trained with
    std: tuple[float, ...] = ()
    key: ModelChoice | None = None  # the choice it was loaded (and cached) under, set by the state
    weights_sha256: str | None = None  # of a weights file (or the bundled weights)
    recipe: Recipe | None = None  # the evaluation recipe in use, and what said it (``Recipe.said_by``)
    own_recipe: Recipe | None = None  # the one without the choice's ``recipe``: the file's or the default
    recipe_choices: tuple[Recipe, ...] = ()  # the recipes of the architecture's torchvision weights, to offer


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: its folder, the files, and one sentence per problem (the others were written)."""

    folder: str
    files: list[str]
    errors: list[str]
