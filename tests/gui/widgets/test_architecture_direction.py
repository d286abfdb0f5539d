"""The Architecture tab's direction box: top-down or left-to-right, laid out again, fitted larger, remembered.

GoogLeNet is tall and narrow top-down: fitted on a 1366×768 screen its boxes are too small to read. Left to right
it is wide and short, and the same Fit shows it larger.
"""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import Qt

from tests.gui.conftest import JOB_TIMEOUT_MS
from viewer.cli import build_parser
from viewer.core.diagram.layout import box_lines
from viewer.engine.graph.build import graph_of_name
from viewer.gui.runtime.settings import Settings


@pytest.fixture(scope="module")
def googlenet():
    return graph_of_name("googlenet")  # meta device: shapes, params and MACs without weights


def _fit(qtbot, view) -> float:
    qtbot.mouseClick(view.findChild(QtWidgets.QPushButton, "fitButton"), Qt.MouseButton.LeftButton)
    return view.diagram.zoom


def test_left_to_right_redraws_googlenet_wide_and_fit_shows_it_larger(show, googlenet, qtbot, choose_in_combo):
    view = show(googlenet)
    view.resize(1366, 768)
    qtbot.waitUntil(lambda: view.diagram.viewport().width() > 1300)
    combo = view.findChild(QtWidgets.QComboBox, "architectureDirection")
    assert (combo.currentText(), view.direction) == ("Top-down", "TB")
    before = view.scene_items
    scene = view.diagram.sceneRect()
    assert scene.height() > 3 * scene.width()  # tall and narrow
    top_down = _fit(qtbot, view)
    with qtbot.waitSignal(view.directionChanged) as blocker:
        choose_in_combo(combo, "LR")
    assert blocker.args == ["LR"] and view.direction == "LR"
    drawn = view.scene_items  # drawn again, from the left-to-right layout
    assert drawn is not before and set(drawn.nodes) == set(before.nodes)
    scene = view.diagram.sceneRect()
    assert scene.width() > 3 * scene.height()  # wide and short
    for route in drawn.routes:  # every edge from a box's right side to the next one's left side
        source = drawn.nodes[route.route.src].sceneBoundingRect()
        target = drawn.nodes[route.route.dst].sceneBoundingRect()
        assert source.right() < target.left()
        assert route.route.points[0][0] < route.route.points[-1][0]
    conv1 = drawn.nodes["conv1"]
    assert conv1.direction == "LR" and box_lines(conv1.node, "LR")[1:3] == ["BasicConv2d", "7×7/2 3→64"]
    assert view.diagram.auto_fit  # still fitted: the new drawing is fitted as it comes
    left_to_right = view.diagram.zoom
    assert left_to_right > 1.3 * top_down
    assert _fit(qtbot, view) == pytest.approx(left_to_right)
    choose_in_combo(combo, "TB")
    scene = view.diagram.sceneRect()
    assert view.scene_items.nodes["conv1"].direction == "TB" and scene.height() > 3 * scene.width()
    assert view.diagram.zoom == pytest.approx(top_down)


def test_a_new_drawing_shows_where_the_data_comes_in(show, googlenet, qtbot, choose_in_combo):
    view = show(googlenet)
    view.resize(1366, 768)
    qtbot.waitUntil(lambda: view.diagram.viewport().width() > 1300)
    choose_in_combo(view.findChild(QtWidgets.QComboBox, "architectureDirection"), "LR")
    view.scene_items  # noqa: B018 - drawn now
    # Not fitted: shown readable, from its left end (the input), as a new network's top-down drawing from its top.
    assert not view.diagram.auto_fit and view.diagram.zoom >= 0.8
    visible = view.diagram.mapToScene(view.diagram.viewport().rect()).boundingRect()
    assert visible.contains(view.scene_items.nodes["input"].sceneBoundingRect())
    assert not visible.contains(view.scene_items.nodes["fc"].sceneBoundingRect())
    # With a box selected, the turned drawing brings it into view.
    qtbot.mouseClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center("inception4e"))
    assert view.selected_key == "inception4e"
    choose_in_combo(view.findChild(QtWidgets.QComboBox, "architectureDirection"), "TB")
    box = view.scene_items.nodes["inception4e"].sceneBoundingRect()  # drawn now
    visible = view.diagram.mapToScene(view.diagram.viewport().rect()).boundingRect()
    assert visible.contains(box.center())


def test_the_direction_is_laid_out_by_the_worker_and_remembered(qtbot, make_window, choose_in_combo):
    window = make_window("googlenet", "none", start=False)
    window.resize(1366, 768)
    window.set_tab("architecture")
    window.state.start()
    view = window.views["architecture"]
    qtbot.waitUntil(lambda: "inception3a" in view.scene_items.nodes, timeout=JOB_TIMEOUT_MS)
    top_down = _fit(qtbot, view)
    choose_in_combo(view.findChild(QtWidgets.QComboBox, "architectureDirection"), "LR")
    state = window.state.architecture
    qtbot.waitUntil(lambda: state.layout is not None and state.layout.direction == "LR", timeout=JOB_TIMEOUT_MS)
    assert state.direction == "LR" and state.expanded == view.expanded_blocks
    scene = view.diagram.sceneRect()
    assert view.scene_items.nodes["conv1"].direction == "LR" and scene.width() > scene.height()
    assert view.diagram.zoom > 1.3 * top_down  # Fit on a 1366×768 window: the boxes larger, readable
    assert Settings().diagram_direction() == "LR"
    window.close()
    again = make_window("googlenet", "none", start=False, restore=True)
    combo = again.views["architecture"].findChild(QtWidgets.QComboBox, "architectureDirection")
    assert combo.currentText() == "Left-to-right" and again.state.architecture.direction == "LR"


def test_gui_direction_flag_is_parsed():
    assert build_parser().parse_args(["gui", "--direction", "lr"]).direction == "LR"
    assert build_parser().parse_args(["gui"]).direction is None  # the window's last choice
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gui", "--direction", "diagonal"])
