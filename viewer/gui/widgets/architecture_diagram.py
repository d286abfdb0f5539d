"""The network as boxes on a QGraphicsScene: one box per layer or collapsed block, frames for open blocks.

Hand-written layout because the summary is a tree walked in execution order: a vertical flow with nested
frames reads like the papers' figures and needs no graph-layout library (graphviz is not a dependency).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.gui.widgets.architecture_format import (
    format_count,
    format_field,
    format_hyper,
    format_macs,
    format_shape,
)

__all__ = ["BOX_WIDTH", "DiagramView", "NodeBox", "layout_diagram"]

BOX_WIDTH = 300
LINE_HEIGHT = 16
PADDING = 8
GAP = 18  # vertical space between boxes, where the arrows go
FRAME_INDENT = 14
MARKER_SIZE = 14

# Fill colour by layer kind (first matching word of the type name), so a glance shows the rhythm of
# conv / norm / activation / pool in a network.
_KIND_COLOURS = (
    (("conv",), "#dbe9f9"),
    (("norm",), "#def2de"),
    (("relu", "gelu", "silu", "sigmoid", "tanh", "hardswish", "softmax", "mish", "elu"), "#fdebd3"),
    (("pool",), "#ece0f5"),
    (("linear",), "#f8dcdc"),
    (("dropout", "flatten", "identity"), "#f1f1f1"),
)
_BLOCK_COLOUR = "#e4e7eb"
_FRAME_COLOUR = "#f7f8fa"
_SELECTED_PEN = QtGui.QPen(QtGui.QColor("#1565c0"), 3)
_NORMAL_PEN = QtGui.QPen(QtGui.QColor("#607080"), 1)


def _fill_for(type_name: str) -> str:
    lowered = type_name.lower()
    for words, colour in _KIND_COLOURS:
        if any(word in lowered for word in words):
            return colour
    return "#ffffff"


class NodeBox(QtWidgets.QGraphicsRectItem):
    """A layer, a collapsed block (``+``) or the title bar of an open block's frame (``−``)."""

    def __init__(self, name: str, rect: QtCore.QRectF, *, block: bool, expanded: bool) -> None:
        # Local coordinates start at the box's top-left, so its texts and marker are placed relative to it.
        super().__init__(QtCore.QRectF(0, 0, rect.width(), rect.height()))
        self.setPos(rect.topLeft())
        self.name = name
        self.block = block
        self.expanded = expanded
        self.marker_rect = QtCore.QRectF()  # in local coordinates
        if block:
            self.marker_rect = QtCore.QRectF(rect.width() - MARKER_SIZE - 6, 5, MARKER_SIZE, MARKER_SIZE)

    def set_selected_look(self, selected: bool) -> None:
        self.setPen(_SELECTED_PEN if selected else _NORMAL_PEN)


def _node_lines(node: Any) -> list[str]:
    type_line = node.type + (" (training only)" if getattr(node, "training_only", False) else "")
    hyper = format_hyper(getattr(node, "hyper", None))
    if hyper:
        type_line += f"  {hyper}"
    cost = f"{format_count(node.params)} params · {format_macs(node.macs)}"
    shape_line = f"out {format_shape(node.output_shape)}"
    field = getattr(node, "receptive_field", None)
    if field is not None:
        shape_line += f" · RF {format_field(field).split(',')[0]}"
    return [type_line, shape_line, cost]


def _add_text(box: QtWidgets.QGraphicsItem, lines: Iterable[str], x: float, y: float, width: float,
              title: str) -> None:
    font = QtGui.QFont()
    bold = QtGui.QFont(font)
    bold.setBold(True)
    metrics = QtGui.QFontMetricsF(font)
    for index, text in enumerate([title, *lines]):
        item = QtWidgets.QGraphicsSimpleTextItem(
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, width), box)
        item.setFont(bold if index == 0 else font)
        item.setPos(x, y + index * LINE_HEIGHT)


def _add_marker(box: NodeBox) -> None:
    marker = QtWidgets.QGraphicsRectItem(box.marker_rect, box)
    marker.setBrush(QtGui.QColor("#ffffff"))
    marker.setPen(QtGui.QPen(QtGui.QColor("#405060"), 1))
    sign = QtWidgets.QGraphicsSimpleTextItem("\u2212" if box.expanded else "+", marker)
    bounds = sign.boundingRect()
    sign.setPos(box.marker_rect.center().x() - bounds.width() / 2, box.marker_rect.center().y() - bounds.height() / 2)


_LINE_PEN = QtGui.QPen(QtGui.QColor("#8090a0"), 1.5)
_FRAME_PEN = QtGui.QPen(QtGui.QColor("#9aa8b8"), 1, Qt.PenStyle.DashLine)
_NEST = 4  # how much further out each enclosing frame is drawn, so nested frames stay distinct


