"""Loading images robustly and turning them into network inputs.

Presets:
- ``weights``: the weights' own evaluation transform (resize, centre crop, normalise), read from the
  model's ``InputSpec`` (which the registry reads from torchvision's ``transforms()``);
- ``standardize``: the lecture's ``0.5 + 0.5 * (x - x.mean()) / x.std()`` on the whole image, no resize or
  crop (the network must accept the image's size);
- ``full``: normalisation only, at full resolution (the input of dense heatmaps).

Krizhevsky's test-time augmentation (``ten_crop_views``): the four corners and the centre of the central
``resize_size`` square of the rescaled image, each also mirrored, at the crop size (``viewer.core.lecture.tta``).
"""

from __future__ import annotations

import functools
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL import ImageFile as PillowImageFile
from torchvision.transforms._presets import ImageClassification

from viewer.core.errors import ImageError
from viewer.core.images.files import MAX_FILE_BYTES, ImageFile, read_image_file
from viewer.core.images.paths import is_image_path
from viewer.core.lecture.tta import CropBox, resized_size, ten_crop_boxes
from viewer.core.network.input import InputSpec
from viewer.core.options import PRESETS

__all__ = [
    "MAX_IMAGE_PIXELS",
    "PRESETS",
    "LoadedImage",
    "decode_image",
    "denormalize",
    "eval_transform",
    "input_box_to_image",
    "is_image_path",
    "load_image",
    "preprocess",
    "ten_crop",
    "ten_crop_views",
    "to_display_array",
]

# Beyond this many pixels an image is refused before decoding (Pillow warns at 89 MP and refuses at 179 MP).
MAX_IMAGE_PIXELS = 120_000_000


@dataclass
class LoadedImage:
    """An image ready for any network: upright, 8-bit RGB (alpha composited over white)."""

    path: str
    image: Image.Image  # mode "RGB"
    original_mode: str
    original_size: tuple[int, int]  # (width, height) after EXIF orientation
    notes: list[str] = field(default_factory=list)  # what was done that a user should know

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def load_image(path: str | os.PathLike[str], *, max_pixels: int = MAX_IMAGE_PIXELS) -> LoadedImage:
    """Read ``path`` into an upright RGB image, or raise ``ImageError`` with one readable sentence.

    The file is read as the window reads a dropped one (``read_image_file``: the same refusals), then decoded by
    :func:`decode_image`, so that the CLI and the window open every file alike.
    """
    return decode_image(read_image_file(path), max_pixels=max_pixels)


