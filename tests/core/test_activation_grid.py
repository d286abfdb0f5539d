"""The channel mosaic's geometry and rendering (viewer.core.activation_grid), on the engine's real Activation."""

from __future__ import annotations

import numpy as np
import pytest
from activation_factory import make_activation

from viewer.core.activation_grid import (
    GridOptions,
    MosaicLayout,
    channel_grid,
    effective_normalize,
    layout_for,
    render_grid,
)
from viewer.core.colormap.tables import ColormapError


def test_layout_is_about_square_and_maps_points_to_tiles() -> None:
    layout = layout_for(10, 4, 4)
    assert (layout.columns, layout.rows, layout.gap) == (4, 3, 1)
    assert layout.shape == (3 * 5 - 1, 4 * 5 - 1)
    assert layout.tile_origin(5) == (5, 5)
    assert layout.position_at(5.5, 5.5) == 5
    assert layout.position_at(4.0, 0.0) is None  # the gap between columns
    assert layout.position_at(-1.0, 0.0) is None
    assert layout.position_at(10.0, 10.0) is None  # tile 10 does not exist (10 tiles: 0..9)
    assert layout.position_at(100.0, 0.0) is None  # right of the last column


def test_tall_tiles_get_more_columns() -> None:
    assert layout_for(16, 8, 2).columns > layout_for(16, 2, 8).columns
    assert layout_for(1, 3, 3) == MosaicLayout(1, 3, 3, 1, 1, 1)


def test_flat_outputs_are_always_scaled_per_layer() -> None:
    options = GridOptions(normalize="channel")
    assert effective_normalize(options, 1, 1) == "layer"
    assert effective_normalize(options, 2, 2) == "channel"


def test_render_grid_matches_its_layout_and_levels() -> None:
    maps = np.arange(5 * 3 * 3, dtype=np.float32).reshape(5, 3, 3) - 4.0
    activation = make_activation(maps)
    grid = render_grid(activation, GridOptions(colormap="gray"))
    assert grid.activation is activation and grid.layer == "features.0"
    assert grid.image.shape == (*grid.layout.shape, 3)
    assert grid.levels == (-4.0, 40.0)
    assert grid.layout.count == 5


def test_render_grid_of_a_vector_uses_one_pixel_tiles() -> None:
    activation = make_activation(np.array([1.0, -2.0, 3.0], dtype=np.float32).reshape(3, 1, 1))
    grid = render_grid(activation, GridOptions())
    assert (grid.layout.tile_height, grid.layout.tile_width) == (1, 1)
    assert grid.image.shape == (*grid.layout.shape, 3)


def test_channel_grid_scale_and_unknown_colormap() -> None:
    activation = make_activation(np.ones((4, 2, 2), dtype=np.float32))
    assert channel_grid(activation, columns=2, scale=3).shape == (2 * 7 - 1, 2 * 7 - 1, 3)
    with pytest.raises(ColormapError, match="Unknown colormap"):
        channel_grid(activation, colormap="no-such-map")
    with pytest.raises(ValueError, match="normalize"):
        channel_grid(activation, normalize="both")
