"""engine.colors: score maps coloured through the core's lookup tables and blended over their image."""

from __future__ import annotations

import numpy as np
import pytest
from cmap import Colormap

from viewer.core.colormap import images as colors
from viewer.core.colormap.tables import ColormapError
from viewer.core.errors import ExportError
from viewer.engine import export


def _rgb(height: int = 12, width: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def test_colorize_uses_the_named_colormap_end_to_end():
    values = np.array([[0.0, 1.0], [2.0, 4.0]])
    rgb = colors.colorize(values, "viridis")
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    lut = Colormap("viridis")(np.array([0.0, 0.25, 0.5, 1.0]), bytes=True)[:, :3]
    np.testing.assert_array_equal(rgb.reshape(-1, 3), lut)


def test_colorize_with_bounds_clips_and_handles_constant_and_nan():
    values = np.array([[-5.0, 0.5], [9.0, np.nan]])
    rgb = colors.colorize(values, "turbo", vmin=0.0, vmax=1.0)
    low, high = Colormap("turbo")(np.array([0.0, 1.0]), bytes=True)[:, :3]
    np.testing.assert_array_equal(rgb[0, 0], low)
    np.testing.assert_array_equal(rgb[1, 0], high)
    np.testing.assert_array_equal(rgb[1, 1], low)
    flat = colors.colorize(np.full((3, 3), 7.0))
    assert (flat == flat[0, 0]).all()


def test_unknown_colormap_is_the_cores_one_error():
    with pytest.raises(ColormapError, match="Unknown colormap 'no-such-map'"):
        colors.colorize(np.zeros((2, 2)), "no-such-map")


def test_wrong_shapes_and_pixels_are_export_errors():
    with pytest.raises(ExportError, match="2-D"):
        colors.colorize(np.zeros((2, 2, 2)))
    with pytest.raises(ExportError, match="uint8"):
        colors.overlay(np.zeros((2, 2, 3), dtype=np.float32), np.zeros((2, 2)))
    with pytest.raises(ExportError, match="opacity"):
        colors.overlay(_rgb(2, 2), np.zeros((2, 2)), alpha=1.5)


def test_export_reexports_the_colouring():
    assert export.colorize is colors.colorize and export.overlay is colors.overlay


def test_grey_image_is_overlaid_as_rgb():
    grey = _rgb(4, 4)[:, :, 0]
    assert colors.overlay(grey, np.zeros((4, 4)), alpha=0.0).shape == (4, 4, 3)


def test_overlay_blends_by_alpha_and_resizes_scores():
    image = _rgb(8, 10)
    scores = np.linspace(0, 1, 80, dtype=np.float32).reshape(8, 10)
    np.testing.assert_array_equal(colors.overlay(image, scores, alpha=0.0), image)
    np.testing.assert_array_equal(colors.overlay(image, scores, alpha=1.0), colors.colorize(scores, "jet"))
    half = colors.overlay(image, scores, alpha=0.5).astype(int)
    expected = (image.astype(int) + colors.colorize(scores, "jet").astype(int)) / 2
    assert np.abs(half - expected).max() <= 0.5 + 1e-9
    coarse = colors.overlay(image, np.array([[0.0, 1.0], [1.0, 0.0]]), alpha=1.0)
    assert coarse.shape == image.shape
