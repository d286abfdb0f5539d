"""The unit's result: a box's pixels (edges outward, clipped, never empty) and crops taken with the right box."""

from __future__ import annotations

import numpy as np

from viewer.core.results.unit import Unit, UnitAttribution, UnitMap, box_slices


def test_a_boxs_pixels_reach_outward_to_whole_pixels_and_stay_in_the_array() -> None:
    assert box_slices((2.0, 3.0, 7.0, 9.0), (20, 30)) == (slice(3, 9), slice(2, 7))
    assert box_slices((1.5, 0.5, 4.5, 2.5), (20, 30)) == (slice(0, 3), slice(1, 5))  # half pixels: both touched
    assert box_slices((20.999999999, 0.0, 41.0000001, 3.0), (20, 60)) == (slice(0, 3), slice(21, 41))  # rounding
    assert box_slices((-5.0, -5.0, 100.0, 100.0), (20, 30)) == (slice(0, 20), slice(0, 30))
    assert box_slices((30.0, 20.0, 30.0, 20.0), (20, 30)) == (slice(19, 20), slice(29, 30))  # never empty


def test_a_crop_cuts_input_pictures_with_the_input_box_and_image_pictures_with_the_image_box() -> None:
    rgb = np.random.default_rng(0).random((8, 10, 3), dtype=np.float32)
    image_rgb = np.arange(16 * 20 * 3, dtype=np.int64).reshape(16, 20, 3).astype(np.uint8)
    item = UnitMap("guided_backprop", np.zeros((3, 8, 10), np.float32), rgb, rgb[..., 0], image_rgb,
                   image_rgb[..., 0].astype(np.float32), peak=1.0)  # fmt: skip
    result = UnitAttribution(
        unit=Unit("features.3", 2, 1, 1),
        activation=1.0,
        channel_map=np.zeros((3, 4), np.float32),
        default_cell=False,
        maps={"guided_backprop": item},
        receptive_field=None,
        input_box=(1.0, 2.0, 4.0, 6.0),
        image_box=(2.0, 4.0, 8.0, 12.0),
        input_size=(10, 8),
        image_size=(20, 16),
        image_path="x.png",
        model="lenet5",
        weights="MNIST",
        weights_sha256=None,
    )
    assert np.array_equal(result.crop("guided_backprop", "rgb"), rgb[2:6, 1:4])
    assert np.array_equal(result.crop("guided_backprop", "magnitude"), rgb[2:6, 1:4, 0])
    assert np.array_equal(result.crop("guided_backprop"), image_rgb[4:12, 2:8])
    assert result.provenance()["unit"] == {"layer": "features.3", "channel": 2, "row": 1, "col": 1}
