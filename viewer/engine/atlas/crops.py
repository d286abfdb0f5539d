"""The atlas as pictures: each entry's patch of its image, a channel's grid (3 x 3 for nine), a layer's contact sheet.

A patch is the entry's receptive field cut from the original image (not from the network's input: the original
has more pixels where preprocessing shrank it), fitted into a square tile without changing its aspect (a field
clipped at the image's border is narrower than it is tall), on grey. Tiles sit on white, a gap apart.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from PIL import Image

from viewer.core.errors import ImageError
from viewer.core.results.atlas import Atlas, AtlasEntry, Box
from viewer.engine.images import load_image

__all__ = ["DEFAULT_TILE", "ImageCache", "channel_grid", "channel_patches", "contact_sheet", "mosaic", "patch"]

DEFAULT_TILE = 96
FILL = 128  # inside a tile, beside a patch narrower than the tile (grey: not part of any image)
BACKGROUND = 255  # between tiles, and an empty slot
GAP = 2


class ImageCache:
    """The last few decoded images (a channel's entries, or neighbouring channels', often share images)."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._images: OrderedDict[str, Image.Image | None] = OrderedDict()

    def get(self, path: str) -> Image.Image | None:
        """The upright RGB image at ``path``; None when it cannot be read any more (changed since the pass)."""
        if path in self._images:
            self._images.move_to_end(path)
            return self._images[path]
        try:
            image: Image.Image | None = load_image(path).image
        except ImageError:
            image = None
        self._images[path] = image
        if len(self._images) > self.size:
            self._images.popitem(last=False)
        return image


def patch(image: Image.Image | None, box: Box, tile: int = DEFAULT_TILE) -> np.ndarray:
    """The ``box`` (x0, y0, x1, y1, in ``image``'s pixels) of ``image`` fitted into a ``tile`` x ``tile`` RGB uint8
    square, centred, its aspect kept; a grey tile for a missing image."""
    canvas = Image.new("RGB", (tile, tile), (FILL, FILL, FILL))
    if image is not None:
        width, height = image.size
        x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
        x1, y1 = min(width, max(x0 + 1, math.ceil(box[2]))), min(height, max(y0 + 1, math.ceil(box[3])))
        if x1 > x0 and y1 > y0:
            cut = image.crop((x0, y0, x1, y1))
            scale = tile / max(cut.width, cut.height)
            size = (max(1, round(cut.width * scale)), max(1, round(cut.height * scale)))
            # Upscaled, a small field (MNIST's 28 px, a first layer's 11 px) keeps its pixels sharp; shrunk, a
            # photo's field is averaged rather than aliased.
            resample = Image.Resampling.NEAREST if scale >= 2 else Image.Resampling.LANCZOS
            fitted = cut.convert("RGB").resize(size, resample)
            canvas.paste(fitted, ((tile - size[0]) // 2, (tile - size[1]) // 2))
    return np.asarray(canvas, dtype=np.uint8)


def channel_patches(
    atlas: Atlas, layer: str, channel: int, *, tile: int = DEFAULT_TILE, cache: ImageCache | None = None
) -> list[np.ndarray]:
    """``channel``'s top patches in ``layer``, best first (one per filled slot)."""
    images = cache or ImageCache()
    return [patch(images.get(entry.path), entry.image_box, tile) for entry in atlas.entries(layer, channel)]


def mosaic(tiles: Sequence[np.ndarray | None], count: int, *, tile: int, columns: int | None = None) -> np.ndarray:
    """``count`` slots of ``tile`` px in a near-square grid (row-major), ``GAP`` px of white apart; a slot without
    a tile (beyond ``tiles``, or None) stays white."""
    columns = max(1, columns or math.ceil(math.sqrt(max(1, count))))
    rows = max(1, math.ceil(count / columns))
    sheet = np.full((rows * (tile + GAP) - GAP, columns * (tile + GAP) - GAP, 3), BACKGROUND, dtype=np.uint8)
    for slot, picture in enumerate(tiles[:count]):
        if picture is None:
            continue
        row, col = divmod(slot, columns)
        y, x = row * (tile + GAP), col * (tile + GAP)
        sheet[y : y + tile, x : x + tile] = picture
    return sheet


def channel_grid(
    atlas: Atlas, layer: str, channel: int, *, tile: int = DEFAULT_TILE, cache: ImageCache | None = None
) -> np.ndarray:
    """``channel``'s top-N patches as one image: 3 x 3 for N = 9, best first, row by row."""
    return mosaic(channel_patches(atlas, layer, channel, tile=tile, cache=cache), atlas.top, tile=tile)


def contact_sheet(atlas: Atlas, layer: str, *, tile: int = 48, cache: ImageCache | None = None) -> np.ndarray:
    """Every channel's best patch, channel by channel in index order, in one near-square grid."""
    images = cache or ImageCache()
    channels = atlas.layers[layer].channels
    best: list[AtlasEntry | None] = [next(iter(atlas.entries(layer, c)), None) for c in range(channels)]
    tiles = [None if entry is None else patch(images.get(entry.path), entry.image_box, tile) for entry in best]
    return mosaic(tiles, channels, tile=tile)
