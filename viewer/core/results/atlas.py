"""The strongest image patches of every channel of a layer over a folder ("dataset examples", issue 23).

Zeiler & Fergus (2014) show, for a unit, the nine image patches that excite it most over a data set, each cut to
the unit's receptive field. One pass of the engine (:mod:`viewer.engine.atlas`) keeps, for every channel, the
``top`` images whose spatial maximum of that channel is highest: one entry per image and channel, at the cell of
the maximum. A layer's entries are arrays, (channels, top) each, so that a layer of 1,280 channels crosses to the
window as a few arrays, not ten thousand objects; :meth:`Atlas.entries` gives one channel's as
:class:`AtlasEntry` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from viewer.core.graph.receptive import ReceptiveField

__all__ = ["Atlas", "AtlasEntry", "Box", "LayerAtlas", "Unreadable"]

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) pixel edges; pixel ``i`` spans ``[i, i + 1)``."""


@dataclass(frozen=True)
class AtlasEntry:
    """One of a channel's strongest images: where in its map the channel peaked, and what of the image it saw."""

    path: str  # the image file (the engine's path)
    value: float  # the channel's maximum over its map for this image
    row: int  # the cell of that maximum in the layer's map (0, 0 for a vector)
    col: int
    input_box: Box  # the cell's receptive field in the network input's pixels, clipped to the input
    image_box: Box  # the same field in the original image's pixels (what preprocessing resized and cropped)
    image_size: tuple[int, int]  # (width, height) of the original image, upright


@dataclass(frozen=True)
class Unreadable:
    """A file of the folder that could not be indexed, and why, in one sentence."""

    path: str
    reason: str


@dataclass
class LayerAtlas:
    """One layer's running top-``top`` per channel, best first, as arrays of shape (channels, top).

    A channel that saw fewer than ``top`` images has empty slots at its end: ``image`` -1 and ``value`` -inf.
    """

    layer: str
    map_shape: tuple[int, int]  # (height, width) of the layer's map; (1, 1) for a vector (a Linear's output)
    receptive_field: ReceptiveField | None  # None: every cell sees the whole input (after a Linear)
    values: np.ndarray  # float32 (C, top)
    image: np.ndarray  # int32 (C, top): index into ``Atlas.images``, -1 for an empty slot
    row: np.ndarray  # int32 (C, top)
    col: np.ndarray  # int32 (C, top)
    input_box: np.ndarray  # float32 (C, top, 4): x0, y0, x1, y1 in the network input's pixels
    image_box: np.ndarray  # float32 (C, top, 4): the same in the original image's pixels
    image_size: np.ndarray  # int32 (C, top, 2): (width, height) of the original image

    @property
    def channels(self) -> int:
        return int(self.values.shape[0])

    @property
    def top(self) -> int:
        return int(self.values.shape[1])

    def filled(self, channel: int) -> int:
        """How many of ``channel``'s slots hold an image."""
        return int(np.count_nonzero(self.image[channel] >= 0))


@dataclass
class Atlas:
    """Every chosen layer's top images per channel over one folder, and what the pass made of the folder."""

    folder: str
    network: str  # the network's name (``lenet5``, a custom file's ``file:function``)
    weights: str  # the weights' label, as every view names them
    preprocess: str  # how images were fed: the preset and the recipe's values
    input_shape: tuple[int, int, int]  # (C, H, W) of the network input
    top: int
    layers: dict[str, LayerAtlas]  # in the order asked
    images: list[str]  # the image files the entries name (only those), the engine's paths
    files: int  # image files found in the folder (recursively)
    indexed: int  # of those, the ones decoded and passed through the network
    unreadable: list[Unreadable] = field(default_factory=list)
    key: str = ""  # the index's key: network, weights, preprocessing, layers, top and the folder's files
    index_path: str = ""  # the index's JSON file ("" when it was not saved)
    from_index: bool = False  # True when read from a finished index (no forward pass ran)
    seconds: float = 0.0  # of the pass (this run's share when it resumed one); 0 when read from the index

    def entries(self, layer: str, channel: int) -> list[AtlasEntry]:
        """``channel``'s top images in ``layer``, best first (empty slots left out)."""
        found = self.layers[layer]
        rows = []
        for slot in range(found.top):
            image = int(found.image[channel, slot])
            if image < 0:
                continue
            rows.append(
                AtlasEntry(
                    path=self.images[image],
                    value=float(found.values[channel, slot]),
                    row=int(found.row[channel, slot]),
                    col=int(found.col[channel, slot]),
                    input_box=_box(found.input_box[channel, slot]),
                    image_box=_box(found.image_box[channel, slot]),
                    image_size=(int(found.image_size[channel, slot, 0]), int(found.image_size[channel, slot, 1])),
                )
            )
        return rows


def _box(values: np.ndarray) -> Box:
    return float(values[0]), float(values[1]), float(values[2]), float(values[3])
