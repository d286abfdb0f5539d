"""The network input of an explanation, and the way back from its pixels to the image's.

Every explanation method sees the *whole* image, not the centre crop the Predictions tab classifies: a map of
an image with several objects must cover all of them. The image is resized (aspect kept) so that its short
side is the weights' crop size, which every network ending in an adaptive pooling accepts; a network that
needs its exact training size (LeNet-5, the transformers) gets the image squashed to that size instead, and
a note says so. A map at the input's resolution is then resized to the image's (both cover the same field).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image

from viewer.engine.images import LoadedImage
from viewer.engine.models.weights import LoadedModel

__all__ = ["ExplainInput", "explain_input", "to_image_pixels"]

MAX_ASPECT = 3.0  # a longer strip is squashed to this aspect: the forward stays bounded


@dataclass
class ExplainInput:
    """The normalised (1, C, h, w) tensor on the model's device and how it was made."""

    tensor: torch.Tensor
    size: tuple[int, int]  # (width, height) the network sees
    fit: str  # "whole image, aspect kept" or "squashed to W×H"
    notes: list[str] = field(default_factory=list)


# Networks found to refuse a non-square input: asked once per model object.
_FIXED_SIZE: weakref.WeakKeyDictionary[torch.nn.Module, bool] = weakref.WeakKeyDictionary()


def _accepts_any_size(loaded: LoadedModel, size: tuple[int, int]) -> bool:
    model = loaded.model
    if model in _FIXED_SIZE:
        return not _FIXED_SIZE[model]
    from torch._subclasses.fake_tensor import FakeTensorMode

    from viewer.engine.quiet import quiet_torch_logs

    # Fake tensors: the shapes are checked without computing anything. A refusal is the answer here, so torch's
    # own log of it (a traceback on stderr) is silenced.
    try:
        with quiet_torch_logs(), FakeTensorMode(allow_non_fake_inputs=True), torch.no_grad():
            model(torch.empty(1, loaded.input.channels, size[1], size[0], device=loaded.device))
        fixed = False
    except Exception:  # any refusal (a shape assert, a Linear size mismatch) means "fixed size"
        fixed = True
    _FIXED_SIZE[model] = fixed
    return not fixed


def _whole_size(image_size: tuple[int, int], short: int) -> tuple[tuple[int, int], bool]:
    width, height = image_size
    scale = short / min(width, height)
    long_side = max(width, height) * scale
    clipped = long_side > MAX_ASPECT * short
    long_side = min(long_side, MAX_ASPECT * short)
    size = (round(long_side), short) if width >= height else (short, round(long_side))
    return size, clipped


def explain_input(loaded: LoadedModel, image: LoadedImage) -> ExplainInput:
    """The whole ``image`` as ``loaded`` expects it (see the module docstring)."""
    spec = loaded.input
    short = int(spec.crop_size)
    size, clipped = _whole_size(image.size, short)
    notes: list[str] = []
    if size != (short, short) and not _accepts_any_size(loaded, size):
        notes.append(
            f"{loaded.name} needs a {short}×{short} input: the whole image was squashed to it (aspect not kept)"
        )
        size = (short, short)
        fit = f"squashed to {short}×{short}"
    elif clipped:
        notes.append(f"the image is longer than {MAX_ASPECT:g}:1; it was squashed to {size[0]}×{size[1]}")
        fit = f"squashed to {size[0]}×{size[1]}"
    else:
        fit = "whole image, short side = crop size, aspect kept"
    picture = image.image.convert("L") if spec.channels == 1 else image.image.convert("RGB")
    resized = TF.resize(
        picture, [size[1], size[0]], interpolation=TF.InterpolationMode(spec.interpolation), antialias=True
    )
    tensor = TF.to_dtype(TF.pil_to_tensor(resized), torch.float32, scale=True)
    tensor = TF.normalize(tensor, list(spec.mean), list(spec.std)).unsqueeze(0).to(loaded.device)
    return ExplainInput(tensor, size, fit, notes)


def to_image_pixels(values: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """A float map over the network input (or a coarser grid over the same field) resized to the image:
    bilinear, float32, (height, width) of ``image_size``."""
    data = np.asarray(values, dtype=np.float32)
    width, height = image_size
    if data.shape == (height, width):
        return data.copy()
    resized = Image.fromarray(data, mode="F").resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32)
