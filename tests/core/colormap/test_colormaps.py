"""core.colormap.tables: one cached table per name, cmap's colours, one error for an unknown name."""

from __future__ import annotations

import numpy as np
import pytest
from cmap import Colormap

from viewer.core.colormap.tables import LUT_SIZE, ColormapError, apply_colormap, lookup_table
from viewer.core.errors import ViewerError


def test_table_is_cmaps_colours_as_bytes_and_read_only() -> None:
    table = lookup_table("viridis")
    assert table.shape == (LUT_SIZE, 3) and table.dtype == np.uint8 and not table.flags.writeable
    expected = Colormap("viridis")(np.arange(LUT_SIZE), bytes=True)[:, :3]
    np.testing.assert_array_equal(table, expected)


def test_table_is_cached_per_name() -> None:
    assert lookup_table("magma") is lookup_table("magma")
    assert lookup_table("magma") is not lookup_table("inferno")


def test_gray_is_an_equal_channel_ramp() -> None:
    table = lookup_table("gray").astype(int)
    assert (table[:, 0] == table[:, 1]).all() and (table[:, 1] == table[:, 2]).all()
    assert table[0, 0] == 0 and table[-1, 0] == 255 and (np.diff(table[:, 0]) >= 0).all()


def test_unknown_name_is_one_viewer_error_that_names_alternatives() -> None:
    with pytest.raises(ColormapError, match=r"Unknown colormap 'no-such-map' \(try turbo"):
        lookup_table("no-such-map")
    assert issubclass(ColormapError, ViewerError)


def test_apply_matches_cmaps_float_mapping_and_clips_ends() -> None:
    values = np.linspace(0.0, 1.0, 1001)
    expected = Colormap("turbo")(values, bytes=True)[:, :3]
    np.testing.assert_array_equal(apply_colormap(values, "turbo"), expected)
    ends = apply_colormap(np.array([-3.0, np.nan, np.inf, 7.0, -np.inf]), "turbo")
    table = lookup_table("turbo")
    np.testing.assert_array_equal(ends, table[[0, 0, -1, -1, 0]])


def test_apply_keeps_the_shape_and_adds_rgb() -> None:
    assert apply_colormap(np.zeros((4, 5, 6)), "gray").shape == (4, 5, 6, 3)
