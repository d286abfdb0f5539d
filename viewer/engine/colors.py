"""Named colormaps applied to score maps: the colours of exports and of the CLI's PNGs.

Colormaps come from ``cmap`` (numpy only), which knows the same named maps as pyqtgraph and napari, so an
exported PNG looks like the screen.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from PIL import Image

from viewer.engine.errors import ExportError

__all__ = ["colorize", "overlay", "value_range"]


@functools.lru_cache(maxsize=32)
def _colormap(name: str) -> Any:
    from cmap import Colormap

    try:
        return Colormap(name)
    except (ValueError, KeyError, TypeError):
        raise ExportError(f"Unknown colormap {name!r} (try turbo, viridis, inferno, magma or jet).") from None


def value_range(values: np.ndarray, vmin: float | None = None, vmax: float | None = None) -> tuple[float, float]:
    """The (vmin, vmax) a colour scale uses: the given bounds, else the finite data's extremes."""
    data = np.asarray(values, dtype=np.float64)
    finite = data[np.isfinite(data)]
    low = float(finite.min()) if vmin is None and finite.size else float(vmin if vmin is not None else 0.0)
    high = float(finite.max()) if vmax is None and finite.size else float(vmax if vmax is not None else 1.0)
    return low, high


def colorize(
    values: np.ndarray, colormap: str = "turbo", vmin: float | None = None, vmax: float | None = None
) -> np.ndarray:
    """An (H, W) float array as an (H, W, 3) uint8 image through a named colormap.

    Values are scaled from [vmin, vmax] (default: the data's finite range) to [0, 1] and clipped;
    a constant array and non-finite values take the low end's colour.
    """
    data = np.asarray(values, dtype=np.float64)
    if data.ndim != 2:
        raise ExportError(f"Cannot colour an array of shape {data.shape}; expected a 2-D (H, W) array.")
    low, high = value_range(data, vmin, vmax)
    span = high - low
    with np.errstate(invalid="ignore"):
        scaled = (data - low) / span if span > 0 else np.zeros_like(data)
    scaled = np.clip(np.nan_to_num(scaled, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    rgba = _colormap(colormap)(scaled, bytes=True)
    return np.ascontiguousarray(rgba[..., :3], dtype=np.uint8)


def overlay(
    image_rgb: np.ndarray,
    scores: np.ndarray,
    *,
    alpha: float = 0.5,
    colormap: str = "jet",
    vmin: float | None = None,
    vmax: float | None = None,
) -> np.ndarray:
    """``scores`` coloured and blended over ``image_rgb``: ``(1 - alpha) * image + alpha * colour``.

    Scores of another size than the image are resized to it (bilinear) so that any score map can be
    laid over its picture.
    """
    image = np.asarray(image_rgb)
    if image.dtype != np.uint8:
        raise ExportError(f"Cannot overlay on {image.dtype} pixels; expected an 8-bit (uint8) image.")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = image[:, :, :3]
    if not 0.0 <= alpha <= 1.0:
        raise ExportError(f"Overlay opacity {alpha} is outside 0..1.")
    data = np.asarray(scores, dtype=np.float32)
    if data.ndim != 2:
        raise ExportError(f"Cannot overlay scores of shape {data.shape}; expected a 2-D (H, W) array.")
    low, high = value_range(data, vmin, vmax)
    height, width = image.shape[:2]
    if data.shape != (height, width):
        data = np.asarray(Image.fromarray(data, mode="F").resize((width, height), Image.Resampling.BILINEAR))
    colour = colorize(data, colormap, low, high).astype(np.float32)
    blended = (1.0 - alpha) * image.astype(np.float32) + alpha * colour
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
