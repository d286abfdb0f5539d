"""ArchitectureView: the data-flow graph drawn from real layouts, opened and closed, found, tabled, exported.

The view lays nothing out itself: it asks for a set of open blocks (``expansionRequested``) and draws the layout
that comes back. Here the request is answered at once with the engine's own ``collapse`` + ``layout_view`` (what
the worker runs in the app); the tests at the end drive the whole window, worker included.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from PIL import Image
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt
from torch import nn

from viewer.core.diagram.svg import graph_svg
from viewer.core.graph.dataflow import collapse
from viewer.engine.graph.build import build_graph, graph_of_name
from viewer.engine.layout.layered import layout_view
from viewer.gui.widgets.architecture.scene import JoinItem
from viewer.gui.widgets.architecture.view import ArchitectureView

JOB_TIMEOUT_MS = 120_000  # generous: the CPU is shared, and the first job imports torch

BRANCHES = ("inception3a.branch1", "inception3a.branch2.0", "inception3a.branch3.0", "inception3a.branch4.0")


@pytest.fixture(scope="module")
def googlenet():
    return graph_of_name("googlenet")  # meta device: shapes, params and MACs without weights


@pytest.fixture(scope="module")
def resnet50():
    return graph_of_name("resnet50")


def _centre(view, view_id):
    return view.scene_items.nodes[view_id].sceneBoundingRect().center()


def test_an_inception_modules_four_branches_are_drawn_side_by_side(show, googlenet):
    view = show(googlenet, "inception3a")
    centres = [_centre(view, name) for name in BRANCHES]
    assert {round(c.y(), 1) for c in centres} == {round(centres[0].y(), 1)}  # one rank …
    xs = [c.x() for c in centres]
    assert xs == sorted(xs) and len({round(x) for x in xs}) == 4  # … four places, in the module's order
    join = view.scene_items.nodes["inception3a.cat"]
    assert isinstance(join, JoinItem) and join.sceneBoundingRect().center().y() > centres[0].y()
    frame = view.scene_items.frames["inception3a"].sceneBoundingRect()
    assert all(frame.contains(c) for c in centres)


def test_frame_labels_are_drawn_as_laid_out_relative_to_the_frame_around(show, googlenet):
    view = show(googlenet, "inception4a,inception4a.branch2,inception4a.branch2.0")
    drawn = {name: item.label.text() for name, item in view.scene_items.frames.items()}
    assert drawn["inception4a"] == "inception4a (Inception)"
    assert drawn["inception4a.branch2"] == "branch2"  # a plain Sequential: no type
    assert drawn["inception4a.branch2.0"] == "branch2.0 (BasicConv2d)"  # was "inception4a.branch2.0d)"
    laid_out = {frame.name: frame.label for frame in layout_view(collapse(googlenet, view.expanded_blocks)).frames}
    assert all(drawn[name] == laid_out[name] for name in drawn)  # the SVG export draws the same


def test_totals_notes_and_the_training_only_heads(show, googlenet):
    view = show(googlenet)
    assert "googlenet" in view.totals_text and "6.62M params" in view.totals_text
    assert "1.50 GMACs" in view.totals_text
    assert "Auxiliary classifiers" in view.notes.text() and "3×3 convolution in branch3" in view.notes.text()
    aux = view.scene_items.nodes["aux1"]
    assert aux.pen().style() == Qt.PenStyle.DashLine
    assert "do not train" in aux.toolTip() or "not trained" in aux.toolTip()
    texts = [item.text() for item in aux.item.childItems() if isinstance(item, QtWidgets.QGraphicsSimpleTextItem)]
    assert texts[0] == "aux1" and "training only" in texts


def test_double_click_opens_a_block_and_on_its_frame_closes_it(show, googlenet, qtbot):
    view = show(googlenet)
    assert "inception3b" in view.visible_box_names and "inception3b.branch1" not in view.visible_box_names
    viewport = view.diagram.viewport()
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=view.box_center("inception3b"))
    assert "inception3b" in view.expanded_blocks
    assert {"inception3b.branch1", "inception3b.branch2.0", "inception3b.cat"} <= set(view.visible_box_names)
    assert "inception3b" not in view.visible_box_names

    frame = view.scene_items.frames["inception3b"].sceneBoundingRect()
    corner = frame.topLeft() + QtCore.QPointF(3, 3)  # the frame's label strip, outside every box
    view.diagram.centerOn(corner)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=view.diagram.mapFromScene(corner))
    assert "inception3b" not in view.expanded_blocks and "inception3b" in view.visible_box_names


def test_plus_and_minus_keys_open_and_close_the_selected_block(show, googlenet, qtbot):
    view = show(googlenet)
    with qtbot.waitSignal(view.layerSelected) as blocker:
        qtbot.mouseClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center("inception4b"))
    assert blocker.args == ["inception4b"]
    view.diagram.setFocus()
    qtbot.keyClick(view.diagram, Qt.Key.Key_Plus)
    assert "inception4b" in view.expanded_blocks and "inception4b.branch1" in view.visible_box_names
    qtbot.mouseClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center("inception4b.branch1"))
    qtbot.keyClick(view.diagram, Qt.Key.Key_Minus)
    assert "inception4b" not in view.expanded_blocks and "inception4b" in view.visible_box_names


def test_expand_all_and_collapse_all(show, resnet50, qtbot):
    view = show(resnet50)
    default = set(view.visible_box_names)
    assert {"layer1.0", "layer4.2", "fc"} <= default and "layer1.0.conv1" not in default
    qtbot.mouseClick(view.findChild(QtWidgets.QPushButton, "expandAllButton"), Qt.MouseButton.LeftButton)
    assert view.expanded_blocks == set(resnet50.blocks)
    assert {"layer1.0.conv1", "layer4.2.add"} <= set(view.visible_box_names)
    qtbot.mouseClick(view.findChild(QtWidgets.QPushButton, "collapseAllButton"), Qt.MouseButton.LeftButton)
    assert set(view.visible_box_names) == default  # the lecture's level again


def test_find_opens_the_blocks_around_a_layer_selects_and_centres_it(show, googlenet, qtbot):
    view = show(googlenet)
    edit = view.findChild(QtWidgets.QLineEdit, "architectureFind")
    assert "inception4c.branch3.1.conv" in edit.completer().model().stringList()
    edit.setText("inception4c.branch3.1.conv")
    with qtbot.waitSignal(view.layerSelected) as blocker:
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert blocker.args == ["inception4c.branch3.1.conv"]
    assert {"inception4c", "inception4c.branch3", "inception4c.branch3.1"} <= view.expanded_blocks
    box = view.scene_items.nodes["inception4c.branch3.1.conv"]
    assert box.pen().width() == 3  # the selected look
    centre = view.diagram.mapFromScene(box.sceneBoundingRect().center())
    assert view.diagram.viewport().rect().adjusted(100, 100, -100, -100).contains(centre)
    assert view.table.currentItem().data(0, Qt.ItemDataRole.UserRole) == "inception4c.branch3.1.conv"

    edit.setText("inception4c.brnch3")
    with qtbot.assertNotEmitted(view.layerSelected):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "Did you mean" in view.findChild(QtWidgets.QLabel, "architectureFindMessage").text()


def test_the_table_has_a_row_per_call(show, resnet50):
    view = show(resnet50)
    top = [view.table.topLevelItem(i).text(0) for i in range(view.table.topLevelItemCount())]
    assert top == [
        "input",
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
        "fc",
    ]
    relus = view.table.rows("layer1.0.relu")  # one module, called three times
    assert [row.text(0) for row in relus] == ["relu", "relu_1", "relu_2"]
    assert [row.text(3) for row in relus] == ["64×56×56", "64×56×56", "256×56×56"]
    assert all(row.parent().text(0) == "0" and row.parent().parent().text(0) == "layer1" for row in relus)
    maxpool = view.table.topLevelItem(4)
    assert [maxpool.text(c) for c in (1, 2, 3, 6)] == ["MaxPool2d", "k=3 s=2 p=1", "64×56×56", "11 px, jump 4"]


def test_clicking_a_box_selects_its_layer_and_row(show, resnet50, qtbot):
    view = show(resnet50, "layer1.0")
    for view_id, layer in (
        ("layer1.0.conv2", "layer1.0.conv2"),
        ("layer1.0.relu_1", "layer1.0.relu"),
        ("layer1.0.add", "layer1.0.add"),
        ("layer2.0", "layer2.0"),
    ):
        with qtbot.waitSignal(view.layerSelected) as blocker:
            qtbot.mouseClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center(view_id))
        assert blocker.args == [layer]  # a module call names its module; a function node names itself
        assert view.selected_key == view_id
        assert view.table.currentItem().data(0, Qt.ItemDataRole.UserRole) == view_id
    with qtbot.waitSignal(view.layerSelected) as blocker:
        view.table.setCurrentItem(view.table.rows("layer3.1.conv1")[0])
    assert blocker.args == ["layer3.1.conv1"]
    assert view.scene_items.nodes["layer3.1"].pen().width() == 3  # the closed block around it is highlighted


def test_select_layer_highlights_silently_and_leaves_the_blocks_as_they_are(show, resnet50, qtbot):
    view = show(resnet50)
    before = view.expanded_blocks
    with qtbot.assertNotEmitted(view.layerSelected):
        view.select_layer("layer4.0.downsample.0")
    assert view.expanded_blocks == before and view.selected_key == "layer4.0.downsample.0"
    assert view.scene_items.nodes["layer4.0"].pen().width() == 3


def test_zoom_keys_wheel_and_dragging(show, googlenet, qtbot):
    view = show(googlenet)
    diagram = view.diagram
    diagram.setFocus()
    qtbot.waitUntil(diagram.hasFocus)  # the zoom keys are shortcuts of the focused diagram
    before = diagram.zoom
    qtbot.keyClick(diagram, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert diagram.zoom == pytest.approx(before * 1.25)
    qtbot.keyClick(diagram, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert diagram.zoom == pytest.approx(before)
    viewport = diagram.viewport()
    centre = QtCore.QPointF(viewport.width() / 2, viewport.height() / 2)
    wheel = QtGui.QWheelEvent(
        centre,
        diagram.mapToGlobal(centre),
        QtCore.QPoint(),
        QtCore.QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QtWidgets.QApplication.sendEvent(viewport, wheel)
    assert diagram.zoom == pytest.approx(before * 1.15**2)
    scroll = diagram.verticalScrollBar()
    start = scroll.value()
    for kind, y, buttons in (
        (QtCore.QEvent.Type.MouseButtonPress, 400, Qt.MouseButton.LeftButton),
        (QtCore.QEvent.Type.MouseMove, 300, Qt.MouseButton.LeftButton),
        (QtCore.QEvent.Type.MouseButtonRelease, 300, Qt.MouseButton.NoButton),
    ):
        point = QtCore.QPointF(20, y)  # the left margin: no box there
        event = QtGui.QMouseEvent(
            kind, point, diagram.mapToGlobal(point), Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier
        )
        QtWidgets.QApplication.sendEvent(viewport, event)
    assert scroll.value() == start + 100
    qtbot.mouseClick(view.findChild(QtWidgets.QPushButton, "fitButton"), Qt.MouseButton.LeftButton)
    shown = diagram.mapToScene(viewport.rect()).boundingRect()
    assert shown.contains(diagram.sceneRect().adjusted(1, 1, -1, -1))


def test_the_screen_and_the_svg_export_fill_each_box_alike(show, googlenet):
    view = show(googlenet, "inception3a")
    on_screen = {
        name: item.item.brush().color().name() for name, item in view.scene_items.nodes.items() if name != "input"
    }
    svg = ElementTree.fromstring(graph_svg(layout_view(collapse(googlenet, view.expanded_blocks), view.direction)))
    exported = {}
    for group in svg.iter("{http://www.w3.org/2000/svg}g"):
        rect = group.find("{http://www.w3.org/2000/svg}rect")
        if group.get("data-id") in on_screen and rect is not None:
            exported[group.get("data-id")] = rect.get("fill")
    assert len(exported) > 20 and all(exported[name] == on_screen[name] for name in exported)
    assert len(set(exported.values())) >= 4  # blocks, pools, reshapes, the classifier: told apart


def test_export_svg_and_png(show, googlenet, tmp_path, qtbot):
    view = show(googlenet, "inception3a")
    svg, png = tmp_path / "net.svg", tmp_path / "net.png"
    svg.write_text("old")  # overwritten in place, atomically
    view.export_svg(svg)
    assert ElementTree.parse(svg).getroot().tag.endswith("svg")
    text = svg.read_text()
    assert "branch2.0" in text and "inception3a" in text  # boxes and frames keep their text in the vector file
    # The same file as `viewer graph --svg` of the layout shown: one SVG of a diagram.
    assert text == graph_svg(layout_view(collapse(googlenet, view.expanded_blocks), view.direction))
    view.choose_export_path = lambda: str(png)
    with qtbot.waitSignal(view.exported) as blocker:
        qtbot.mouseClick(view.findChild(QtWidgets.QPushButton, "exportArchitectureButton"), Qt.MouseButton.LeftButton)
    assert blocker.args == [str(png)]
    with Image.open(png) as image:
        rect = view.diagram.sceneRect()
        assert image.size == pytest.approx((rect.width() * 2, rect.height() * 2), abs=1)  # at twice the scale
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.png", "net.svg"]  # no temp files left


def test_export_before_the_diagram_is_laid_out_is_one_sentence_and_writes_nothing(googlenet, tmp_path, qtbot, capfd):
    # Found by the soak (tests/gui/window/test_soak.py): the tab's Export… before the layout arrived painted an empty
    # scene, QPainter's warnings went to stderr and an empty SVG was written.
    view = ArchitectureView()
    qtbot.addWidget(view)
    view.show()
    button = view.findChild(QtWidgets.QPushButton, "exportArchitectureButton")
    for graph in (None, googlenet):  # no network yet, then a network whose layout is still being made
        view.set_graph(graph)
        for name in ("net.svg", "net.png"):
            view.choose_export_path = lambda name=name: str(tmp_path / name)
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            assert "no diagram to export yet" in view.export_message.text()
    assert list(tmp_path.iterdir()) == []
    assert "QPainter" not in capfd.readouterr().err


class _Branchy(nn.Module):
    """A loop over a tensor's size: torch.fx cannot trace it (the meta device runs it)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        x = self.conv(x)
        for _ in range(x.shape[1] // 4):
            x = x.relu()
        return self.fc(x.mean((2, 3)))


def test_a_network_fx_cannot_trace_says_so_above_its_module_chain(show):
    graph = build_graph(_Branchy(), (3, 16, 16), model_name="branchy")
    assert not graph.traced
    view = show(graph)
    assert "Data flow unavailable" in view.notes.text() and view.notes.isVisible()
    assert {"conv", "fc"} <= set(view.visible_box_names)


# --- the whole window: the worker builds the graph and its layouts ------------------------------------------
def test_the_tab_draws_the_graph_when_the_weights_cannot_be_loaded(qtbot, make_window, tmp_path):
    window = make_window("resnet18", str(tmp_path / "missing.pth"), start=False)
    window.set_tab("architecture")
    view, state = window.views["architecture"], window.state
    state.start()
    qtbot.waitUntil(lambda: bool(view.visible_box_names) and state.model.error is not None, timeout=JOB_TIMEOUT_MS)
    assert state.model.info is None and view.graph.model_name == "resnet18"
    assert "layer1.0" in view.scene_items.nodes
    qtbot.mouseDClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center("layer1.0"))
    qtbot.waitUntil(lambda: "layer1.0.conv1" in view.visible_box_names, timeout=JOB_TIMEOUT_MS)  # on the worker
    qtbot.mouseClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center("layer1.0.conv1"))
    assert state.activations.layers == ["layer1.0.conv1"]  # kept for the Activations tab, once a model loads


