"""The Activations tab's layer tree: the network's modules from an engine ``Summary``, nested as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6 import QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.gui.widgets.architecture.format import format_shape
from viewer.gui.widgets.common.turns import DrawWhenShown

__all__ = ["LayerTree"]

_NAME_ROLE = Qt.ItemDataRole.UserRole
_COLUMN_PADDING = 10  # what a column needs beyond its text and indentation: the cell margins


class LayerTree(QtWidgets.QTreeWidget):
    """Layer, type and output shape of every module (objectName ``layerTree``); the top level opened.

    Signals:
        layerChosen(str): the user picked a row (its module path); not emitted by ``select_layer``.
    """

    layerChosen = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerTree")
        self.setHeaderLabels(["Layer", "Type", "Output"])
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.header().setStretchLastSection(True)
        self.current_layer: str | None = None  # chosen or selected, even before its row exists
        self._items_by_name: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self._summary: Any | None = None
        self._indent = self.indentation()
        self._filling = False
        self._when_shown = DrawWhenShown(self, self._fill)
        self.currentItemChanged.connect(self._on_current_changed)

    def set_summary(self, summary: Any | None) -> None:
        """Fill the tree from an engine ``Summary`` (None clears it); the current layer stays selected.

        While the tree is hidden (another tab is shown) it is filled when next shown: a model's few hundred rows
        are 10-30 ms of the GUI thread, and most models are chosen with another tab in front.
        """
        self._summary = summary
        self._when_shown.request()  # hidden: a turn after it is shown, so that the tab switch paints first

    def _fill(self) -> None:
        self._filling = True
        try:
            self.clear()
            self._items_by_name.clear()
            if self._summary is not None:
                widths = [0] * self.columnCount()
                self._indent = self.indentation()
                metrics, sizes = self.fontMetrics(), {}  # names and types repeat: each measured once

                def measure(text: str) -> int:
                    if text not in sizes:
                        sizes[text] = metrics.horizontalAdvance(text)
                    return sizes[text]

                for child in self._summary.root.children:
                    self.addTopLevelItem(self._item(child, "", widths, measure))
                # Widths that fit the deepest names too, from the texts: expanding every row to let Qt measure
                # them took 10-30 ms of the GUI thread per model (``viewer bench``: the 200-switch stall).
                for column, width in enumerate(widths):
                    self.setColumnWidth(column, width + _COLUMN_PADDING)
                self.expandToDepth(0)
            if self.current_layer in self._items_by_name:
                self.setCurrentItem(self._items_by_name[self.current_layer])
        finally:
            self._filling = False

    def select_layer(self, name: str) -> None:
        """Select ``name`` without emitting ``layerChosen`` (the app already knows)."""
        self.current_layer = name
        item = self._items_by_name.get(name)
        if item is None:
            return
        self._filling = True
        try:
            self.setCurrentItem(item)
            self.scrollToItem(item)
        finally:
            self._filling = False

    def _item(
        self, node: Any, parent_name: str, widths: list[int], measure: Callable[[str], int], depth: int = 1
    ) -> QtWidgets.QTreeWidgetItem:
        """The row of ``node`` and its children; ``widths`` grows to each column's widest text (with indent)."""
        short = (
            node.name[len(parent_name) + 1 :] if parent_name and node.name.startswith(parent_name + ".") else node.name
        )
        texts = [short, node.type, format_shape(node.output_shape)]
        item = QtWidgets.QTreeWidgetItem(texts)
        item.setData(0, _NAME_ROLE, node.name)
        item.setToolTip(0, node.name)
        widths[0] = max(widths[0], depth * self._indent + measure(short))
        for column, text in enumerate(texts[1:], start=1):
            widths[column] = max(widths[column], measure(text))
        self._items_by_name[node.name] = item
        for child in node.children:
            item.addChild(self._item(child, node.name, widths, measure, depth + 1))
        return item

    def _on_current_changed(
        self, current: QtWidgets.QTreeWidgetItem | None, _previous: QtWidgets.QTreeWidgetItem | None
    ) -> None:
        if current is None or self._filling:
            return
        name = current.data(0, _NAME_ROLE)
        self.current_layer = name
        self.layerChosen.emit(name)
