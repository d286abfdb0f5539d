"""Geometry of the channel mosaic: which tile is where, to turn a click into a channel.

The mosaic image itself is the engine's ``activations.channel_grid`` (the same picture ``viewer activations
--out`` writes), shown as one ImageItem: with 512-2048 channels one ViewBox per channel would take seconds
to build, one image draws at once. This mirrors its layout (tiles 1 px apart, row by row).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["MosaicLayout", "layout_for"]


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
