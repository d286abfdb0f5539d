"""ActivationsView: a pure view, driven with engine-shaped results and real mouse clicks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore
from PySide6.QtCore import Qt

from viewer.engine.receptive import ReceptiveField
from viewer.engine.summary import summarize
from viewer.gui.widgets.activations import ActivationsView

pg.setConfigOptions(imageAxisOrder="row-major")


def fake_activation(layer: str = "features.0", channels: int = 6, size: int = 24, dead=(3,)) -> SimpleNamespace:
    rng = np.random.default_rng(0)
    array = rng.random((channels, size, size), dtype=np.float32)
    for c in dead:
        array[c] = 0
    flat = array.reshape(channels, -1)
    mean, peak = flat.mean(1), flat.max(1)
    return SimpleNamespace(
        layer=layer, array=array, mean=mean, max=peak, zero_fraction=(flat == 0).mean(1),
        dead=peak <= 0, order={"index": np.arange(channels), "mean": np.argsort(-mean), "max": np.argsort(-peak)},
        receptive_field=ReceptiveField(size=(5, 5), jump=(2, 2), start=(0.0, 0.0)), input_shape=(1, 48, 48),
    )


@pytest.fixture(scope="module")
def lenet():
    return summarize("lenet5")  # meta device: the real layer tree, no weights needed


@pytest.fixture
def view(qtbot, lenet):
    widget = ActivationsView()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_summary(lenet)
    return widget


def test_picking_a_layer_in_the_tree_requests_it(view, qtbot):
    tree = view.findChild(pg.QtWidgets.QTreeWidget, "layerTree")
    top = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [(i.text(0), i.text(1), i.text(2)) for i in top] == [
        ("features", "Sequential", "16×4×4"), ("classifier", "Sequential", "10")]
    features = top[0]
    assert features.isExpanded() and features.childCount() == 6
    conv = features.child(3)
    assert (conv.text(0), conv.text(1), conv.text(2)) == ("3", "Conv2d", "16×8×8")
    with qtbot.waitSignal(view.layerRequested) as blocker:
        rect = tree.visualItemRect(conv)
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["features.3"]
    assert view.current_layer == "features.3"


def test_select_layer_is_silent(view, qtbot):
    with qtbot.assertNotEmitted(view.layerRequested):
        view.select_layer("classifier.2")
    assert view.tree.currentItem().toolTip(0) == "classifier.2"
    assert view.tree.currentItem().parent().isExpanded()


def test_activation_shows_every_channel_and_marks_dead_ones(view):
    view.set_activation(fake_activation(channels=6))
    assert view.shown_channel_count == 6
    assert view.selected_channel == 0
    assert "1 dead" in view.header.text()
    assert not view._dead_marks.path().isEmpty()

    view.set_activation(fake_activation(channels=600, size=7, dead=()))
    assert view.shown_channel_count == 600
    assert view._mosaic_item.image.shape == view.layout_info.shape


def test_flat_activation_is_one_tile_per_unit(view):
    act = fake_activation(layer="classifier.4")
    act.array = np.linspace(-1, 1, 10, dtype=np.float32)
    act.order = {"index": np.arange(10)}
    act.dead = np.zeros(10, bool)
    view.set_activation(act)
    assert view.shown_channel_count == 10
    assert view.current_layer == "classifier.4"


def test_sorting_reorders_the_mosaic(view):
    act = fake_activation()
    view.set_activation(act)
    view.sort_picker.setCurrentText("mean")
    assert view.channel_order == list(act.order["mean"])


def test_clicking_a_channel_shows_it_large(view, qtbot):
    act = fake_activation()
    view.set_activation(act)
    view.sort_picker.setCurrentText("max")
    qtbot.wait_until(lambda: view.grid.isVisible())
    with qtbot.waitSignal(view.channelSelected) as blocker:
        qtbot.mouseClick(view.grid.viewport(), Qt.MouseButton.LeftButton, pos=view.channel_center(4))
    assert blocker.args == [4]
    assert view.selected_channel == 4
    np.testing.assert_array_equal(view.detail.channel_image, act.array[4])


def test_clicking_a_cell_emits_and_draws_its_receptive_field(view, qtbot):
    view.set_input_image(np.full((48, 48, 3), 128, np.uint8))
    view.set_activation(fake_activation())
    detail = view.detail
    with qtbot.waitSignal(view.receptiveFieldRequested) as cell, qtbot.waitSignal(view.receptiveFieldBox) as box:
        qtbot.mouseClick(detail.view.viewport(), Qt.MouseButton.LeftButton, pos=detail.cell_center(3, 7))
    assert cell.args == [3, 7]
    assert box.args == pytest.approx([12.0, 4.0, 17.0, 9.0])
    assert detail.receptive_field_box == pytest.approx((12.0, 4.0, 17.0, 9.0))
    drawn = detail.box_mark.rect()
    assert (drawn.x(), drawn.y(), drawn.width(), drawn.height()) == pytest.approx((12.0, 4.0, 5.0, 5.0))

    # A border cell's field hangs over the image (it sees padding there): the box is clipped to the input.
    with qtbot.waitSignal(view.receptiveFieldBox) as box:
        qtbot.mouseClick(detail.view.viewport(), Qt.MouseButton.LeftButton, pos=detail.cell_center(0, 23))
    assert box.args == pytest.approx([44.0, 0.0, 48.0, 3.0])


def test_notice_and_alpha(view):
    view.set_notice("layer4 would need 3.2 GiB; capture refused")
    assert not view.notice.isHidden()
    view.set_notice("")
    assert view.notice.isHidden()
    view.set_activation(fake_activation())
    view.detail.alpha.setValue(25)
    assert view.detail.overlay_alpha == pytest.approx(0.25)


def test_clearing(view):
    view.set_activation(fake_activation())
    view.set_activation(None)
    assert view.shown_channel_count == 0
    assert view.selected_channel is None
