"""The lecture's views inside the Architecture tab: Table 1, the naive Inception module, the convolutionized toggle,
and the lecture's parameter formulas in the blocks' tooltips.

Composed here so that ``architecture.py`` only places them: Table 1 and the Inception comparison are tabs beside
the diagram and the table (the Inception tab only for networks with Inception modules), the toggle sits in the
tab bar's corner with its sentence under the buttons.
"""

from __future__ import annotations

import html

from PySide6 import QtWidgets
from PySide6.QtCore import Qt

from viewer.core.graph.dataflow import Graph
from viewer.core.lecture.counts import block_formulas
from viewer.gui.widgets.architecture.convolutionize_bar import ConvolutionizeBar
from viewer.gui.widgets.architecture.inception import InceptionPanel
from viewer.gui.widgets.architecture.lecture_table import LectureTableView

__all__ = ["LectureViews", "block_notes"]


def block_notes(graph: Graph) -> dict[str, str]:
    """Each block's tooltip note (HTML): its own note, then the lecture's formula beside the real count."""
    notes = {name: html.escape(block.note) for name, block in graph.blocks.items() if block.note}
    for name, formula in block_formulas(graph).items():
        lines = "<br>".join(html.escape(line) for line in formula.lines)
        notes[name] = f"{notes[name]}<br>{lines}" if name in notes else lines
    return notes


class LectureViews:
    """Table 1 (``table``), the Inception comparison (``inception``) and the toggle (``convolutionize``)."""

    def __init__(self, tabs: QtWidgets.QTabWidget) -> None:
        self.tabs = tabs
        self.table = LectureTableView()
        self.inception = InceptionPanel()
        self.convolutionize = ConvolutionizeBar()
        tabs.addTab(self.table, "Table 1 (ResNet)")
        tabs.setTabToolTip(tabs.indexOf(self.table), "He et al.'s Table 1, read from the five ResNets")
        self._inception_index = tabs.addTab(self.inception, "Inception (a) vs (b)")
        tabs.setTabToolTip(self._inception_index, "The naive Inception module beside the real one")
        tabs.setCornerWidget(self.convolutionize, Qt.Corner.TopRightCorner)
        tabs.setTabVisible(self._inception_index, False)

    @property
    def message(self) -> QtWidgets.QLabel:
        """The toggle's sentence, for the parent to place."""
        return self.convolutionize.message

    def set_graph(self, graph: Graph | None) -> None:
        """A graph is shown (plain or convolutionized): offer what suits it."""
        self.convolutionize.set_graph(graph)
        has_inception = self.inception.set_graph(graph)
        if not has_inception and self.tabs.currentIndex() == self._inception_index:
            self.tabs.setCurrentIndex(0)
        self.tabs.setTabVisible(self._inception_index, has_inception)
