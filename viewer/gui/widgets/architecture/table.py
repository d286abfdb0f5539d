"""The Architecture tab's table: one row per call in execution order, blocks as expandable parents.

Filled from ``Graph.iter_rows()``, so a module called three times (ResNet's ``relu``) is three rows with three
output shapes, and an Inception module's four branches come in the order they run.

Filled when first shown or read, not when a graph arrives: its items and fitted columns take 10-120 ms of the
GUI thread (MobileNetV3 the most), and graphs arrive at every model switch while the table is mostly hidden.
"""

from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.graph.dataflow import Block, Graph, GraphNode, format_shape
from viewer.gui.widgets.architecture.format import (
    format_count,
    format_field,
    format_hyper,
    format_macs,
)
from viewer.gui.widgets.common.turns import DrawWhenShown

__all__ = ["COLUMNS", "KEY_ROLE", "LAYER_ROLE", "ArchitectureTable"]

COLUMNS = ("Layer", "Type", "Hyper-parameters", "Output", "Params", "MACs", "Receptive field (size, jump)")
KEY_ROLE = Qt.ItemDataRole.UserRole  # node id or block name
LAYER_ROLE = Qt.ItemDataRole.UserRole + 1  # the layer the Activations tab would show (module path)


def _short(name: str, parent: str) -> str:
    return name[len(parent) + 1 :] if parent and name.startswith(f"{parent}.") else name


class ArchitectureTable(QtWidgets.QTreeWidget):
    """The graph as a tree table (objectName ``architectureTable``).

    Signals:
        rowSelected(str, str): the user picked a row: its key (node id or block name) and its layer name.
    """

    rowSelected = Signal(str, str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("architectureTable")
        self.setHeaderLabels(list(COLUMNS))
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self._items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self._syncing = False
        self._graph: Graph | None = None
        # Filled in its Show event, before its first paint: a table is never seen empty or of another network.
        self._when_shown = DrawWhenShown(self, self._fill, when_shown="now")
        self._pending_key: str | None = None  # selected while not filled yet
        self.currentItemChanged.connect(self._on_current_changed)

    def set_graph(self, graph: Graph | None) -> None:
        """Show ``graph`` (None empties it); top-level blocks start open. Filled now if shown, else when first
        shown or read (see the module docstring)."""
        self._graph, self._pending_key = graph, None
        self._when_shown.request()

    # The reads of a tree widget fill it first (Python callers: tests, the view).
    def currentItem(self) -> QtWidgets.QTreeWidgetItem | None:
        self._when_shown.flush()
        return super().currentItem()

    def topLevelItem(self, index: int) -> QtWidgets.QTreeWidgetItem | None:
        self._when_shown.flush()
        return super().topLevelItem(index)

    def topLevelItemCount(self) -> int:
        self._when_shown.flush()
        return super().topLevelItemCount()

    def _fill(self) -> None:
        graph = self._graph
        self._syncing = True
        try:
            self.clear()
            self._items = {}
            if graph is None:
                return
            parents: list[QtWidgets.QTreeWidgetItem] = []
            for depth, row in graph.iter_rows():
                del parents[depth:]
                item = self._block_item(graph, row) if isinstance(row, Block) else self._node_item(row)
                if parents:
                    parents[-1].addChild(item)
                else:
                    self.addTopLevelItem(item)
                if isinstance(row, Block):
                    parents.append(item)
            self.expandAll()  # so that column widths fit the deepest names too
            for column in range(len(COLUMNS)):
                self.resizeColumnToContents(column)
            self.collapseAll()
            self.expandToDepth(0)
        finally:
            self._syncing = False
        if self._pending_key is not None:
            key, self._pending_key = self._pending_key, None
            self.select_key(key)

    def rows(self, key_or_layer: str) -> list[QtWidgets.QTreeWidgetItem]:
        """Every row whose key or layer is ``key_or_layer`` (a module's calls), in execution order."""
        self._when_shown.flush()
        return [
            item for key, item in self._items.items() if key == key_or_layer or item.data(0, LAYER_ROLE) == key_or_layer
        ]

    def select_key(self, key: str) -> None:
        """Make the row of ``key`` current and visible, without emitting ``rowSelected``."""
        if self._when_shown.pending():  # made current when filled
            self._pending_key = key
            return
        item = self._items.get(key)
        if item is None:
            return
        self._syncing = True
        try:
            self.setCurrentItem(item)
            self.scrollToItem(item)
        finally:
            self._syncing = False

    def _node_item(self, node: GraphNode) -> QtWidgets.QTreeWidgetItem:
        type_text = node.type + (" (training only)" if node.training_only else "")
        item = QtWidgets.QTreeWidgetItem([
            _short(node.id, node.block), type_text, format_hyper(node.hyper, limit=12), format_shape(node.shape),
            format_count(node.params) if node.params else "", format_macs(node.macs) if node.macs else "",
            format_field(node.receptive_field),
        ])  # fmt: skip
        tip = node.id + (f" (call {node.call} of {node.module})" if node.call > 1 else "")
        return self._register(item, node.id, node.module or node.id, tip + (f"\n{node.note}" if node.note else ""))

    def _block_item(self, graph: Graph, block: Block) -> QtWidgets.QTreeWidgetItem:
        last = graph.node(block.nodes[-1])
        type_text = block.type + (" (training only)" if block.training_only else "")
        item = QtWidgets.QTreeWidgetItem([
            _short(block.name, block.parent), type_text, f"{len(block.nodes)} calls", format_shape(last.shape),
            format_count(block.params), format_macs(block.macs), format_field(last.receptive_field),
        ])  # fmt: skip
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        return self._register(item, block.name, block.name, block.name + (f"\n{block.note}" if block.note else ""))

    def _register(self, item: QtWidgets.QTreeWidgetItem, key: str, layer: str, tip: str) -> QtWidgets.QTreeWidgetItem:
        item.setData(0, KEY_ROLE, key)
        item.setData(0, LAYER_ROLE, layer)
        item.setToolTip(0, tip)
        for column in (4, 5):
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._items[key] = item
        return item

    def _on_current_changed(
        self, current: QtWidgets.QTreeWidgetItem | None, _previous: QtWidgets.QTreeWidgetItem | None
    ) -> None:
        if current is not None and not self._syncing:
            self.rowSelected.emit(current.data(0, KEY_ROLE), current.data(0, LAYER_ROLE))
