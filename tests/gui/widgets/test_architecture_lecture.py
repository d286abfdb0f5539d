"""The lecture's views in the Architecture tab: Table 1, the convolutionized graph, naive Inception, formulas.

Table 1 and the convolutionized graph drive the whole window (worker included); the Inception comparison and the
tooltips' formulas are views of a graph, shown here on the engine's own graphs and layouts.
"""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt

from viewer.engine.graph.build import graph_of_name
from viewer.engine.lecture_tables import resnet_table
from viewer.gui.widgets.architecture.convolutionize_bar import ConvolutionizeBar
from viewer.gui.widgets.architecture.lecture_table import HIGHLIGHT, cell_text

JOB_TIMEOUT_MS = 120_000


def _architecture(window):
    window.tabs.setCurrentWidget(window.architecture)
    return window.architecture


def test_table_1_highlights_resnet50_and_holds_the_engines_numbers(qtbot, make_window):
    window = make_window("resnet50", "none")
    view = _architecture(window)
    table_view = view.lecture.table
    view.tabs.setCurrentWidget(table_view)  # shown: it asks for the table, built on the worker
    qtbot.waitUntil(lambda: table_view.table is not None, timeout=JOB_TIMEOUT_MS)
    expected = resnet_table("resnet50")
    assert table_view.highlighted_column() == expected.chosen == 2
    header = table_view.grid.horizontalHeaderItem(2 + 2)
    assert header is not None and header.text() == "50-layer\nresnet50 / _v1" and header.font().bold()
    for index, row in enumerate(expected.rows):
        for column, cell in enumerate(row.cells):
            assert table_view.cell(index, column) == cell_text(cell), (row.layer, column)
    flops = {row.layer: index for index, row in enumerate(expected.rows)}
    assert table_view.cell(flops["FLOPs, v1.5"], 2) == "4.09×10⁹ *"  # torchvision's resnet50, marked
    assert table_view.cell(flops["FLOPs, v1"], 2) == "3.86×10⁹"
    assert table_view.cell(flops["FLOPs, paper"], 2) == "3.8×10⁹"
    chosen = table_view.grid.item(flops["FLOPs, v1.5"], 2 + 2)
    assert chosen is not None and chosen.background().color() == QtGui.QColor(HIGHLIGHT)
    other = table_view.grid.item(flops["FLOPs, v1.5"], 2 + 1)
    assert other is not None and other.background().color() != QtGui.QColor(HIGHLIGHT)


def test_the_convolutionized_alexnet_at_1024x768_has_18x26_class_scores(qtbot, make_window):
    window = make_window("alexnet", "none")
    view, state = _architecture(window), window.state
    qtbot.waitUntil(lambda: "classifier.6" in view.visible_box_names, timeout=JOB_TIMEOUT_MS)
    bar = view.lecture.convolutionize
    assert bar.toggle.isEnabled() and not bar.message.isVisible()
    bar.size_edit.setText("1024×768")
    qtbot.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)
    assert bar.toggle.isChecked()

    def fc8_shape():
        view_graph = view.graph_view
        node = None if view_graph is None else next((n for n in view_graph.nodes if n.id == "classifier.6"), None)
        return None if node is None else node.shape

    qtbot.waitUntil(lambda: fc8_shape() == (1000, 18, 26), timeout=JOB_TIMEOUT_MS)
    fc8 = view.scene_items.nodes["classifier.6"]
    assert "1000×18×26" in fc8.toolTip() and "k=6" in view.scene_items.nodes["classifier.1"].toolTip()
    assert "18×26" in view.totals_text  # "convolutionized for 1024×768: a 1000×18×26 map of class scores"
    plain = state.architecture.plain
    qtbot.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)  # off: the network as it is
    qtbot.waitUntil(lambda: fc8_shape() == (1000,), timeout=JOB_TIMEOUT_MS)
    assert state.architecture.graph is plain


def test_the_toggle_is_offered_only_where_the_network_can_be_convolutionized(qtbot):
    bar = ConvolutionizeBar()
    qtbot.addWidget(bar)
    bar.set_graph(graph_of_name("vgg16"))
    assert bar.toggle.isEnabled() and bar.message.text() == ""
    bar.toggle.setChecked(True)
    with qtbot.waitSignal(bar.convolutionizedRequested) as blocker:
        bar.set_graph(graph_of_name("squeezenet1_0"))  # no Linear layer: convolutional already
    assert blocker.args == [None] and not bar.toggle.isChecked() and not bar.toggle.isEnabled()
    assert "no fully-connected layer" in bar.message.text()


def test_the_naive_inception3a_beside_the_real_one(show):
    view = show(graph_of_name("googlenet"))
    panel = view.lecture.inception
    assert view.tabs.isTabVisible(view.tabs.indexOf(panel))
    assert panel.picker.currentText() == "inception3a"
    comparison = panel.comparison
    assert comparison is not None
    naive = 192 * 64 + 9 * 192 * 128 + 9 * 192 * 32  # 1×1, 3×3 and (torchvision's) 3×3 straight on 192 channels
    real = 192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 9 * 16 * 32 + 192 * 32
    assert (comparison.naive_params, comparison.real_params) == (naive, real)
    assert (comparison.naive_macs, comparison.real_macs) == (naive * 784, real * 784)
    text = panel.text.text()
    assert f"{naive:,}" in text and f"{real:,}" in text and f"{naive / real:.2f}×" in text
    view.find_name("inception4b.branch2")  # a pick in the diagram picks its module
    assert panel.picker.currentText() == "inception4b"
    assert "9.2× fewer than AlexNet" in view.notes.text() and "12×" in view.notes.text()
    view.set_graph(graph_of_name("resnet18"))
    assert not view.tabs.isTabVisible(view.tabs.indexOf(panel))


def test_a_basic_blocks_tooltip_has_the_lectures_formula_and_the_real_count(show):
    view = show(graph_of_name("resnet18"))
    tip = view.scene_items.nodes["layer1.0"].toolTip()
    assert "Lecture: 2 × (3×3×64 + 1) × 64 = 73,856" in tip
    assert "This module: 73,984 (no convolution bias (−128), BatchNorm&#x27;s scale and shift (+256))" in tip
    bottleneck = show(graph_of_name("resnet50")).scene_items.nodes["layer1.1"].toolTip()
    assert "2 × (3×3×256 + 1) × 256 ≈ 1.2M" in bottleneck