def test_a_new_image_does_not_rebuild_the_graph(qtbot, make_window, shared_data):
    window = make_window("lenet5", "default")
    state = window.state
    qtbot.waitUntil(lambda: state.architecture.layout is not None and not state.jobs.is_busy(), timeout=JOB_TIMEOUT_MS)
    graph, layout = state.architecture.graph, state.architecture.layout
    kinds: list[str] = []
    state.job_started.connect(kinds.append)
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and not state.jobs.is_busy(), timeout=JOB_TIMEOUT_MS
    )
    assert "classify" in kinds and not {"graph", "graph-layout"} & set(kinds)
    assert state.architecture.graph is graph and state.architecture.layout is layout


def test_expand_spec_opens_that_block_before_the_screenshot(qtbot, make_window, shared_data, tmp_path):
    from viewer.gui.window.launch import save_when_settled

    window = make_window("googlenet", "none", start=False)
    window.resize(1400, 860)
    window.set_tab("architecture")
    window.state.architecture.expand_spec = "inception3a"  # what `viewer gui --expand inception3a` sets
    window.state.start()
    window.open_paths([str(shared_data / "images" / "tv_dog2.jpg")])
    statuses: list[int] = []
    save_when_settled(window, tmp_path / "shot.png", on_done=statuses.append, timeout_s=120)
    qtbot.waitUntil(lambda: statuses != [], timeout=150_000)
    view = window.views["architecture"]
    assert statuses == [0] and "inception3a" in view.expanded_blocks
    for name in BRANCHES:  # the opened module is in view, at a readable size
        centre = view.diagram.mapFromScene(_centre(view, name))
        assert view.diagram.viewport().rect().contains(centre), name
    assert view.diagram.zoom >= 0.8


