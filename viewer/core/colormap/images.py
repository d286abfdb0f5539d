"""Named colormaps applied to score maps: the colours of exports and of the CLI's PNGs.

Colormaps come from ``cmap`` (numpy only), which knows the same named maps as pyqtgraph and napari, so an
exported PNG looks like the screen.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from viewer.core.colormap.ranges import score_range
from viewer.core.colormap.tables import apply_colormap
from viewer.core.errors import ExportError

__all__ = ["colorize", "overlay"]


def colorize(
    values: np.ndarray, colormap: str = "turbo", vmin: float | None = None, vmax: float | None = None
) -> np.ndarray:
    """An (H, W) float array as an (H, W, 3) uint8 image through a named colormap.

    Values are scaled from [vmin, vmax] (default: the data's finite range, see ``core.ranges.score_range``) to
    [0, 1] and clipped; a constant array and NaN take the low end's colour. An unknown colormap raises
    ``core.colormaps.ColormapError``.
    """
    data = np.asarray(values, dtype=np.float64)
    if data.ndim != 2:
        raise ExportError(f"Cannot colour an array of shape {data.shape}; expected a 2-D (H, W) array.")
    low, high = score_range(data, vmin, vmax)
    with np.errstate(invalid="ignore"):
        scaled = (data - low) / (high - low)
    return np.ascontiguousarray(apply_colormap(scaled, colormap), dtype=np.uint8)


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
    low, high = score_range(data, vmin, vmax)
    height, width = image.shape[:2]
    if data.shape != (height, width):
        data = np.asarray(Image.fromarray(data, mode="F").resize((width, height), Image.Resampling.BILINEAR))
    colour = colorize(data, colormap, low, high).astype(np.float32)
    blended = (1.0 - alpha) * image.astype(np.float32) + alpha * colour
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
