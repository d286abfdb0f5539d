"""The atlas job: each channel's strongest images over a folder of the engine's machine (issue 23).

A generator, as every long job: progress (images/s, time left) between batches, where the runner may cancel (the
pass then saves what it did, and the next one with the same key resumes); the
:class:`~viewer.core.results.atlas.Atlas` returned. A finished index is read without a single progress step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from viewer.core.progress import Job, Progress
from viewer.core.results.atlas import Atlas, AtlasEntry, AtlasSheet, ChannelPatches

if TYPE_CHECKING:
    from viewer.engine.atlas import crops
    from viewer.engine.models.weights import LoadedModel

__all__ = ["PATCH_TILE", "SHEET_TILE", "atlas", "atlas_patches", "atlas_sheet"]

PATCH_TILE = 96  # px a side of a channel's patch (the CLI's grids')
SHEET_TILE = 48  # px a side of a contact sheet's tile
SHEET_STEP = 32  # channels between two progress steps of a contact sheet


def atlas(
    folder: str,
    loaded: LoadedModel,
    layers: Sequence[str],
    *,
    top: int = 9,
    batch_size: int = 64,
    workers: int | None = None,
    index_dir: str | None = None,
    indexed_only: bool = False,
) -> Job[Atlas | None]:
    """``layers``' top-``top`` images per channel over ``folder`` (recursively), with the index kept in ``index_dir``
    (None: the user's cache). With ``indexed_only``: a finished index read, or None, never a pass."""
    from viewer.engine.atlas.job import atlas_pass, indexed_atlas

    if indexed_only:
        return indexed_atlas(loaded, folder, layers, top=top, index_dir=index_dir)

    # The engine process has threads (a reader per window): its decoding workers are forked from a fresh
    # forkserver, never from this process (a fork copies locks that other threads may hold).
    return (
        yield from atlas_pass(
            loaded,
            folder,
            layers,
            top=top,
            batch_size=batch_size,
            workers=workers,
            index_dir=index_dir,
            context="forkserver",
        )
    )


def atlas_patches(
    layer: str, channel: int, entries: Sequence[AtlasEntry], *, top: int, tile: int = PATCH_TILE
) -> ChannelPatches:
    """``entries`` (one channel's, from the window's :class:`Atlas`) cut from their images, each to its field."""
    from viewer.engine.atlas import crops

    cache = _image_cache()
    tiles = [crops.patch(cache.get(entry.path), entry.image_box, tile) for entry in entries]
    return ChannelPatches(layer, channel, list(entries), tiles, crops.mosaic(tiles, max(top, 1), tile=tile))


def atlas_sheet(found: Atlas, layer: str, *, tile: int = SHEET_TILE) -> Job[AtlasSheet]:
    """``layer``'s contact sheet: every channel's best patch (progress every few dozen channels: a wide layer's
    sheet decodes hundreds of images)."""
    import math

    from viewer.engine.atlas import crops

    cache = _image_cache()
    channels = found.layers[layer].channels
    tiles = []
    for channel in range(channels):
        if channel % SHEET_STEP == 0:
            yield Progress(channel, channels, f"{layer}: best patch of channel {channel:,} of {channels:,}")
        best = next(iter(found.entries(layer, channel)), None)
        tiles.append(None if best is None else crops.patch(cache.get(best.path), best.image_box, tile))
    columns = max(1, math.ceil(math.sqrt(max(1, channels))))
    image = crops.mosaic(tiles, channels, tile=tile, columns=columns)
    return AtlasSheet(layer, image, channels, columns, tile, crops.GAP)


def _image_cache() -> crops.ImageCache:
    """The engine's few decoded images, kept between jobs (neighbouring channels share images)."""
    global _cache
    if _cache is None:
        from viewer.engine.atlas.crops import ImageCache

        _cache = ImageCache(64)
    return _cache


_cache: crops.ImageCache | None = None