def test_ctrl_0_fits_the_diagram_when_it_has_the_focus_and_the_image_otherwise(qtbot, make_window, monkeypatch):
    window = make_window("lenet5", "default")
    window.set_tab("architecture")
    diagram = window.findChild(QtWidgets.QGraphicsView, "architectureView")
    fitted = []
    monkeypatch.setattr(diagram, "request_fit", lambda: fitted.append("diagram"))
    monkeypatch.setattr(window.image_panel, "fit", lambda: fitted.append("image"))
    diagram.setFocus()
    qtbot.waitUntil(diagram.hasFocus)
    qtbot.keyClick(diagram, QtCore.Qt.Key.Key_0, QtCore.Qt.KeyboardModifier.ControlModifier)
    other = window.model_bar.model_picker  # the thumbnails are hidden until an image is open (the welcome shows)
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    qtbot.keyClick(other, QtCore.Qt.Key.Key_0, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert fitted == ["diagram", "image"]  # an ambiguous shortcut would run neither


def test_expand_groups_draws_resnexts_32_pathways_in_a_window(qtbot, make_window):
    window = make_window("resnext50_32x4d", "none", start=False)
    window.set_tab("architecture")
    window.state.start()
    view = window.views["architecture"]
    qtbot.waitUntil(lambda: "layer1.1" in view.scene_items.nodes, timeout=JOB_TIMEOUT_MS)
    button = window.findChild(QtWidgets.QPushButton, "expandGroupsButton")
    assert not button.isEnabled()  # nothing grouped is selected yet
    view.diagram.centerOn(view.scene_items.nodes["layer1.1"].item)
    qtbot.mouseClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center("layer1.1"))
    assert view.selected_key == "layer1.1" and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.groups_window is not None and view.groups_window.isVisible(), timeout=JOB_TIMEOUT_MS)
    drawn = view.groups_window.items.nodes
    assert sum(1 for name in drawn if name.endswith(".conv2")) == 32 and "sum" in drawn
    assert isinstance(drawn["sum"], JoinItem)
    assert "32 pathways" in view.groups_window.note.text()


