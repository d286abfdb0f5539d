"""ArchitectureView: totals, boxes that open and close, selection both ways, SVG/PNG export."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pyqtgraph as pg
import pytest
from PIL import Image
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

from viewer.engine.summary import summarize
from viewer.gui.widgets.architecture import ArchitectureView

pg.setConfigOptions(imageAxisOrder="row-major")


@pytest.fixture(scope="module")
def resnet18():
    return summarize("resnet18")  # meta device: shapes, params and MACs without weights or arithmetic


@pytest.fixture
def view(qtbot, resnet18):
    widget = ArchitectureView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_summary(resnet18)
    return widget


def test_totals_show_the_summary(view):
    text = view.totals_text
    assert "resnet18" in text and "input 3×224×224" in text
    assert "11.69M params (11.69M trainable)" in text and "1.81 GMACs" in text


def test_first_view_opens_blocks_within_the_limit(view):
    # 10 top-level boxes; opening layer1-4 and then their blocks breadth-first stops at 40 boxes: layer4's
    # blocks (5-6 layers each) would pass the limit.
    assert view.expanded_blocks == {"layer1", "layer2", "layer3", "layer4", "layer1.0", "layer1.1", "layer2.0",
                                    "layer2.1", "layer3.0", "layer3.1"}
    assert len(view.visible_box_names) == 40
    assert {"layer2.1.bn1", "layer4.0", "layer3.0.downsample", "fc"} <= set(view.visible_box_names)


def test_box_text_shows_type_hyper_parameters_shape_and_cost(view):
    texts = [item.text() for item in view._boxes["conv1"].childItems() if hasattr(item, "text")]
    assert texts == ["conv1", "Conv2d  in=3 out=64 k=7 s=2 p=3 no bias", "out 64×112×112 · RF 7 px",
                     "9.41k params · 118.01 MMACs"]


def test_collapsing_and_expanding_a_block_by_mouse(view, qtbot):
    before = view.visible_box_names
    viewport = view.diagram.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=view.box_center("layer2", marker=True))
    assert "layer2" not in view.expanded_blocks
    assert "layer2" in view.visible_box_names
    assert not any(name.startswith("layer2.") for name in view.visible_box_names)
    assert len(view.visible_box_names) == len(before) - (6 + 5) + 1  # layer2.0 has a downsample block

    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=view.box_center("layer2"))
    assert "layer2" in view.expanded_blocks
    assert {"layer2.0", "layer2.1"} <= set(view.visible_box_names)


def test_clicking_a_box_selects_the_layer(view, qtbot):
    with qtbot.waitSignal(view.layerSelected) as blocker:
        qtbot.mouseClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center("layer3.1.conv2"))
    assert blocker.args == ["layer3.1.conv2"]
    assert view.selected_layer == "layer3.1.conv2"
    assert view.table.currentItem().data(0, Qt.ItemDataRole.UserRole) == "layer3.1.conv2"


def test_select_layer_opens_its_blocks_silently(view, qtbot):
    view.collapse_all()
    assert view.visible_box_names == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
                                      "avgpool", "fc"]
    with qtbot.assertNotEmitted(view.layerSelected):
        view.select_layer("layer4.0.downsample.0")
    assert {"layer4", "layer4.0", "layer4.0.downsample"} <= view.expanded_blocks
    assert "layer4.0.downsample.0" in view.visible_box_names
    assert view.selected_layer == "layer4.0.downsample.0"


def test_table_lists_every_node_and_selects(view, qtbot):
    top = [view.table.topLevelItem(i).text(0) for i in range(view.table.topLevelItemCount())]
    assert top == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    maxpool, fc = view.table.topLevelItem(3), view.table.topLevelItem(9)
    assert [maxpool.text(c) for c in (1, 2, 3, 7)] == ["MaxPool2d", "k=3 s=2 p=1", "64×56×56", "11 px, jump 4"]
    assert [fc.text(c) for c in (2, 3, 4)] == ["in=512 out=1000", "1000", "513.00k"]
    with qtbot.waitSignal(view.layerSelected) as blocker:
        view.table.setCurrentItem(fc)
    assert blocker.args == ["fc"]


def test_zoom_keys(view, qtbot):
    view.diagram.setFocus()
    before = view.diagram.zoom
    qtbot.keyClick(view.diagram, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.diagram.zoom == pytest.approx(before * 1.25)
    qtbot.keyClick(view.diagram, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.diagram.zoom == pytest.approx(before)


def test_wheel_zooms_and_dragging_pans(view, qtbot):
    diagram = view.diagram
    viewport = diagram.viewport()
    centre = QtCore.QPointF(viewport.width() / 2, viewport.height() / 2)
    before = diagram.zoom
    wheel = QtGui.QWheelEvent(centre, diagram.mapToGlobal(centre), QtCore.QPoint(), QtCore.QPoint(0, 240),
                              Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                              False)
    QtWidgets.QApplication.sendEvent(viewport, wheel)
    assert diagram.zoom == pytest.approx(before * 1.15**2)

    scroll = diagram.horizontalScrollBar()
    assert scroll.maximum() > 0  # zoomed in: there is somewhere to pan to
    start = scroll.value()
    for kind, x, buttons in ((QtCore.QEvent.Type.MouseButtonPress, 300, Qt.MouseButton.LeftButton),
                             (QtCore.QEvent.Type.MouseMove, 200, Qt.MouseButton.LeftButton),
                             (QtCore.QEvent.Type.MouseButtonRelease, 200, Qt.MouseButton.NoButton)):
        point = QtCore.QPointF(x, 20)
        event = QtGui.QMouseEvent(kind, point, diagram.mapToGlobal(point), Qt.MouseButton.LeftButton, buttons,
                                  Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(viewport, event)
    assert scroll.value() == start + 100


def test_export_svg_and_png(view, tmp_path, qtbot):
    svg = tmp_path / "net.svg"
    png = tmp_path / "net.png"
    svg.write_text("old")  # overwritten in place, atomically
    view.export_svg(svg)
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "layer2.1.bn1" in svg.read_text()  # the boxes' text is in the vector file

    view.choose_export_path = lambda: str(png)
    with qtbot.waitSignal(view.exported) as blocker:
        qtbot.mouseClick(view.findChild(pg.QtWidgets.QPushButton, "exportArchitectureButton"),
                         Qt.MouseButton.LeftButton)
    assert blocker.args == [str(png)]
    with Image.open(png) as image:
        rect = view.diagram.sceneRect()
        assert image.size == pytest.approx((rect.width() * 2, rect.height() * 2), abs=1)  # at twice the scale
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.png", "net.svg"]  # no temp files left


def test_a_hidden_view_fits_the_diagram_when_shown(qtbot, resnet18):
    widget = ArchitectureView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.set_summary(resnet18)  # e.g. while another tab is current
    widget.show()
    qtbot.waitExposed(widget)
    shown = widget.diagram.mapToScene(widget.diagram.viewport().rect()).boundingRect()
    scene = widget.diagram.sceneRect()
    assert shown.contains(scene.adjusted(1, 1, -1, -1))  # all of it in view …
    assert shown.width() < scene.width() * 1.1 or shown.height() < scene.height() * 1.1  # … and filling it


def test_ctrl_0_fits_the_diagram_when_it_has_the_focus_and_the_image_otherwise(qtbot, make_window, monkeypatch):
    from PySide6 import QtCore, QtWidgets

    window = make_window("lenet5", "default")
    window.set_tab("architecture")
    diagram = window.findChild(QtWidgets.QGraphicsView, "architectureView")
    fitted = []
    monkeypatch.setattr(diagram, "request_fit", lambda: fitted.append("diagram"))
    monkeypatch.setattr(window.image_panel, "fit", lambda: fitted.append("image"))
    diagram.setFocus()
    qtbot.waitUntil(diagram.hasFocus)
    qtbot.keyClick(diagram, QtCore.Qt.Key.Key_0, QtCore.Qt.KeyboardModifier.ControlModifier)
    window.thumbnails.setFocus()
    qtbot.waitUntil(window.thumbnails.hasFocus)
    qtbot.keyClick(window.thumbnails, QtCore.Qt.Key.Key_0, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert fitted == ["diagram", "image"]  # an ambiguous shortcut would run neither
