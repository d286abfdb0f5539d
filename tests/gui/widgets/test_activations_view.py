"""ActivationsView: a pure view, fed real engine results (LeNet-5 on an MNIST digit) and driven by clicks."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
import torch
from PySide6.QtCore import Qt

from viewer.engine.activations import capture
from viewer.engine.images import load_image, preprocess
from viewer.engine.inference import classify
from viewer.engine.models.registry import build_model
from viewer.engine.models.weights import load_model
from viewer.engine.summary import summarize
from viewer.gui.widgets.activations.view import ActivationsView

pg.setConfigOptions(imageAxisOrder="row-major")
DEAD_RED = (220, 30, 30)  # channel_grid's border for dead channels


@pytest.fixture(scope="module")
def lenet(shared_data):
    """The bundled MNIST LeNet-5, its summary, captures of three layers and what it saw, for digit 7."""
    loaded = load_model("lenet5")
    image = load_image(str(shared_data / "mnist" / "mnist_7.png"))
    summary = summarize(loaded)
    activations = capture(
        loaded, preprocess(image, loaded.input), ["features.0", "features.3", "classifier.0"], summary=summary
    )
    return summary, activations, classify([image], loaded)[0].seen


@pytest.fixture(scope="module")
def wide_activation():
    """512 channels: layer4 of a random-init ResNet-18 on a small input (many tiles, some dead)."""
    torch.manual_seed(0)
    model = build_model("resnet18").eval()
    return capture(model, torch.rand(3, 64, 64), ["layer4"])["layer4"]


@pytest.fixture
def view(qtbot, lenet):
    widget = ActivationsView()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_summary(lenet[0])
    return widget


def test_picking_a_layer_in_the_tree_requests_it(view, qtbot):
    tree = view.findChild(pg.QtWidgets.QTreeWidget, "layerTree")
    top = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [(i.text(0), i.text(1), i.text(2)) for i in top] == [
        ("features", "Sequential", "16×4×4"),
        ("classifier", "Sequential", "10"),
    ]
    features = top[0]
    assert features.isExpanded() and features.childCount() == 6
    conv = features.child(3)
    assert (conv.text(0), conv.text(1), conv.text(2)) == ("3", "Conv2d", "16×8×8")
    with qtbot.waitSignal(view.layerRequested) as blocker:
        rect = tree.visualItemRect(conv)
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["features.3"]
    assert view.current_layer == "features.3"


def test_every_layer_name_and_type_fits_its_column(view):
    tree = view.tree
    metrics = tree.fontMetrics()
    rows, stack = [], [(tree.topLevelItem(i), 1) for i in range(tree.topLevelItemCount())]
    while stack:
        item, depth = stack.pop()
        rows.append((item, depth))
        stack.extend((item.child(i), depth + 1) for i in range(item.childCount()))
    assert len(rows) > 6  # the nested rows too, although they are collapsed
    for item, depth in rows:
        assert depth * tree.indentation() + metrics.horizontalAdvance(item.text(0)) <= tree.columnWidth(0)
        assert metrics.horizontalAdvance(item.text(1)) <= tree.columnWidth(1)


def test_select_layer_is_silent(view, qtbot):
    with qtbot.assertNotEmitted(view.layerRequested):
        view.select_layer("classifier.2")
    assert view.tree.currentItem().toolTip(0) == "classifier.2"
    assert view.tree.currentItem().parent().isExpanded()


def test_activation_shows_every_channel(view, lenet):
    view.set_activation(lenet[1]["features.3"])
    assert view.shown_channel_count == 16
    assert view.current_layer == "features.3"
    assert view.tree.currentItem().toolTip(0) == "features.3"
    assert view.selected_channel == 0
    layout = view.layout_info
    assert view._mosaic_item.image.shape[:2] == layout.shape == (4 * 9 - 1, 4 * 9 - 1)


def test_many_channels_and_dead_ones_are_marked(view, wide_activation):
    view.set_activation(wide_activation)
    assert view.shown_channel_count == 512
    dead = np.flatnonzero(wide_activation.dead)
    assert f"{len(dead)} dead" in view.header.text()
    mosaic = view._mosaic_item.image
    for channel in (dead[0], np.flatnonzero(~wide_activation.dead)[0]):
        x, y = view.layout_info.tile_origin(view.channel_order.index(channel))
        assert (tuple(mosaic[y, x]) == DEAD_RED) == bool(wide_activation.dead[channel])


def test_flat_layer_is_one_tile_per_unit(view, lenet):
    activation = lenet[1]["classifier.0"]
    view.set_activation(activation)
    assert view.shown_channel_count == 120
    assert "120 units" in view.header.text()
    # No map to enlarge: every unit as a bar, the selected one marked.
    view.select_channel(17)
    detail = view.detail
    assert detail.showing_units and detail.pages.currentWidget() is detail.units
    np.testing.assert_array_equal(detail.unit_bars.opts["height"], activation.array.astype(np.float32))
    assert list(detail.selected_bar.opts["x"]) == [17]
    view.set_activation(lenet[1]["features.0"])
    assert detail.pages.currentWidget() is detail.view


def test_sorting_reorders_the_mosaic(view, lenet):
    activation = lenet[1]["features.0"]
    view.set_activation(activation)
    view.sort_picker.setCurrentText("max")
    assert view.channel_order == list(activation.order["max"])
    assert view.channel_order != list(range(6))


def test_clicking_a_channel_shows_it_large(view, qtbot, lenet):
    activation = lenet[1]["features.3"]
    view.set_activation(activation)
    view.sort_picker.setCurrentText("mean")
    with qtbot.waitSignal(view.channelSelected) as blocker:
        qtbot.mouseClick(view.grid.viewport(), Qt.MouseButton.LeftButton, pos=view.channel_center(11))
    assert blocker.args == [11]
    assert view.selected_channel == 11
    np.testing.assert_array_equal(view.detail.channel_image, activation.array[11].astype(np.float32))
    assert view.detail.info.text().startswith("channel 11")


def test_clicking_a_cell_emits_and_draws_its_receptive_field(view, qtbot, lenet):
    view.set_input_image(lenet[2])  # 28x28 grey: what LeNet saw
    view.set_activation(lenet[1]["features.3"])  # 8x8 cells, field 14 px, jump 2, centre of (0, 0) at 6.5
    detail = view.detail
    with qtbot.waitSignal(view.receptiveFieldRequested) as cell, qtbot.waitSignal(view.receptiveFieldBox) as box:
        qtbot.mouseClick(detail.view.viewport(), Qt.MouseButton.LeftButton, pos=detail.cell_center(3, 5))
    assert cell.args == [3, 5]
    # centre x = 6.5 + 5 * 2 = 16.5, y = 6.5 + 3 * 2 = 12.5; 14 px wide: 16.5 - 6.5 .. + 14
    assert box.args == pytest.approx([10.0, 6.0, 24.0, 20.0])
    drawn = detail.box_mark.rect()
    assert (drawn.x(), drawn.y(), drawn.width(), drawn.height()) == pytest.approx((10.0, 6.0, 14.0, 14.0))
    assert detail.receptive_field_box == pytest.approx((10.0, 6.0, 24.0, 20.0))


def test_a_border_cells_field_is_clipped_to_the_input(view, qtbot, wide_activation):
    view.set_activation(wide_activation)  # 2x2 cells whose 435 px fields cover all of a 64 px input
    detail = view.detail
    with qtbot.waitSignal(view.receptiveFieldBox) as box:
        qtbot.mouseClick(detail.view.viewport(), Qt.MouseButton.LeftButton, pos=detail.cell_center(1, 0))
    assert box.args == pytest.approx([0.0, 0.0, 64.0, 64.0])


def test_notice_and_alpha(view, lenet):
    view.set_notice("Capturing layer1 needs about 3,200 MB, over the 2,048 MB budget.")
    assert not view.notice.isHidden()
    view.set_notice("")
    assert view.notice.isHidden()
    view.set_activation(lenet[1]["features.0"])
    view.detail.alpha.setValue(25)
    assert view.detail.overlay_alpha == pytest.approx(0.25)


def test_clearing(view, lenet):
    view.set_activation(lenet[1]["features.0"])
    view.set_activation(None)
    assert view.shown_channel_count == 0
    assert view.selected_channel is None


def test_in_the_app_mosaics_are_drawn_on_the_worker_never_on_the_gui_thread(
    qtbot, make_window, shared_data, monkeypatch
):
    import threading

    from viewer.core import activation_grid

    drawn_on: list[threading.Thread] = []
    real_grid = activation_grid.channel_grid

    def recording_grid(*args, **options):
        drawn_on.append(threading.current_thread())
        return real_grid(*args, **options)

    monkeypatch.setattr(activation_grid, "channel_grid", recording_grid)
    window = make_window("lenet5", "default")
    window.set_tab("activations")
    state, view = window.state, window.views["activations"]
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: view.shown_grid is not None, timeout=60_000)
    activation = state.activations.shown[state.activations.layers[0]]
    assert view.shown_grid.activation is activation and view.shown_channel_count == activation.channels
    assert drawn_on and np.array_equal(view._mosaic_item.image, view.shown_grid.image)

    # A new sort order: the old mosaic stays until the worker's redraw arrives, then matches the order.
    with qtbot.waitSignal(state.activations.grid_changed, timeout=60_000):
        view.sort_picker.setCurrentText("max")
    assert view.shown_grid.options.order == "max" and view.channel_order == list(activation.order["max"])
    assert len(drawn_on) == 2
    assert all(thread is not threading.main_thread() for thread in drawn_on), drawn_on


def test_a_hidden_layer_tree_is_filled_when_shown(qtbot, lenet):
    hidden = ActivationsView()
    qtbot.addWidget(hidden)
    hidden.set_summary(lenet[0])  # a model chosen while another tab is in front
    hidden.select_layer("features.3")
    assert hidden.tree.topLevelItemCount() == 0
    hidden.show()
    qtbot.waitUntil(lambda: hidden.tree.topLevelItemCount() == 2)  # the turn after it is shown
    assert hidden.tree.currentItem().toolTip(0) == "features.3"
