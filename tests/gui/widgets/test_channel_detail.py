"""The large channel view of the Activations tab (widgets.activations.large.ChannelDetail), on its own."""

from __future__ import annotations

import numpy as np
import pytest
from activation_factory import make_activation
from PySide6.QtCore import Qt

from viewer.core.graph.receptive import ReceptiveField
from viewer.gui.widgets.activations.large import ChannelDetail


@pytest.fixture
def detail(qtbot) -> ChannelDetail:
    widget = ChannelDetail()
    qtbot.addWidget(widget)
    widget.resize(500, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_map_is_shown_with_its_statistics(detail: ChannelDetail) -> None:
    maps = np.zeros((2, 4, 4), dtype=np.float32)
    maps[0] = np.arange(16, dtype=np.float32).reshape(4, 4)
    activation = make_activation(maps)
    detail.set_geometry(activation)
    detail.set_channel(0, maps[0], activation=activation)
    assert np.array_equal(detail.channel_image, maps[0])
    assert detail.info.text().startswith("channel 0 · mean 7.5 · max 15")
    detail.set_channel(1, maps[1], activation=activation)
    assert detail.info.text().endswith("· dead")
    assert not detail.showing_units and detail.pages.currentWidget() is detail.view


def test_a_flat_activation_is_drawn_as_unit_bars(detail: ChannelDetail) -> None:
    vector = make_activation(np.array([0.5, -1.0, 2.0], dtype=np.float32))
    detail.set_geometry(vector)
    detail.set_channel(2, np.asarray(vector.array)[2:3].reshape(1, 1), activation=vector)
    assert detail.showing_units and detail.pages.currentWidget() is detail.units
    assert detail.info.text().startswith("unit 2")
    assert not detail.alpha.isVisible()  # no overlay for a vector


def test_a_cell_shows_its_receptive_field_clipped_to_the_input(detail: ChannelDetail, qtbot) -> None:
    field = ReceptiveField(size=(5, 5), jump=(2, 2), start=(0.0, 0.0))
    maps = np.ones((1, 4, 4), dtype=np.float32)
    activation = make_activation(maps, receptive_field=field, input_shape=(1, 8, 8))
    detail.set_geometry(activation)
    detail.set_channel(0, maps[0], activation=activation)
    box = detail.show_receptive_field(0, 0)
    assert box == tuple(float(v) for v in field.box(0, 0, clip=(8, 8)))
    assert detail.receptive_field_box == box and "sees x" in detail.info.text()
    with qtbot.waitSignal(detail.cellClicked) as blocker:
        qtbot.mouseClick(detail.view.viewport(), Qt.MouseButton.LeftButton, pos=detail.cell_center(2, 1))
    assert blocker.args == [2, 1]
    detail.set_geometry(activation)  # a new activation forgets the old cell and box
    assert detail.receptive_field_box is None


def test_the_overlay_opacity_follows_the_slider(detail: ChannelDetail) -> None:
    detail.alpha.setValue(25)
    assert detail.overlay_alpha == pytest.approx(0.25)


def test_the_receptive_field_label_says_x_and_y_with_inclusive_pixel_ranges(detail: ChannelDetail) -> None:
    field = ReceptiveField(size=(5, 5), jump=(2, 2), start=(0.0, 0.0))
    maps = np.ones((1, 4, 4), dtype=np.float32)
    activation = make_activation(maps, receptive_field=field, input_shape=(1, 8, 8))
    detail.set_geometry(activation)
    detail.set_channel(0, maps[0], activation=activation)
    assert detail.show_receptive_field(1, 2) == (2.0, 0.0, 7.0, 5.0)  # row 1, column 2: edges x 2..7, y 0..5
    # Column 2 is x 2 and row 1 is y 1; the five pixels are x 2..6 and y 0..4, inclusive, and said as 5×5.
    assert "cell x 2, y 1 = 1 · sees x 2..6, y 0..4 (5×5 px)" in detail.info.text()
