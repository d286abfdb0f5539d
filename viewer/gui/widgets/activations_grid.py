"""Display layout of a layer's channels as one tiled image (a mosaic).

One ImageItem for all channels instead of one ViewBox per channel: with 512-2048 channels a ViewBox each
costs seconds to build and makes the scene crawl, while one mosaic draws at once. This is display layout
only (where each tile goes, how it is scaled to colours); every number shown comes from the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MosaicLayout", "layout_for", "normalise_maps", "tile_maps"]


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
    """A roughly square mosaic for ``count`` tiles; 1-pixel gaps except between 1x1 tiles."""
    gap = 0 if tile_height == 1 and tile_width == 1 else 1
    aspect = (tile_height + gap) / (tile_width + gap)
    columns = max(1, min(count, math.ceil(math.sqrt(count * aspect))))
    rows = max(1, math.ceil(count / columns))
    return MosaicLayout(count, tile_height, tile_width, columns, rows, gap)


def normalise_maps(maps: np.ndarray, per_channel: bool) -> np.ndarray:
    """Scale (C, H, W) maps to [0, 1] for colouring, each channel on its own or all on one scale.

    A constant channel (a dead ReLU, or 1x1 maps scaled per channel) becomes 0 rather than NaN.
    """
    maps = np.asarray(maps, dtype=np.float32)
    flat = maps.reshape(maps.shape[0], -1)
    if per_channel:
        low = flat.min(axis=1)[:, None, None]
        high = flat.max(axis=1)[:, None, None]
    else:
        low = np.float32(flat.min()) if flat.size else np.float32(0)
        high = np.float32(flat.max()) if flat.size else np.float32(0)
    span = np.asarray(high - low, dtype=np.float32)
    safe_span = np.where(span > 0, span, 1).astype(np.float32)
    return np.where(span > 0, (maps - low) / safe_span, 0).astype(np.float32)


def tile_maps(maps: np.ndarray, order: np.ndarray, layout: MosaicLayout) -> np.ndarray:
    """The mosaic image: ``maps[order[i]]`` in tile i; gaps and unused tiles are NaN (drawn transparent)."""
    count, height, width = maps.shape
    gap = layout.gap
    tiles = np.full((layout.rows * layout.columns, height + gap, width + gap), np.nan, dtype=np.float32)
    tiles[: len(order), :height, :width] = maps[np.asarray(order, dtype=np.int64)]
    mosaic = tiles.reshape(layout.rows, layout.columns, height + gap, width + gap)
    mosaic = mosaic.transpose(0, 2, 1, 3).reshape(layout.rows * (height + gap), layout.columns * (width + gap))
    rows_out, columns_out = layout.shape
    return np.ascontiguousarray(mosaic[:rows_out, :columns_out])
