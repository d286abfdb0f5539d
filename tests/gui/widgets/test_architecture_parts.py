"""The Architecture tab's parts, each on its own: text, export, find bar, table, diagram and groups window.

Built from real graphs and layouts of zoo networks (the engine's tracer and layered layout), as the app does.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ElementTree

import pytest
from PIL import Image
from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt

from viewer.core.diagram.layout import Layout
from viewer.core.errors import ExportError
from viewer.core.graph.dataflow import Graph, collapse, expansion
from viewer.core.graph.groups import expand_groups
from viewer.engine.graph.build import graph_of_name
from viewer.engine.layout.layered import layout_view
from viewer.gui.widgets.architecture.diagram import READABLE_ZOOM, DiagramView
from viewer.gui.widgets.architecture.export import (
    PNG_SCALE,
    export_format,
    graph_csv,
    scene_png,
    unselected_render,
    write_file,
)
from viewer.gui.widgets.architecture.find import FindBar, button_row
from viewer.gui.widgets.architecture.format import (
    format_count,
    format_macs,
    format_shape,
    graph_notes_html,
    graph_totals_html,
)
from viewer.gui.widgets.architecture.groups import GroupsWindow
from viewer.gui.widgets.architecture.scene import draw_layout
from viewer.gui.widgets.architecture.table import ArchitectureTable

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def lenet() -> Graph:
    return graph_of_name("lenet5")


@pytest.fixture(scope="module")
def lenet_layout(lenet: Graph) -> Layout:
    return layout_view(collapse(lenet, expansion(lenet, "all")))


def test_numbers_read_the_same_everywhere(lenet: Graph) -> None:
    assert format_shape((64, 56, 56)) == "64×56×56" and format_shape(None) == "—"
    assert format_count(11_689_512) == "11.69M" and format_count(864) == "864"
    assert format_macs(lenet.macs) == "281.64 kMACs"  # LeNet-5 on a 28×28 digit
    totals = graph_totals_html(lenet)
    assert totals.startswith("<b>lenet5</b>") and format_count(lenet.total_params) in totals
    assert graph_notes_html(lenet) == "<br>".join(lenet.notes)


def test_export_format_follows_the_chosen_suffix() -> None:
    assert export_format("/tmp/net.png") == ("png", "/tmp/net.png")
    assert export_format("/tmp/net.CSV") == ("csv", "/tmp/net.CSV")
    assert export_format("/tmp/net.svg") == ("svg", "/tmp/net.svg")
    assert export_format("/tmp/net") == ("svg", "/tmp/net.svg")


def test_graph_csv_has_one_row_per_table_row(lenet: Graph) -> None:
    rows = list(csv.reader(io.StringIO(graph_csv(lenet))))
    names = [row[0] for row in rows[1:]]
    assert rows[0][0] == "name" and len(rows) > 5
    assert any(name.startswith("conv") or ".conv" in name or "features" in name for name in names)


def test_the_png_export_leaves_the_selection_out(qtbot, lenet_layout: Layout, tmp_path) -> None:
    scene = QtWidgets.QGraphicsScene()
    items = draw_layout(scene, lenet_layout)
    assert set(items.nodes) == {node.id for node in lenet_layout.view.nodes}
    selected = next(iter(items.nodes.values()))
    selected.set_selected_look(True)
    pen_before = selected.pen().color().name()
    looks: list[str] = []

    def spy(painter, target) -> None:
        looks.append(selected.pen().color().name())
        unselected_render(scene, selected)(painter, target)

    png = scene_png(scene, spy, 1.0)
    assert png.startswith(b"\x89PNG") and looks == [pen_before]  # painted once, through the render given
    assert selected.pen().color().name() == pen_before  # the selection comes back after the export
    written = write_file(tmp_path / "net.png", png)
    assert written.read_bytes() == png
    assert write_file(written, b"again").read_bytes() == b"again"  # overwrites: the dialog asked


def test_find_bar_completes_names_and_asks_on_enter(qtbot) -> None:
    bar = FindBar()
    qtbot.addWidget(bar)
    bar.set_names(["layer1.0.conv1", "layer1", "layer1"])
    assert bar.completer().model().rowCount() == 2
    bar.set_message("no layer 'x'")
    assert bar.message.text() == "no layer 'x'"
    with qtbot.waitSignal(bar.findRequested) as blocker:
        qtbot.keyClicks(bar.edit, "  layer1 ")
        qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert blocker.args == ["layer1"]
    assert bar.message.text() == ""  # typing cleared the old message


def test_button_row_names_and_wires_each_button(qtbot) -> None:
    holder = QtWidgets.QWidget()
    qtbot.addWidget(holder)
    clicked: list[str] = []
    row, buttons = button_row(FindBar(holder), [("Go", "goButton", lambda: clicked.append("go"), "tip")])
    holder.setLayout(row)
    assert list(buttons) == ["goButton"] and buttons["goButton"].toolTip() == "tip"
    qtbot.mouseClick(buttons["goButton"], Qt.MouseButton.LeftButton)
    assert clicked == ["go"]


def test_table_rows_selection_and_signal(qtbot, lenet: Graph) -> None:
    table = ArchitectureTable()
    qtbot.addWidget(table)
    table.set_graph(lenet)
    node = next(node for node in lenet.nodes if node.module)
    assert table.rows(node.id) and table.rows(node.module)
    with qtbot.assertNotEmitted(table.rowSelected):
        table.select_key(node.id)  # the app's own selection: no echo
    assert table.currentItem() is table.rows(node.id)[0]
    other = next(n for n in lenet.nodes if n.id != node.id and n.module)
    with qtbot.waitSignal(table.rowSelected) as blocker:
        table.setCurrentItem(table.rows(other.id)[0])  # as a click does
    assert blocker.args == [other.id, other.module]
    table.set_graph(None)
    assert table.topLevelItemCount() == 0


def test_diagram_zoom_fit_and_reveal(qtbot, lenet_layout: Layout) -> None:
    view = DiagramView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    items = draw_layout(view.scene(), lenet_layout)
    view.request_fit()
    assert view.zoom <= 1.0
    view.zoom_in()
    assert not view.refit_if_auto()  # the user zoomed: no more automatic fitting
    view.set_zoom(READABLE_ZOOM / 4)
    box = next(iter(items.nodes.values())).sceneBoundingRect()
    view.reveal(box, centre=True)
    assert view.zoom >= READABLE_ZOOM / 2  # zoomed far out: shown readable
    assert view.mapToScene(view.viewport().rect()).boundingRect().intersects(box)


def test_groups_window_draws_the_pathways(qtbot) -> None:
    resnext = graph_of_name("resnext50_32x4d")
    layout = layout_view(collapse(expand_groups(resnext, "layer1.0"), frozenset()))
    window = GroupsWindow()
    qtbot.addWidget(window)
    window.show_layout(layout)
    qtbot.waitExposed(window)
    assert "resnext50_32x4d" in window.title.text()
    assert len(window.items.nodes) == len(layout.view.nodes) and window.isVisible()
    assert window.diagram.sceneRect() == QtCore.QRectF(0, 0, layout.width, layout.height)
    window.close()


def test_the_groups_window_exports_its_pathways_as_svg_and_png(qtbot, tmp_path) -> None:
    resnext = graph_of_name("resnext50_32x4d")
    layout = layout_view(collapse(expand_groups(resnext, "layer1.0"), frozenset()))
    window = GroupsWindow()
    qtbot.addWidget(window)
    window.show_layout(layout)
    qtbot.waitExposed(window)
    button = window.findChild(QtWidgets.QPushButton, "groupsExportButton")
    message = window.findChild(QtWidgets.QLabel, "groupsExportMessage")
    svg, png = tmp_path / "pathways.svg", tmp_path / "pathways.png"
    for target in (svg, png):
        window.choose_export_path = lambda target=target: str(target)
        with qtbot.waitSignal(window.exported) as blocker:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert blocker.args == [str(target)] and message.isHidden()
    with Image.open(png) as image:
        image.load()  # decodes
        width, height = image.size  # the drawing at twice the screen's scale (Qt rounds the half pixel)
        assert abs(width - layout.width * PNG_SCALE) <= 1 and abs(height - layout.height * PNG_SCALE) <= 1
        assert image.getpixel((0, 0))[:3] == (255, 255, 255)
    root = ElementTree.parse(svg).getroot()
    texts = [element.text or "" for element in root.iter(f"{SVG}text")]
    pathways = {text.split(".")[0] for text in texts if re.fullmatch(r"pathway\d+\.conv2", text)}
    assert len(pathways) == 32  # each of the 32 aggregated transformations, its box labelled
    assert sum(1 for text in texts if text == "Conv2d 3×3 4→4") == 32
    assert len(list(root.iter(f"{SVG}rect"))) >= 32 * 7  # a box per call of each pathway
    assert not list(tmp_path.glob(".viewer-export-*"))  # written whole: no temporary left


def test_the_groups_window_says_why_an_export_failed_and_writes_nothing(qtbot, tmp_path) -> None:
    window = GroupsWindow()
    qtbot.addWidget(window)
    with pytest.raises(ExportError, match="no drawing to export"):
        window.export_svg(tmp_path / "early.svg")  # nothing drawn yet
    resnext = graph_of_name("resnext50_32x4d")
    window.show_layout(layout_view(collapse(expand_groups(resnext, "layer2.0"), frozenset()), "LR"))
    qtbot.waitExposed(window)
    window.choose_export_path = lambda: str(tmp_path / "missing" / "pathways.png")
    qtbot.mouseClick(window.findChild(QtWidgets.QPushButton, "groupsExportButton"), Qt.MouseButton.LeftButton)
    message = window.findChild(QtWidgets.QLabel, "groupsExportMessage")
    assert message.isVisible() and "missing" in message.text()
    assert list(tmp_path.iterdir()) == []
    window.choose_export_path = lambda: ""  # cancelled: nothing happens, the message goes
    qtbot.mouseClick(window.findChild(QtWidgets.QPushButton, "groupsExportButton"), Qt.MouseButton.LeftButton)
    assert message.isHidden() and list(tmp_path.iterdir()) == []
