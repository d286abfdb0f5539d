"""Architecture tab: the network as a diagram of boxes and as a table, from an engine ``Summary``.

A pure view: ``set_summary`` draws, ``select_layer`` highlights, the user's pick leaves as
``layerSelected`` (the app then shows that layer's activations). Exports are SVG (vector, QtSvg) or PNG.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.engine.export import atomic_write
from viewer.gui.widgets.architecture_diagram import DiagramView, NodeBox, layout_diagram
from viewer.gui.widgets.architecture_format import (
    format_bytes,
    format_count,
    format_field,
    format_hyper,
    format_macs,
    format_shape,
)

__all__ = ["AUTO_EXPAND_LIMIT", "ArchitectureView"]

AUTO_EXPAND_LIMIT = 40  # boxes shown at first: enough to read the design, few enough to take in at once
PNG_SCALE = 2.0  # exported PNGs at twice the screen resolution stay sharp on slides
_NAME_ROLE = Qt.ItemDataRole.UserRole
_TABLE_COLUMNS = ("Layer", "Type", "Hyper-parameters", "Output", "Params", "MACs", "Memory", "Receptive field")


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in node.children:
        yield from _walk(child)


class ArchitectureView(QtWidgets.QWidget):
    """Diagram (objectName ``architectureView``) and table (``architectureTable``) of one network.

    Signals:
        layerSelected(str): the user clicked a box or a table row (not emitted by ``select_layer``).
        exported(str): a diagram file was written (its path).
    """

    layerSelected = Signal(str)
    exported = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._summary: Any = None
        self._expanded: set[str] = set()
        self._boxes: dict[str, NodeBox] = {}
        self._parents: dict[str, str] = {}
        self._selected: str | None = None
        self._table_items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self._syncing_table = False
        self._diagram_stale = False  # a summary arrived while hidden: the boxes are built when shown
        self._build()

    def _build(self) -> None:
        self.totals = QtWidgets.QLabel("No network yet.", objectName="architectureTotals")
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.diagram = DiagramView(self)
        self.diagram.boxClicked.connect(self._on_box_clicked)
        self.diagram.toggleRequested.connect(self.toggle_block)

        self.table = QtWidgets.QTreeWidget(objectName="architectureTable")
        self.table.setHeaderLabels(list(_TABLE_COLUMNS))
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.currentItemChanged.connect(self._on_table_current_changed)

        self.tabs = QtWidgets.QTabWidget(objectName="architectureTabs")
        self.tabs.addTab(self.diagram, "Diagram")
        self.tabs.addTab(self.table, "Table")

        buttons = QtWidgets.QHBoxLayout()
        for text, name, slot, tip in (
            ("Expand all", "expandAllButton", self.expand_all, "Open every block"),
            ("Collapse all", "collapseAllButton", self.collapse_all, "Close every block"),
            ("Fit", "fitButton", self.diagram.request_fit, "Whole diagram in view (Ctrl+0); wheel or Ctrl+± zooms"),
            ("Export…", "exportArchitectureButton", self._on_export_clicked, "Save the diagram as SVG or PNG"),
        ):
            button = QtWidgets.QPushButton(text, objectName=name)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.totals)
        layout.addLayout(buttons)
        layout.addWidget(self.tabs, 1)

    # ----------------------------------------------------------------------------------------- state
    @property
    def totals_text(self) -> str:
        return self.totals.text()

    @property
    def visible_box_names(self) -> list[str]:
        """Layers and collapsed blocks drawn as boxes, in drawing order (open blocks are frames)."""
        self._ensure_drawn()
        return [name for name, box in self._boxes.items() if not box.expanded]

    @property
    def expanded_blocks(self) -> set[str]:
        return set(self._expanded)

    @property
    def selected_layer(self) -> str | None:
        return self._selected

    def box_center(self, name: str, marker: bool = False) -> QtCore.QPoint:
        """Viewport coordinates of a box (or its +/− marker), for clicks in tests; scrolls it into view."""
        self._ensure_drawn()
        box = self._boxes[name]
        target = box.mapToScene(box.marker_rect.center() if marker else box.rect().center())
        self.diagram.centerOn(target)
        return self.diagram.mapFromScene(target)

    # ----------------------------------------------------------------------------------------- API
    def set_summary(self, summary: Any | None) -> None:
        """Draw an engine ``Summary`` (None clears). Blocks open breadth-first while the boxes fit the limit."""
        self._summary = summary
        self._selected = None
        self._expanded = set()
        self._parents = {}
        if summary is None:
            self.totals.setText("No network yet.")
            self._diagram_stale = False
            self.diagram.scene().clear()
            self._boxes = {}
            self.table.clear()
            self._table_items = {}
            return
        for node in _walk(summary.root):
            for child in node.children:
                self._parents[child.name] = node.name
        self._expanded = self._initial_expansion(summary)
        self.totals.setText(
            f"<b>{summary.model_name}</b> · input {format_shape(summary.input_shape)} · "
            f"{format_count(summary.total_params)} params ({format_count(summary.trainable_params)} trainable) · "
            f"{format_macs(summary.macs)}"
        )
        self._fill_table(summary)
        self._redraw()
        self.diagram.request_fit()

    def select_layer(self, name: str) -> None:
        """Highlight ``name`` in the diagram (opening the blocks around it) and the table; emits nothing."""
        if self._summary is None or name not in self._parents:
            return
        parent = self._parents.get(name)
        opened = False
        while parent:  # the root ("") is always open
            if parent not in self._expanded:
                self._expanded.add(parent)
                opened = True
            parent = self._parents.get(parent)
        self._selected = name
        if opened:
            self._redraw()
        else:
            self._apply_selection()
        if name in self._boxes:
            self.diagram.ensureVisible(self._boxes[name].sceneBoundingRect(), 40, 40)
        self._select_table_row(name)

    def toggle_block(self, name: str) -> None:
        """Open a collapsed block or close an open one."""
        if name in self._expanded:
            self._expanded.discard(name)
            # Children's open state would otherwise pop back on re-opening: keep it simple, close them too.
            self._expanded = {n for n in self._expanded if not n.startswith(name + ".")}
        else:
            self._expanded.add(name)
        self._redraw()

    def expand_all(self) -> None:
        if self._summary is not None:
            self._expanded = {node.name for node in _walk(self._summary.root) if node.children and node.name}
            self._redraw()

    def collapse_all(self) -> None:
        self._expanded = set()
        self._redraw()

    def export_svg(self, path: str | os.PathLike[str]) -> Path:
        """Write the diagram as SVG, atomically (temp file + rename); overwrites ``path``."""
        self._ensure_drawn()
        rect = self.diagram.scene().sceneRect()
        buffer = QtCore.QBuffer()
        buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
        generator = QtSvg.QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QtCore.QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(self._summary.model_name if self._summary is not None else "network")
        generator.setDescription("convnet viewer architecture diagram")
        painter = QtGui.QPainter(generator)
        self.diagram.scene().render(painter, QtCore.QRectF(0, 0, rect.width(), rect.height()), rect)
        painter.end()
        data = bytes(buffer.data())
        written = atomic_write(path, lambda handle: handle.write(data), force=True)
        self.exported.emit(str(written))
        return written

    def export_png(self, path: str | os.PathLike[str]) -> Path:
        """Write the diagram as PNG at twice screen resolution, atomically; overwrites ``path``."""
        self._ensure_drawn()
        rect = self.diagram.scene().sceneRect()
        size = (rect.size() * PNG_SCALE).toSize()
        image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32)
        image.fill(QtGui.QColor("white"))
        painter = QtGui.QPainter(image)
        painter.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
        self.diagram.scene().render(painter, QtCore.QRectF(0, 0, size.width(), size.height()), rect)
        painter.end()
        buffer = QtCore.QBuffer()
        buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        data = bytes(buffer.data())
        written = atomic_write(path, lambda handle: handle.write(data), force=True)
        self.exported.emit(str(written))
        return written

    def choose_export_path(self) -> str:
        """Ask where to save (QFileDialog confirms overwriting); '' when cancelled. Tests override this."""
        name = (self._summary.model_name if self._summary is not None else "network") + ".svg"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export architecture", name,
                                                        "SVG image (*.svg);;PNG image (*.png)")
        return path

    # ----------------------------------------------------------------------------------------- internals
    def _initial_expansion(self, summary: Any) -> set[str]:
        expanded: set[str] = set()
        visible = len(summary.root.children)
        frontier = [child for child in summary.root.children if child.children]
        while frontier:
            node = frontier.pop(0)
            if visible - 1 + len(node.children) > AUTO_EXPAND_LIMIT:
                continue
            expanded.add(node.name)
            visible += len(node.children) - 1
            frontier.extend(child for child in node.children if child.children)
        return expanded

    def _redraw(self, *, hidden_too: bool = False) -> None:
        if self._summary is None:
            return
        if not (hidden_too or self.isVisible()):
            # Hundreds of graphics items take tens of milliseconds of the GUI thread (DenseNet-201: 40 ms),
            # and most summaries arrive while another tab is shown: build them when this one is.
            self._diagram_stale = True
            self._boxes = {}
            return
        self._diagram_stale = False
        self._boxes = layout_diagram(self.diagram.scene(), self._summary, self._expanded)
        self._apply_selection()
        self.diagram.refit_if_auto()

    def _ensure_drawn(self) -> None:
        if self._diagram_stale:
            self._redraw(hidden_too=True)

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self._ensure_drawn()

    def _apply_selection(self) -> None:
        for name, box in self._boxes.items():
            box.set_selected_look(name == self._selected)

    def _on_box_clicked(self, name: str) -> None:
        self._selected = name
        self._apply_selection()
        self._select_table_row(name)
        self.layerSelected.emit(name)

    def _fill_table(self, summary: Any) -> None:
        self._syncing_table = True
        try:
            self.table.clear()
            self._table_items = {}
            for child in summary.root.children:
                self.table.addTopLevelItem(self._table_item(child))
            self.table.expandAll()  # so that column widths fit the deepest names too
            for column in range(len(_TABLE_COLUMNS)):
                self.table.resizeColumnToContents(column)
            self.table.collapseAll()
            self.table.expandToDepth(0)
        finally:
            self._syncing_table = False

    def _table_item(self, node: Any) -> QtWidgets.QTreeWidgetItem:
        field_text = format_field(getattr(node, "receptive_field", None))
        short = node.name.rsplit(".", 1)[-1]
        type_text = node.type + (" (training only)" if getattr(node, "training_only", False) else "")
        item = QtWidgets.QTreeWidgetItem([
            short, type_text, format_hyper(getattr(node, "hyper", None), limit=12), format_shape(node.output_shape),
            format_count(node.params), format_macs(node.macs), format_bytes(getattr(node, "memory_bytes", None)),
            field_text,
        ])
        item.setData(0, _NAME_ROLE, node.name)
        item.setToolTip(0, node.name)
        for column in (4, 5, 6):
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._table_items[node.name] = item
        for child in node.children:
            item.addChild(self._table_item(child))
        return item

    def _select_table_row(self, name: str) -> None:
        item = self._table_items.get(name)
        if item is None:
            return
        self._syncing_table = True
        try:
            self.table.setCurrentItem(item)
            self.table.scrollToItem(item)
        finally:
            self._syncing_table = False

    def _on_table_current_changed(self, current: QtWidgets.QTreeWidgetItem | None, _previous: Any) -> None:
        if current is None or self._syncing_table:
            return
        name = current.data(0, _NAME_ROLE)
        self._selected = name
        if name in self._boxes:
            self._apply_selection()
        self.layerSelected.emit(name)

    def _on_export_clicked(self) -> None:
        path = self.choose_export_path()
        if not path:
            return
        if Path(path).suffix.lower() == ".png":
            self.export_png(path)
        else:
            self.export_svg(path if Path(path).suffix else path + ".svg")
