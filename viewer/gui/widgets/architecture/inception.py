"""The naive Inception module (a) beside the real one (b), for the module picked (GoogLeNet's inception3a … 5b).

Counted in the core (``lecture_inception``) from the real module's channel counts on the graph: the view only
lays the numbers out. Selecting a box inside an Inception module in the diagram picks that module here.
"""

from __future__ import annotations

import html

from PySide6 import QtWidgets
from PySide6.QtCore import Qt

from viewer.core.graph.dataflow import Graph
from viewer.core.lecture.inception import InceptionComparison, inception_blocks, inception_comparison
from viewer.gui.widgets.architecture.format import format_count, format_macs

__all__ = ["InceptionPanel", "comparison_html"]


def comparison_html(c: InceptionComparison) -> str:
    """The comparison as an HTML table: each branch in both forms, the totals and the ratios."""
    head = (f"<b>{html.escape(c.block)}</b>: input {c.in_channels}×{c.height}×{c.width}. (a) the naive module: "
            "every branch straight on the input; (b) the module as built, with 1×1 dimension reductions.")  # fmt: skip
    rows = ["<tr><th></th><th>(a) naive</th><th>(b) with reductions</th></tr>"]
    for index, b in enumerate(c.branches, start=1):
        rows.append(f"<tr><td>branch {index}</td><td>{html.escape(b.naive)}</td><td>{html.escape(b.real)}</td></tr>")
    rows += [
        f"<tr><td>output channels</td><td>{c.naive_channels}</td><td>{c.real_channels}</td></tr>",
        f"<tr><td>parameters (weights)</td><td>{c.naive_params:,}</td><td>{c.real_params:,}</td></tr>",
        f"<tr><td>MACs</td><td>{c.naive_macs:,}</td><td>{c.real_macs:,}</td></tr>",
    ]
    table = "<table cellspacing='0' cellpadding='4' border='1'>" + "".join(rows) + "</table>"
    ratio = (f"(a) costs <b>{c.params_ratio:.2f}×</b> the parameters and <b>{c.macs_ratio:.2f}×</b> the MACs of (b), "
             f"and passes {c.naive_channels} channels on instead of {c.real_channels}: stacked, the naive modules "
             "would grow with every pooling branch.")  # fmt: skip
    real = (f"The module as built: {format_count(c.module_params)} parameters with its BatchNorms, "
            f"{format_macs(c.module_macs)}.")  # fmt: skip
    return f"<p>{head}</p>{table}<p>{ratio}</p><p style='color:#46505a'>{real}</p>"


class InceptionPanel(QtWidgets.QWidget):
    """A module picker (``inceptionModule``) and the comparison (``inceptionComparison``, rich text)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inceptionPanel")
        self._graph: Graph | None = None
        self.picker = QtWidgets.QComboBox()
        self.picker.setObjectName("inceptionModule")
        self.picker.currentTextChanged.connect(self._show)
        self.text = QtWidgets.QLabel("")
        self.text.setObjectName("inceptionComparison")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Inception module"))
        row.addWidget(self.picker)
        row.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.text)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(scroll, 1)
        self.comparison: InceptionComparison | None = None

    def set_graph(self, graph: Graph | None) -> bool:
        """Offer ``graph``'s Inception modules; False when it has none (the panel then has nothing to show)."""
        self._graph = graph
        blocks = [] if graph is None else inception_blocks(graph)
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItems(blocks)
        self.picker.blockSignals(False)
        self._show(blocks[0] if blocks else "")
        return bool(blocks)

    def follow(self, name: str) -> None:
        """Pick the Inception module ``name`` is (in), if it is in one."""
        for index in range(self.picker.count()):
            block = self.picker.itemText(index)
            if name == block or name.startswith(f"{block}."):
                self.picker.setCurrentIndex(index)
                return

    def _show(self, block: str) -> None:
        graph = self._graph
        if graph is None or block not in graph.blocks:
            self.comparison = None
            self.text.setText("")
            return
        self.comparison = inception_comparison(graph, block)
        self.text.setText(comparison_html(self.comparison))
