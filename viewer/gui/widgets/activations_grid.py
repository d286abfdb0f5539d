"""The channel mosaic: its geometry (which tile is where, to turn a click into a channel) and its rendering.

The mosaic image itself is the engine's ``activations.channel_grid`` (the same picture ``viewer activations
--out`` writes), shown as one ImageItem: with 512-2048 channels one ViewBox per channel would take seconds
to build, one image draws at once. ``MosaicLayout`` mirrors its layout (tiles 1 px apart, row by row).
Rendering a wide layer takes 100-200 ms of numpy, so the app calls ``render_grid`` on the worker (see
``tasks.py``); this module imports no Qt so that the worker can use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from viewer.core.ranges import score_range

__all__ = ["ChannelGrid", "GridOptions", "MosaicLayout", "effective_normalize", "layout_for", "render_grid"]


@dataclass(frozen=True)
class MosaicLayout:
    """Where tile ``position`` sits in the mosaic (tiles run left to right, then top to bottom)."""

    count: int
    tile_height: int
    tile_width: int
    columns: int
    rows: int
    gap: int

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the whole mosaic in pixels."""
        return (
            self.rows * (self.tile_height + self.gap) - self.gap,
            self.columns * (self.tile_width + self.gap) - self.gap,
        )

    def tile_origin(self, position: int) -> tuple[int, int]:
        """(x, y) of the top-left pixel of tile ``position``."""
        row, column = divmod(position, self.columns)
        return column * (self.tile_width + self.gap), row * (self.tile_height + self.gap)

    def position_at(self, x: float, y: float) -> int | None:
        """The tile under mosaic point (x, y), or None on a gap or outside."""
        if x < 0 or y < 0:
            return None
        column, x_in = divmod(int(math.floor(x)), self.tile_width + self.gap)
        row, y_in = divmod(int(math.floor(y)), self.tile_height + self.gap)
        if x_in >= self.tile_width or y_in >= self.tile_height or column >= self.columns:
            return None
        position = row * self.columns + column
        return position if position < self.count else None


def layout_for(count: int, tile_height: int, tile_width: int) -> MosaicLayout:
    """A roughly square mosaic for ``count`` tiles (pass its ``columns`` to ``channel_grid``)."""
    gap = 1
    aspect = (tile_height + gap) / (tile_width + gap)
    columns = max(1, min(count, math.ceil(math.sqrt(count * aspect))))
    rows = max(1, math.ceil(count / columns))
    return MosaicLayout(count, tile_height, tile_width, columns, rows, gap)


@dataclass(frozen=True)
class GridOptions:
    """How the mosaic is drawn: the view's pickers, sent with every capture and re-render."""

    normalize: str = "channel"  # "channel" (each tile its own min..max) or "layer" (one scale)
    order: str = "index"  # "index", "mean" or "max"
    colormap: str = "viridis"


@dataclass(frozen=True, eq=False)
class ChannelGrid:
    """A rendered mosaic of one activation, made on the worker so that the GUI thread only shows it.

    ``image`` is the engine's ``channel_grid`` (uint8 H x W x 3); ``levels`` the layer's (min, max), the
    scale of the large channel view under "layer" normalisation. ``activation`` is the one it was drawn
    from (compared by identity: a grid is never shown over another capture).
    """

    activation: Any
    options: GridOptions
    layout: MosaicLayout
    image: np.ndarray
    levels: tuple[float, float]

    @property
    def layer(self) -> str:
        return str(self.activation.layer)


def effective_normalize(options: GridOptions, tile_height: int, tile_width: int) -> str:
    """The normalisation actually used: 1x1 "maps" (flat outputs) scaled on their own would all look alike."""
    return "layer" if (tile_height, tile_width) == (1, 1) else options.normalize


def render_grid(activation: Any, options: GridOptions) -> ChannelGrid:
    """Draw ``activation``'s mosaic with ``options`` (seconds of numpy on wide layers: call it on the worker)."""
    # Imported here: the engine module loads torch, which only the worker imports (the window opens first).
    from viewer.engine.activations import channel_grid

    array = np.asarray(activation.array)
    count, height, width = (array.shape[0], 1, 1) if array.ndim == 1 else array.shape
    layout = layout_for(count, height, width)
    image = channel_grid(
        activation,
        normalize=effective_normalize(options, height, width),
        order=options.order,
        colormap=options.colormap,
        columns=layout.columns,
        mark_dead=True,
    )
    levels = score_range(array)
    return ChannelGrid(activation, options, layout, image, levels)