@dataclass
class _Row:
    """One box in the flow: a layer, a collapsed block, or the header of an open block."""

    node: Any
    depth: int  # 0 for the model's direct children
    open_block: bool
    end: int = 0  # for an open block: index of its last descendant row
    x: float = 0.0
    y: float = 0.0
    column: int = 0


def _rows(summary: Any, expanded: set[str]) -> list[_Row]:
    rows: list[_Row] = []

    def visit(node: Any, depth: int) -> None:
        open_block = bool(node.children) and node.name in expanded
        row = _Row(node, depth, open_block)
        rows.append(row)
        if open_block:
            for child in node.children:
                visit(child, depth + 1)
        row.end = len(rows) - 1

    for child in summary.root.children:
        visit(child, 0)
    return rows


def _arrow_head(scene: QtWidgets.QGraphicsScene, x: float, y: float) -> None:
    polygon = QtGui.QPolygonF([QtCore.QPointF(x - 4, y - 6), QtCore.QPointF(x + 4, y - 6), QtCore.QPointF(x, y)])
    scene.addPolygon(polygon, _LINE_PEN, QtGui.QBrush(QtGui.QColor("#8090a0")))


def _arrow(scene: QtWidgets.QGraphicsScene, x: float, y0: float, y1: float) -> None:
    scene.addLine(x, y0 + 1, x, y1 - 2, _LINE_PEN)
    _arrow_head(scene, x, y1 - 1)


def _column_break(scene: QtWidgets.QGraphicsScene, start: tuple[float, float], end: tuple[float, float],
                  turn_x: float, top: float) -> None:
    """Down out of the last box, across the gap, up over the next column, down into its first box."""
    # Separate segments, not one QPainterPath: a path item's shape is its filled area, which would
    # swallow the clicks meant for the boxes it encloses.
    points = (start, (start[0], start[1] + GAP / 2), (turn_x, start[1] + GAP / 2), (turn_x, top), (end[0], top),
              (end[0], end[1] - 2))
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        scene.addLine(x0, y0, x1, y1, _LINE_PEN)
    _arrow_head(scene, end[0], end[1] - 1)


def layout_diagram(scene: QtWidgets.QGraphicsScene, summary: Any, expanded: set[str],
                   aspect: float = 0.6) -> dict[str, NodeBox]:
    """Draw ``summary`` onto an emptied ``scene``; returns the box of every visible node by name.

    Boxes flow top to bottom in execution order, open blocks indented inside dashed frames, and the flow
    wraps into newspaper columns so that the diagram is about ``aspect`` (height / width): a long network
    still fits a landscape window. A frame cut by a column break is drawn in pieces, one per column.
    """
    scene.clear()
    box_height = PADDING * 2 + LINE_HEIGHT * 4
    input_height = PADDING * 2 + LINE_HEIGHT * 2
    rows = _rows(summary, expanded)
    max_depth = max((row.depth for row in rows), default=0)
    column_width = BOX_WIDTH + max_depth * FRAME_INDENT + 2 * _NEST * (max_depth + 1)
    column_gap = 3 * GAP

    # Newspaper columns: about as many as make the whole roughly ``aspect`` high for its width.
    pitch = box_height + GAP
    total = input_height + GAP + len(rows) * pitch
    columns = max(1, round((total / (aspect * (column_width + column_gap))) ** 0.5))
    per_column = max(2, math.ceil((len(rows) + 1) / columns))  # the input box takes the first slot
    for index, row in enumerate(rows, start=1):
        row.column, slot = divmod(index, per_column)
        row.y = slot * pitch
        row.x = row.column * (column_width + column_gap) + _NEST * (max_depth + 1) + row.depth * FRAME_INDENT

    offset = _NEST * (max_depth + 1)
    input_box = scene.addRect(QtCore.QRectF(offset, 0, BOX_WIDTH, input_height), _NORMAL_PEN,
                              QtGui.QBrush(QtGui.QColor("#fff8d6")))
    _add_text(input_box, [format_shape(summary.input_shape)], offset + PADDING, PADDING, BOX_WIDTH - 2 * PADDING,
              "input")

    boxes: dict[str, NodeBox] = {}
    for row in rows:
        node, is_block = row.node, bool(row.node.children)
        box = NodeBox(node.name, QtCore.QRectF(row.x, row.y, BOX_WIDTH, box_height), block=is_block,
                      expanded=row.open_block)
        box.setBrush(QtGui.QColor(_BLOCK_COLOUR if is_block else _fill_for(node.type)))
        box.set_selected_look(False)
        scene.addItem(box)
        _add_text(box, _node_lines(node), PADDING, PADDING,
                  BOX_WIDTH - 2 * PADDING - (MARKER_SIZE if is_block else 0), node.name)
        if is_block:
            _add_marker(box)
        boxes[node.name] = box

    previous = (offset + BOX_WIDTH / 2, float(input_height), 0)  # bottom-centre and column of the last box
    for row in rows:
        centre = row.x + BOX_WIDTH / 2
        if row.column == previous[2]:
            _arrow(scene, centre, previous[1], row.y)
        else:
            left = row.column * (column_width + column_gap)
            _column_break(scene, previous[:2], (centre, row.y), left - column_gap / 2, -GAP / 2)
        previous = (centre, row.y + box_height, row.column)

    for index, row in enumerate(rows):
        if row.open_block:
            _draw_frame(scene, rows, index, box_height, column_width, column_gap)
    scene.setSceneRect(scene.itemsBoundingRect().adjusted(-20, -20, 20, 20))
    return boxes