def decode_image(file: ImageFile, *, max_pixels: int = MAX_IMAGE_PIXELS) -> LoadedImage:
    """Decode ``file``'s bytes (never its path) into an upright RGB image, or raise ``ImageError`` naming it."""
    name = file.name or file.path
    if not file.data:
        raise ImageError(f"{name}: the file is empty.")
    if len(file.data) > MAX_FILE_BYTES:  # bytes from a peer: the window's limit holds here too
        raise ImageError(f"{name}: refused, the file is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit.")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            # The size is checked against max_pixels below; Pillow's own guard still stops a bomb whose
            # declared size is over twice its limit before anything is allocated.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # Pillow warns about damaged metadata (the corrupt EXIF many phones write) while the pixels decode
            # fine: not the user's problem, and `viewer classify` must not print it for a good photo.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
            # BytesIO over bytes shares their buffer (no copy); Pillow reads it as it would read the file.
            with Image.open(io.BytesIO(file.data)) as opened:
                width, height = opened.size
                if width * height > max_pixels:
                    raise ImageError(
                        f"{name}: refused, {width}x{height} is {width * height / 1e6:.0f} megapixels, over the "
                        f"{max_pixels / 1e6:.0f} MP limit (a decompression bomb or a huge image)."
                    )
                frames = getattr(opened, "n_frames", 1)
                if frames > 1:
                    opened.seek(0)
                    notes.append(f"first of {frames} frames used")
                original_mode = opened.mode
                upright = ImageOps.exif_transpose(opened) if _orientation(opened) not in (None, 1) else opened
                rgb = _to_rgb(upright)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file (no known image header).") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name}: refused as a decompression bomb (declared size too large).") from None
    except PermissionError:
        raise ImageError(f"{name}: permission denied.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        reason = str(error) or type(error).__name__
        if "truncated" in reason or "broken data" in reason or isinstance(error, EOFError):
            reason = "the file is truncated or corrupt"
        raise ImageError(f"{name}: cannot be decoded ({reason}).") from None
    except MemoryError:
        raise ImageError(f"{name}: too large to decode in memory.") from None
    if original_mode not in ("RGB", "L", "RGBA"):
        notes.append(f"converted from {original_mode}")
    return LoadedImage(file.path, rgb, original_mode, rgb.size, notes)


def _orientation(image: Image.Image) -> int | None:
    """The EXIF orientation tag, read without decoding pixels (most photos need no transpose, and
    ``exif_transpose`` copies the whole image even then)."""
    try:
        return image.getexif().get(0x0112)
    except Exception:  # damaged EXIF: let exif_transpose decide
        return 0


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB from any mode; transparency is composited over white (how viewers show it)."""
    PillowImageFile.LOAD_TRUNCATED_IMAGES = False
    image.load()
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float greyscale: scale the actual range to 8 bits rather than clipping at 255.
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) / (high - low) * 255.0 if high > low else np.zeros_like(array)
        return Image.fromarray(scaled.round().astype(np.uint8), "L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")  # decoded already: no second copy


def _tensor(image: Image.Image, channels: int) -> torch.Tensor:
    """A float CHW tensor in [0, 1] with the channel count the network wants."""
    picture = image.convert("L") if channels == 1 else image.convert("RGB")
    tensor: torch.Tensor = TF.to_dtype(TF.pil_to_tensor(picture), torch.float32, scale=True)
    return tensor


@functools.lru_cache(maxsize=32)
def eval_transform(spec: InputSpec) -> ImageClassification:
    """The evaluation transform of ``spec``: torchvision's own class, the one every ``weights.transforms()``
    returns, so the ``weights`` preset is exactly torchvision's (PIL resize, centre crop, normalise)."""
    return ImageClassification(
        crop_size=spec.crop_size,
        resize_size=spec.resize_size,
        mean=spec.mean,
        std=spec.std,
        interpolation=TF.InterpolationMode(spec.interpolation),
    )


def _normalize(tensor: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    normalized: torch.Tensor = TF.normalize(tensor, list(spec.mean), list(spec.std))
    return normalized


def standardize(tensor: torch.Tensor) -> torch.Tensor:
    """The lecture's per-image standardisation: mean 0.5, standard deviation 0.5."""
    std = tensor.std()
    return 0.5 + 0.5 * (tensor - tensor.mean()) / (std if std > 0 else 1.0)


def _refuse_huge_resize(image: LoadedImage | Image.Image, short_side: int) -> None:
    """An ``ImageError`` when resizing the short side to ``short_side`` would exceed ``MAX_IMAGE_PIXELS``.

    A tiny but very elongated file (a 20000x2 PNG is 40 kP) would otherwise be resized to millions of
    pixels a side before the centre crop throws nearly all of it away: gigabytes, or the process killed.
    """
    picture = image.image if isinstance(image, LoadedImage) else image
    width, height = picture.size
    scale = short_side / max(1, min(width, height))
    resized = (max(1, round(width * scale)), max(1, round(height * scale)))
    if resized[0] * resized[1] > MAX_IMAGE_PIXELS:
        name = f"{image.name}: " if isinstance(image, LoadedImage) else ""
        raise ImageError(
            f"{name}{width}x{height} is too elongated: resizing its short side to {short_side} px would make "
            f"{resized[0]}x{resized[1]}, over the {MAX_IMAGE_PIXELS / 1e6:.0f} MP limit."
        )


def preprocess(image: LoadedImage | Image.Image, spec: InputSpec, preset: str = "weights") -> torch.Tensor:
    """One CHW float tensor for ``spec`` under ``preset`` (see the module docstring)."""
    picture = image.image if isinstance(image, LoadedImage) else image
    if preset == "weights":
        _refuse_huge_resize(image, spec.resize_size)
        wanted = "L" if spec.channels == 1 else "RGB"
        # convert() copies even when the mode already matches: skip that copy, as load_image made it RGB already
        transformed: torch.Tensor = eval_transform(spec)(picture if picture.mode == wanted else picture.convert(wanted))
        return transformed
    tensor = _tensor(picture, spec.channels)
    if preset == "standardize":
        return standardize(tensor)
    if preset == "full":
        return _normalize(tensor, spec)
    raise ValueError(f"unknown preprocessing preset {preset!r}; use one of {', '.join(PRESETS)}")


def ten_crop_views(
    image: LoadedImage | Image.Image, spec: InputSpec, preset: str = "weights", resize: int | None = None
) -> tuple[torch.Tensor, tuple[CropBox, ...]]:
    """Krizhevsky's ten views, shape (10, C, crop, crop), and the boxes they were cut from.

    As the paper (see ``viewer.core.lecture.tta``): the image rescaled so that its shorter side is ``resize_size`` (with
    the weights' own interpolation, as the ``weights`` preset does), the central ``resize_size`` square, its four
    corners and its centre at ``crop_size``, then the same five mirrored left-right. The preset decides only the
    values: ``weights`` and ``full`` normalise with the weights' mean/std, ``standardize`` applies the lecture's
    per-image standardisation to the rescaled image. The centre view of ``weights`` is exactly ``preprocess``.
    ``resize`` replaces ``resize_size`` (``viewer.core.lecture.tta.tta_resize_size``: the paper's 256 for a 224 crop).
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preprocessing preset {preset!r}; use one of {', '.join(PRESETS)}")
    picture = image.image if isinstance(image, LoadedImage) else image
    short_side = resize or spec.resize_size
    _refuse_huge_resize(image, short_side)
    picture = (
        picture.convert("L") if spec.channels == 1 else picture if picture.mode == "RGB" else picture.convert("RGB")
    )
    boxes = ten_crop_boxes(picture.size, short_side, spec.crop_size)
    resized = TF.resize(picture, [short_side], interpolation=TF.InterpolationMode(spec.interpolation), antialias=True)
    if resized.size != resized_size(picture.size, short_side):  # the boxes must be torchvision's own
        raise AssertionError(f"torchvision resized {picture.size} to {resized.size}")
    tensor = TF.to_dtype(TF.pil_to_tensor(resized), torch.float32, scale=True)
    tensor = standardize(tensor) if preset == "standardize" else _normalize(tensor, spec)
    views = [tensor[:, y0:y1, x0:x1] for x0, y0, x1, y1 in (crop.box for crop in boxes[:5])]
    return torch.stack(views + [TF.horizontal_flip(view) for view in views]), boxes


def ten_crop(
    image: LoadedImage | Image.Image, spec: InputSpec, preset: str = "weights", resize: int | None = None
) -> torch.Tensor:
    """The ten views of ``ten_crop_views`` without their boxes."""
    return ten_crop_views(image, spec, preset, resize)[0]


def denormalize(tensor: torch.Tensor, spec: InputSpec, preset: str = "weights") -> np.ndarray:
    """What the network sees, as an 8-bit HxWxC (or HxW) array for display."""
    data = tensor.detach().float().cpu()
    if preset == "standardize":
        data = data.clamp(0, 1)
    else:
        mean = torch.tensor(spec.mean).view(-1, 1, 1)
        std = torch.tensor(spec.std).view(-1, 1, 1)
        data = (data * std + mean).clamp(0, 1)
    array = (data.numpy() * 255).round().astype(np.uint8)
    return array[0] if array.shape[0] == 1 else np.ascontiguousarray(array.transpose(1, 2, 0))


def input_box_to_image(
    box: tuple[float, float, float, float], image_size: tuple[int, int], spec: InputSpec, preset: str = "weights"
) -> tuple[float, float, float, float]:
    """Map a box (x0, y0, x1, y1) in network-input pixels back to original-image pixels.

    Inverts ``preprocess``: with ``weights`` the short side was resized to ``resize_size`` and the centre
    cropped (offsets rounded as torchvision's ``center_crop`` rounds them); other presets keep the image's
    own pixels.
    """
    if preset != "weights":
        return box
    width, height = image_size
    scale = spec.resize_size / min(width, height)
    resized_w, resized_h = (
        (spec.resize_size, int(spec.resize_size * height / width))
        if width <= height
        else (int(spec.resize_size * width / height), spec.resize_size)
    )
    left = round((resized_w - spec.crop_size) / 2.0)
    top = round((resized_h - spec.crop_size) / 2.0)
    x0, y0, x1, y1 = box
    return ((x0 + left) / scale, (y0 + top) / scale, (x1 + left) / scale, (y1 + top) / scale)


def to_display_array(image: LoadedImage, max_side: int = 4096) -> np.ndarray:
    """The image as an 8-bit HxWx3 array, downscaled so that its longer side is at most ``max_side``."""
    picture = image.image
    if max(picture.size) > max_side:
        picture = picture.copy()
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(picture)
