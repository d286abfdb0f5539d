"""The atlas result: one channel's rows from the layer's arrays, and the whole result crosses the wire."""

from __future__ import annotations

import numpy as np

from viewer.core.graph.receptive import ReceptiveField
from viewer.core.results.atlas import Atlas, AtlasEntry, LayerAtlas, Unreadable
from viewer.core.wire import decode, encode


def _atlas() -> Atlas:
    layer = LayerAtlas(
        layer="features.3",
        map_shape=(8, 8),
        receptive_field=ReceptiveField((14, 14), (2, 2), (6.5, 6.5)),
        values=np.array([[3.0, 2.0], [1.5, -np.inf]], np.float32),
        image=np.array([[1, 0], [0, -1]], np.int32),
        row=np.array([[2, 0], [7, 0]], np.int32),
        col=np.array([[3, 1], [7, 0]], np.int32),
        input_box=np.tile(np.array([0, 1, 14, 15], np.float32), (2, 2, 1)),
        image_box=np.tile(np.array([0, 2, 28, 30], np.float32), (2, 2, 1)),
        image_size=np.full((2, 2, 2), 56, np.int32),
    )
    return Atlas(
        folder="/data",
        network="lenet5",
        weights="MNIST",
        preprocess="weights",
        input_shape=(1, 28, 28),
        top=2,
        layers={"features.3": layer},
        images=["/data/a.png", "/data/b.png"],
        files=3,
        indexed=2,
        unreadable=[Unreadable("/data/c.jpg", "c.jpg: not an image file (no known image header).")],
        key="abc",
    )


def test_a_channels_entries_are_its_filled_slots_best_first() -> None:
    atlas = _atlas()
    assert atlas.entries("features.3", 0) == [
        AtlasEntry("/data/b.png", 3.0, 2, 3, (0.0, 1.0, 14.0, 15.0), (0.0, 2.0, 28.0, 30.0), (56, 56)),
        AtlasEntry("/data/a.png", 2.0, 0, 1, (0.0, 1.0, 14.0, 15.0), (0.0, 2.0, 28.0, 30.0), (56, 56)),
    ]
    assert [entry.row for entry in atlas.entries("features.3", 1)] == [7]
    assert atlas.layers["features.3"].filled(1) == 1


def test_the_atlas_crosses_the_wire() -> None:
    atlas = _atlas()
    back = decode(encode(atlas).data)
    assert isinstance(back, Atlas) and back.unreadable == atlas.unreadable
    assert back.entries("features.3", 0) == atlas.entries("features.3", 0)
    assert np.array_equal(back.layers["features.3"].values, atlas.layers["features.3"].values)