def test_layouts_name_the_graph_and_send_it_only_once_the_engine_has_let_it_go(qtbot, make_window, monkeypatch):
    from viewer.core.graph.dataflow import Graph
    from viewer.core.job_names import JobName
    from viewer.engine.jobs.architecture import KEPT_GRAPHS
    from viewer.gui.jobs.tickets import JobKind

    window = make_window("lenet5", "none")
    state = window.state
    qtbot.waitUntil(lambda: state.architecture.layout is not None and not state.jobs.is_busy(), timeout=JOB_TIMEOUT_MS)
    said = []
    state.notices.message.connect(said.append)
    sent: list[object] = []  # what each layout request carried as its graph
    submit = state.jobs.submit

    def recording(kind, name, *args, **kwargs):
        if kind is JobKind.GRAPH_LAYOUT:
            sent.append(args[0])
        return submit(kind, name, *args, **kwargs)

    monkeypatch.setattr(state.jobs, "submit", recording)
    state.architecture.set_direction("LR")
    qtbot.waitUntil(lambda: state.architecture.layout.direction == "LR", timeout=JOB_TIMEOUT_MS)
    assert sent == [state.architecture.graph.key]  # by name: the graph stayed in the engine
    for _ in range(KEPT_GRAPHS):  # the engine traces newer graphs (other windows, other networks)
        ticket = state.jobs.submit(JobKind.GRAPH, JobName.GRAPH, "lenet5")
        qtbot.waitUntil(ticket.done, timeout=JOB_TIMEOUT_MS)
    state.architecture.set_direction("TB")
    qtbot.waitUntil(lambda: state.architecture.layout.direction == "TB", timeout=JOB_TIMEOUT_MS)
    assert [type(graph) for graph in sent[1:]] == [str, Graph]  # asked by name, refused, then sent whole
    assert said == []  # and nothing said about it
