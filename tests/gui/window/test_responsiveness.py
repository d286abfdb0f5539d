"""What keeps the GUI thread free: heavy work and its scheduling belong to the worker."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from viewer.core.images.files import read_image_file
from viewer.engine.jobs import analysis, session
from viewer.gui.window.launch import after_first_paint


def test_opened_images_come_with_a_preview_scaled_on_the_worker(shared_data):
    result = session.open_images([read_image_file(shared_data / "images" / "tv_dog2.jpg")])
    entry = result.images[0]
    assert max(entry.preview.shape[:2]) <= session.PREVIEW_SIDE and entry.preview.dtype.name == "uint8"
    assert max(entry.thumbnail.shape[:2]) <= session.THUMBNAIL_SIDE
    # Same picture, only smaller: the aspect ratio is kept.
    height, width = entry.display.shape[:2]
    assert entry.preview.shape[1] / entry.preview.shape[0] == pytest.approx(width / height, rel=0.02)


def test_work_waits_for_the_windows_first_paint(qtbot):
    from PySide6 import QtCore

    class Paints(QtCore.QObject):
        count = 0

        def eventFilter(self, _watched, event):
            self.count += event.type() == QtCore.QEvent.Type.Paint
            return False

    window = QtWidgets.QWidget()
    qtbot.addWidget(window)
    paints = Paints(window)
    window.installEventFilter(paints)
    started: list[int] = []
    after_first_paint(window, lambda: started.append(paints.count))
    assert started == []
    window.show()
    qtbot.waitUntil(lambda: bool(started), timeout=5_000)
    assert started[0] >= 1  # it ran after a paint
    window.repaint()
    qtbot.waitUntil(lambda: paints.count > started[0], timeout=5_000)
    QtWidgets.QApplication.processEvents()
    assert len(started) == 1  # and only once


def test_the_architecture_diagram_is_built_only_when_its_tab_is_shown(qtbot):
    from viewer.core.graph.dataflow import collapse
    from viewer.engine.graph.build import graph_of_name
    from viewer.engine.layout.layered import layout_view
    from viewer.gui.widgets.architecture.view import ArchitectureView

    graph = graph_of_name("resnet18")
    view = ArchitectureView()
    qtbot.addWidget(view)
    view.set_graph(graph)  # hidden, like a tab behind another
    view.set_layout(layout_view(collapse(graph)))
    assert view.diagram.scene().items() == []
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: len(view.diagram.scene().items()) > 0)  # drawn once shown, without being asked
    assert "conv1" in view.scene_items.nodes


def test_the_architecture_table_is_filled_only_when_shown_or_read(qtbot):
    from PySide6.QtCore import Qt

    from viewer.engine.graph.build import graph_of_name
    from viewer.gui.widgets.architecture.view import ArchitectureView

    graph = graph_of_name("resnet18")
    view = ArchitectureView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.set_graph(graph)  # the diagram's tab is in front: the table is hidden
    view.select_layer("layer1.0.conv1")
    assert QtWidgets.QTreeWidget.topLevelItemCount(view.table) == 0  # the widget's own count: not filled yet
    view.tabs.setCurrentWidget(view.table)
    assert QtWidgets.QTreeWidget.topLevelItemCount(view.table) == 12  # input, conv1 ... fc
    current = QtWidgets.QTreeWidget.currentItem(view.table)
    assert current is not None and current.data(0, Qt.ItemDataRole.UserRole) == "layer1.0.conv1"  # kept


def test_a_large_heatmap_reaches_the_screen_as_a_small_copy_made_on_the_worker(qtbot):
    import numpy as np

    from viewer.gui.widgets.heatmap.view import HeatmapView

    class Heatmap:  # the fields of the engine's ClassHeatmap the view reads
        class_index, class_name, mode, scales, fuse, offsets, model, weights, notes = (
            3,
            "dog",
            "softmax",
            (1.0,),
            "mean",
            False,
            "net",
            "none",
            (),
        )

    heatmap = Heatmap()
    heatmap.scores = np.zeros((3000, 4000), np.float32)  # a 12 MP photo's scores
    heatmap.scores[2400:2410, 1000:1010] = 5.0  # the hot spot: x 1000..1010 of 4000, y 2400..2410 of 3000
    heatmap.scores[0, 0] = np.nan
    on_screen = analysis.screen_copy(heatmap)
    assert on_screen.heatmap is heatmap and on_screen.scores.shape == (768, 1024)
    assert on_screen.levels == (0.0, 5.0) and np.isfinite(on_screen.scores).all()

    view = HeatmapView()
    qtbot.addWidget(view)
    view.set_image(np.zeros((750, 1000, 3), np.uint8))  # the display copy of the photo
    view.set_heatmap(heatmap, on_screen)
    assert view.heat_item.image.shape == (768, 1024) and view.colorbar.levels() == pytest.approx((0.0, 5.0))
    x, y = view.overlay_peak
    assert x == pytest.approx(1005 / 4, abs=2) and y == pytest.approx(2405 / 4, abs=2)


def test_the_activations_tab_draws_its_items_when_shown_not_while_hidden(qtbot, make_window, shared_data):
    import numpy as np

    window = make_window("lenet5", "default")
    window.set_tab("predictions")
    state, view = window.state, window.views["activations"]
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: view.shown_grid is not None, timeout=60_000)
    assert view.current_layer == state.activations.layers[0] and view.shown_channel_count > 0  # its state is current …
    assert view._mosaic_item.image is None and view.detail.channel_image is None  # … its pictures wait
    window.set_tab("activations")
    assert np.array_equal(view._mosaic_item.image, view.shown_grid.image)
    assert view.detail.channel_image is not None and view.selected_channel == 0


def test_later_turns_run_one_call_per_turn_and_a_newer_call_replaces_a_waiting_one(qtbot):
    from PySide6 import QtCore

    from viewer.gui.widgets.common.turns import LaterTurns

    turns = LaterTurns()
    events: list[str] = []

    def heatmap() -> None:
        events.append("heatmap")
        QtCore.QTimer.singleShot(0, lambda: events.append("posted in the heatmap's turn"))

    turns.call("original", lambda: events.append("old original"))
    turns.call("heatmap", heatmap)
    turns.call("original", lambda: events.append("new original"))  # the image changed again before it ran
    assert events == [] and turns.pending()
    # A posted event queued now is handled before the first call (the calls wait for the repaints queued
    # before them), and one posted during a call before the next call (one call per turn). Asserted on the
    # order of events, not on polling between turns, which a fast machine runs several of per poll.
    QtCore.QTimer.singleShot(0, lambda: events.append("posted before"))
    qtbot.waitUntil(lambda: len(events) == 4)
    assert events == ["posted before", "heatmap", "posted in the heatmap's turn", "new original"]
    assert not turns.pending()


def test_a_hidden_heatmap_view_draws_its_image_when_shown(qtbot):
    import numpy as np

    from viewer.gui.widgets.heatmap.view import HeatmapView

    view = HeatmapView()
    qtbot.addWidget(view)
    view.set_image(np.full((30, 40, 3), 90, np.uint8))  # on a tab behind another
    assert view.image_item.image is None
    view.show()
    qtbot.waitExposed(view)
    assert view.image_item.image is not None and view.image_item.image.shape == (30, 40, 3)


def test_the_diagrams_items_are_made_by_the_scene_not_by_python_subclasses(qtbot):
    # A Python-made item makes Qt take the GIL for its paint and hit-test calls; scene-made ones never do.
    from PySide6 import QtWidgets

    from viewer.core.graph.dataflow import collapse
    from viewer.engine.graph.build import graph_of_name
    from viewer.engine.layout.layered import layout_view
    from viewer.gui.widgets.architecture.scene import draw_layout, item_key

    scene = QtWidgets.QGraphicsScene()
    graph = graph_of_name("resnet18")
    drawn = draw_layout(scene, layout_view(collapse(graph)))
    standard = (
        QtWidgets.QGraphicsRectItem,
        QtWidgets.QGraphicsEllipseItem,
        QtWidgets.QGraphicsPathItem,
        QtWidgets.QGraphicsPolygonItem,
        QtWidgets.QGraphicsSimpleTextItem,
    )
    assert scene.items() and all(type(item) in standard for item in scene.items())
    box = drawn.nodes["conv1"]
    text = box.item.childItems()[0]
    assert item_key(text) == ("box", "conv1") and item_key(drawn.routes[0].item) is None


def test_a_large_diagram_is_made_a_few_boxes_per_turn_and_at_once_when_read(qtbot):
    from viewer.core.graph.dataflow import collapse
    from viewer.engine.graph.build import graph_of_name
    from viewer.engine.layout.layered import layout_view
    from viewer.gui.widgets.architecture.scene import BOXES_PER_STEP
    from viewer.gui.widgets.architecture.view import ArchitectureView

    graph = graph_of_name("mobilenet_v2")
    layout = layout_view(collapse(graph))
    assert len(layout.view.nodes) > BOXES_PER_STEP
    view = ArchitectureView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.set_graph(graph)
    view.set_layout(layout)
    scene = view.diagram.scene()
    first_turn = len(scene.items())
    assert first_turn > 0  # the routes are made in the turn that asked
    qtbot.waitUntil(lambda: len(scene.items()) > first_turn)  # later turns add the boxes
    drawn = view.scene_items  # reading them finishes the drawing at once
    assert set(drawn.nodes) == {node.id for node in layout.view.nodes}
    assert len(scene.items()) > first_turn
