"""Named colormaps as lookup tables: the one place where a colormap name becomes colours.

Colormaps come from ``cmap`` (numpy only, the library napari uses), which knows the same named maps as
pyqtgraph, so the engine's PNG exports, the CLI and the screen draw a score with the same colour.
"""

from __future__ import annotations

import functools

import numpy as np

from viewer.core.errors import ViewerError

__all__ = ["LUT_SIZE", "ColormapError", "apply_colormap", "lookup_table"]

LUT_SIZE = 256  # entries of a table: an 8-bit index, as pyqtgraph's ImageItem.setLookupTable expects
_SUGGESTED = "turbo, viridis, inferno, magma, gray or jet"


class ColormapError(ViewerError):
    """A colormap name that ``cmap`` does not know."""


@functools.lru_cache(maxsize=32)
def lookup_table(name: str) -> np.ndarray:
    """The colormap ``name`` as a read-only (256, 3) uint8 RGB table; cached, as the GUI asks on every paint.

    Raises :class:`ColormapError` (one sentence naming alternatives) for a name ``cmap`` does not know.
    """
    from cmap import Colormap  # a few ms to import: only when a colour is first needed

    try:
        colormap = Colormap(name)
    except (ValueError, KeyError, TypeError):  # cmap's own words name no alternative
        raise ColormapError(f"Unknown colormap {name!r} (try {_SUGGESTED}).") from None
    # Truncated, not rounded, to bytes: cmap's own ``bytes=True`` convention, so a table and ``Colormap(name)(x,
    # bytes=True)`` give the same colours.
    table = (np.asarray(colormap.lut(LUT_SIZE))[:, :3] * 255).astype(np.uint8)
    table.setflags(write=False)  # shared by every caller through the cache
    return table


def apply_colormap(scaled: np.ndarray, name: str) -> np.ndarray:
    """Values in [0, 1] as uint8 RGB of shape ``scaled.shape + (3,)``.

    Out-of-range values take the nearer end, NaN and -inf the low end, +inf the high end. A value ``x`` takes
    entry ``floor(x * 256)`` (1.0 the last), as matplotlib and ``cmap`` map floats.
    """
    data = np.clip(np.nan_to_num(np.asarray(scaled, dtype=np.float64), nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    indices = np.minimum((data * LUT_SIZE).astype(np.intp), LUT_SIZE - 1)
    return lookup_table(name)[indices]
