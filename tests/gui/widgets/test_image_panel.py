"""Image panel: the picture in original-image coordinates, an overlay stretched over it, a box."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.gui.widgets.image_panel import ImagePanel, input_box_to_image


def test_shows_name_size_and_draws_overlay_and_box(qtbot):
    panel = ImagePanel()
    qtbot.addWidget(panel)
    display = np.zeros((50, 100, 3), np.uint8)  # a half-size display copy of a 200x100 image
    panel.set_image(display, "wide.png", (200, 100))
    assert "wide.png" in panel.title.text() and "200×100" in panel.title.text()
    bounds = panel.image_item.mapRectToParent(panel.image_item.boundingRect())
    assert (bounds.width(), bounds.height()) == (200, 100)
    panel.set_overlay(np.arange(12, dtype=np.float32).reshape(3, 4), colormap="viridis", opacity=0.4)
    assert panel.has_overlay() and panel.overlay_item.opacity() == pytest.approx(0.4)
    overlay = panel.overlay_item.mapRectToParent(panel.overlay_item.boundingRect())
    assert (overlay.width(), overlay.height()) == (200, 100)
    panel.set_box((10, 20, 42, 52))
    assert panel.box() == (10, 20, 42, 52)
    panel.set_image(None)
    assert panel.image_size() is None and not panel.has_overlay() and panel.box() is None


def test_input_box_maps_back_through_resize_and_centre_crop():
    # 512x256 image, shorter side resized 256 -> 128 (scale 2), then a 112 crop centred: offset (72, 8).
    box = input_box_to_image((0, 0, 112, 112), (512, 256), resize_size=128, crop_size=112)
    assert box == pytest.approx(((0 + 72) * 2, (0 + 8) * 2, (112 + 72) * 2, (112 + 8) * 2))
    assert input_box_to_image((1, 2, 3, 4), (10, 10), None, None) == (1, 2, 3, 4)


def test_decorations_hidden_by_the_window_come_back_unchanged(qtbot):
    panel = ImagePanel()
    qtbot.addWidget(panel)
    panel.set_image(np.zeros((10, 20, 3), np.uint8), "a.png")
    panel.set_overlay(np.ones((2, 2), np.float32))
    panel.set_box((1, 2, 3, 4))
    panel.show_decorations(overlay=False, box=False)  # a tab that draws nothing over the image
    assert not panel.has_overlay() and panel.box() is None
    panel.set_overlay(np.zeros((2, 2), np.float32))  # a new heatmap meanwhile: kept, not drawn
    assert not panel.has_overlay()
    panel.show_decorations(overlay=True, box=False)
    assert panel.has_overlay() and panel.box() is None
    panel.show_decorations(overlay=False, box=True)
    assert not panel.has_overlay() and panel.box() == (1, 2, 3, 4)
    panel.set_box(None)
    panel.show_decorations(overlay=True, box=True)
    assert panel.box() is None  # what was taken away stays away