def _draw_frame(scene: QtWidgets.QGraphicsScene, rows: list[_Row], index: int, box_height: float,
                column_width: float, column_gap: float) -> None:
    """The dashed frame of the open block at ``rows[index]``, one piece per column it spans."""
    block = rows[index]
    members = rows[index : block.end + 1]
    for column in sorted({row.column for row in members}):
        piece = [row for row in members if row.column == column]
        first, last = piece[0], piece[-1]
        # Frames that start or end on the same box as enclosing ones sit inside them by _NEST per level.
        top = first.y - _NEST * (1 + first.depth - block.depth) if first is not block else first.y - _NEST
        bottom = last.y + box_height + _NEST * (last.depth - block.depth)
        left = column * (column_width + column_gap) + _NEST * (max(r.depth for r in rows) + 1) \
            + block.depth * FRAME_INDENT - _NEST
        right = column * (column_width + column_gap) + column_width - _NEST * (block.depth + 1)
        frame = scene.addRect(QtCore.QRectF(left, top, right - left, bottom - top), _FRAME_PEN,
                              QtGui.QBrush(QtGui.QColor(_FRAME_COLOUR)))
        frame.setZValue(-100 + block.depth)  # inner frames over outer ones, all under boxes


class DiagramView(QtWidgets.QGraphicsView):
    """Zoom with the wheel or Ctrl +/−/0, pan by dragging; clicks on boxes leave as signals."""

    boxClicked = Signal(str)
    toggleRequested = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QtWidgets.QGraphicsScene(self)  # owned by the view, or Python collects it
        self.setScene(self._scene)
        self.setObjectName("architectureView")
        self.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QtWidgets.QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QtWidgets.QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(QtGui.QColor("#ffffff"))
        self._auto_fit = False
        for keys, action in ((QtGui.QKeySequence.StandardKey.ZoomIn, self.zoom_in),
                             (QtGui.QKeySequence("Ctrl+="), self.zoom_in),
                             (QtGui.QKeySequence.StandardKey.ZoomOut, self.zoom_out)):
            # Ctrl+0 (fit) is the window's View › Fit action, which fits the diagram when it has the focus:
            # a second Ctrl+0 here would make the key ambiguous, and Qt then runs neither.
            shortcut = QtGui.QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)

    def request_fit(self) -> None:
        """Fit now and keep fitting as the view is shown or resized, until the user zooms.

        A view in a hidden tab has no real size yet, so fitting once at ``set_summary`` would be wrong.
        """
        self._auto_fit = True
        self.fit()

    def refit_if_auto(self) -> None:
        """After the diagram changed (a block opened or closed): fit again unless the user has zoomed."""
        if self._auto_fit:
            self.fit()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._auto_fit:
            self.fit()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        self._auto_fit = False
        new_zoom = self.zoom * factor
        if 0.05 <= new_zoom <= 8:
            self.scale(factor, factor)

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def fit(self) -> None:
        """Show the whole diagram, but never blow small networks up past 100 %."""
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1:
            self.resetTransform()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802 (Qt override)
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.15 ** steps)
        event.accept()

    def box_at(self, position: QtCore.QPoint) -> NodeBox | None:
        item = self.itemAt(position)
        while item is not None and not isinstance(item, NodeBox):
            item = item.parentItem()
        return item

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        box = self.box_at(event.position().toPoint())
        if box is not None and event.button() == Qt.MouseButton.LeftButton:
            point = box.mapFromScene(self.mapToScene(event.position().toPoint()))
            if box.block and box.marker_rect.adjusted(-3, -3, 3, 3).contains(point):
                self.toggleRequested.emit(box.name)
                event.accept()
                return
            self.boxClicked.emit(box.name)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        box = self.box_at(event.position().toPoint())
        if box is not None and box.block:
            self.toggleRequested.emit(box.name)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)
