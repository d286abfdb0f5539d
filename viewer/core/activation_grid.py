"""The channel mosaic of one activation: its geometry, its options and its rendering (numpy and cmap only).

``channel_grid`` draws all channels of a layer as one RGB image (the picture ``viewer activations --out``
writes and the Activations tab shows as one ImageItem: with 512-2048 channels one ViewBox per channel would
take seconds to build, one image draws at once). ``MosaicLayout`` describes where each tile lies (tiles 1 px
apart, row by row), so that the view can turn a click into a channel. Rendering a wide layer takes 100-200 ms
of numpy, so the app calls ``render_grid`` on the worker; nothing here imports torch or Qt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from viewer.core.colormap.ranges import score_range
from viewer.core.colormap.tables import apply_colormap
from viewer.core.options import NORMALIZATIONS

__all__ = [
    "ChannelGrid",
    "ChannelMaps",
    "GridOptions",
    "MosaicLayout",
    "channel_grid",
    "effective_normalize",
    "layout_for",
    "render_grid",
]

_GAP_COLOUR = (32, 32, 32)
_DEAD_COLOUR = (220, 30, 30)


class ChannelMaps(Protocol):
    """What a mosaic needs of an activation (the engine's ``Activation`` has it): no torch type involved."""

    @property
    def layer(self) -> str: ...
    @property
    def array(self) -> np.ndarray: ...
    @property
    def dead(self) -> np.ndarray: ...
    @property
    def order(self) -> Mapping[str, np.ndarray]: ...
    @property
    def channels(self) -> int: ...


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
        column, x_in = divmod(math.floor(x), self.tile_width + self.gap)
        row, y_in = divmod(math.floor(y), self.tile_height + self.gap)
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

    ``image`` is ``channel_grid``'s picture (uint8 H x W x 3); ``levels`` the layer's (min, max), the
    scale of the large channel view under "layer" normalisation. ``activation`` is the one it was drawn
    from (compared by identity: a grid is never shown over another capture).
    """

    activation: ChannelMaps
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


def render_grid(activation: ChannelMaps, options: GridOptions) -> ChannelGrid:
    """Draw ``activation``'s mosaic with ``options`` (seconds of numpy on wide layers: call it on the worker)."""
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


def channel_grid(
    activation: ChannelMaps,
    *,
    normalize: str = "channel",
    order: str = "index",
    colormap: str = "viridis",
    columns: int | None = None,
    mark_dead: bool = True,
    scale: int = 1,
) -> np.ndarray:
    """All channels of an activation as one RGB mosaic (uint8, H x W x 3), tiles 1 px apart.

    Args:
        activation: The captured activation.
        normalize: "channel" scales each tile to its own min..max; "layer" uses one scale for all.
        order: "index", "mean" or "max": the tile order (descending statistic), row by row.
        colormap: A ``cmap`` colormap name (the same names pyqtgraph uses), e.g. "viridis", "gray".
        columns: Tiles per row; about square by default.
        mark_dead: Draw a red border around channels that are zero everywhere.
        scale: Each cell of a map drawn as ``scale`` x ``scale`` pixels (nearest neighbour): an exported grid
            needs it, as 7x7 maps at one pixel per cell are unreadable (``readable_scale`` picks it).

    Tile ``k`` of the order lies at row ``k // columns``, column ``k % columns``, with a pitch of tile size + 1.
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, not {normalize!r}")
    maps = np.asarray(activation.array, dtype=np.float32)
    maps = maps if maps.ndim == 3 else maps.reshape(-1, 1, 1)
    if scale > 1:
        maps = maps.repeat(scale, axis=1).repeat(scale, axis=2)
    count, height, width = maps.shape
    columns = max(1, min(columns or math.ceil(math.sqrt(count)), count))
    rows = math.ceil(count / columns)

    ranges = [score_range(maps)] * count if normalize == "layer" else [score_range(channel_map) for channel_map in maps]
    low = np.array([r[0] for r in ranges], dtype=np.float64)[:, None, None]
    high = np.array([r[1] for r in ranges], dtype=np.float64)[:, None, None]
    scaled = np.clip((maps - low) / (high - low), 0.0, 1.0)
    tiles = apply_colormap(scaled, colormap)

    mosaic = np.empty((rows * (height + 1) - 1, columns * (width + 1) - 1, 3), dtype=np.uint8)
    mosaic[:] = _GAP_COLOUR
    for position, channel in enumerate(activation.order[order]):
        top, left = (position // columns) * (height + 1), (position % columns) * (width + 1)
        tile = mosaic[top : top + height, left : left + width]
        tile[:] = tiles[channel]
        if mark_dead and activation.dead[channel]:
            tile[[0, -1], :] = _DEAD_COLOUR
            tile[:, [0, -1]] = _DEAD_COLOUR
    return mosaic
