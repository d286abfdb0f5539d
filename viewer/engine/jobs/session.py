"""The jobs of a session's start and its images: the zoo and the machine, opened images, the loaded model.

``load_registry`` is a window's first job: the zoo, and the devices of the machine the engine runs on (a GPU
server's, for a remote engine), which the window's device picker lists.
"""

from __future__ import annotations

import platform
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from viewer.core.images.files import ImageFile
from viewer.core.results.session import ImageEntry, ModelInfo, OpenResult, Registry
from viewer.engine.jobs.images import keep_picture

if TYPE_CHECKING:
    from viewer.engine.models.weights import LoadedModel

__all__ = [
    "DISPLAY_SIDE",
    "PREVIEW_SIDE",
    "THUMBNAIL_SIDE",
    "load_registry",
    "model_info",
    "open_images",
]

THUMBNAIL_SIDE = 96
PREVIEW_SIDE = 400  # the Predictions tab's "Original" (about 200 px, twice for high-DPI screens)
DISPLAY_SIDE = 4096  # the image panel's copy (``to_display_array``'s limit)


def load_registry() -> Registry:
    """The zoo, the machine's devices and the versions (the first job of a window)."""
    import torch
    import torchvision

    from viewer import __version__
    from viewer.engine.models import registry
    from viewer.engine.models.weights import resolve_device

    devices = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    devices.append("cpu")
    auto = resolve_device("auto")
    versions = {
        "viewer": __version__,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "PySide6 (Qt)": _qt_version(),
        "Python": platform.python_version(),
    }
    if auto.type == "cuda":
        versions["GPU"] = torch.cuda.get_device_name(auto.index or 0)
    # Importing a module holds the GIL in long stretches (unmarshalling, class creation) that the GUI thread
    # feels as stalls; the analysis modules are imported now, while the user waits for start-up anyway,
    # rather than in the middle of the first heatmap. About 40 ms. Captum (with matplotlib, which it imports)
    # and grandalf are imported here too, in the collector's freeze (about 0.35 s on a 2-core machine): imported
    # at the first Explain tab or diagram they left 50 thousand objects that every later full collection
    # walked, holding the GIL, which made the longest stalls of ``viewer bench``'s 200-switch soak.
    import captum.attr  # noqa: F401

    import viewer.engine.activations
    import viewer.engine.explain.methods
    import viewer.engine.heatmap.dense
    import viewer.engine.inference
    import viewer.engine.layout.layered
    import viewer.engine.summary  # noqa: F401
    from viewer.engine.models.download import cache_dir

    specs = [spec.plain() for spec in registry.list_specs()]  # the builders stay here
    return Registry(specs, registry.FAMILY_ORDER, devices, str(auto), versions, str(cache_dir()))


def _qt_version() -> str:
    """The window's Qt binding's version, read from its package metadata: the engine never imports Qt."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("PySide6")
    except PackageNotFoundError:
        return "not installed"


def open_images(files: Sequence[ImageFile]) -> OpenResult:
    """Decode every file the window read (its bytes: the engine never opens the window's paths).

    The window reads the files (``viewer.core.images.files.read_image_files``) and keeps its own refusals; the
    result's errors are the files that do not decode, one sentence each, naming the file.
    """
    from PIL import Image

    from viewer.core.errors import ImageError
    from viewer.engine.images import decode_image, to_display_array

    errors: list[str] = []
    entries = []
    for file in files:
        if not isinstance(file, ImageFile):  # a path, say: the engine never opens one (it is the window's)
            raise TypeError(f"open_images takes ImageFile (bytes read by the window), not {type(file).__name__}")
        try:
            loaded = decode_image(file)
        except ImageError as error:
            errors.append(str(error))
            continue
        preview = loaded.image.copy()
        preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.BILINEAR)
        thumb = preview.copy()
        thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.BILINEAR)
        pixels = np.asarray(loaded.image)
        # The panel's copy is the image itself unless it is larger than the panel shows (then downscaled).
        display = pixels if max(loaded.image.size) <= DISPLAY_SIDE else to_display_array(loaded, DISPLAY_SIDE)
        entry = ImageEntry(
            loaded.path,
            pixels,
            loaded.original_mode,
            loaded.original_size,
            display,
            np.asarray(thumb.convert("RGB")),
            np.asarray(preview.convert("RGB")),
            list(loaded.notes),
            key=secrets.token_hex(8),
        )
        keep_picture(entry, loaded)
        entries.append(entry)
    return OpenResult(entries, errors)


def model_info(loaded: LoadedModel) -> ModelInfo:
    """Summarise the loaded model (the runner's cache keeps the module); the state adds the choice as ``key``."""
    from viewer.engine.models.recipes import enum_recipes

    channels, height, width = loaded.input.shape
    return ModelInfo(
        name=loaded.name,
        label=loaded.spec.label(),
        weights_label=loaded.weights_label,
        pretrained=loaded.pretrained,
        device=str(loaded.device),
        categories=tuple(loaded.categories),
        input_shape=(int(channels), int(height), int(width)),
        resize_size=int(loaded.input.resize_size),
        family=loaded.spec.family,
        paper=loaded.spec.paper,
        weights=str(loaded.weights),
        mean=tuple(float(v) for v in loaded.input.mean),
        std=tuple(float(v) for v in loaded.input.std),
        weights_sha256=loaded.weights_sha256,
        recipe=loaded.recipe,
        own_recipe=loaded.own_recipe,
        recipe_choices=enum_recipes(loaded.spec),
    )
