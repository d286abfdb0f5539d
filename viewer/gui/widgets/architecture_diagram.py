"""The network as boxes on a QGraphicsScene: one box per layer or collapsed block, frames for open blocks.

Hand-written layout because the summary is a tree walked in execution order: a vertical flow with nested
frames reads like the papers' figures and needs no graph-layout library (graphviz is not a dependency).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.gui.widgets.architecture_format import format_count, format_hyper, format_macs, format_shape

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
    return [type_line, f"out {format_shape(node.output_shape)}", cost]


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


def _arrow_head(parent: QtWidgets.QGraphicsItem, x: float, y: float) -> None:
    head = QtWidgets.QGraphicsPolygonItem(
        QtGui.QPolygonF([QtCore.QPointF(x - 4, y - 6), QtCore.QPointF(x + 4, y - 6), QtCore.QPointF(x, y)]), parent)
    head.setPen(_LINE_PEN)
    head.setBrush(QtGui.QColor("#8090a0"))


def _arrow(parent: QtWidgets.QGraphicsItem, x: float, y0: float, y1: float) -> None:
    QtWidgets.QGraphicsLineItem(x, y0 + 1, x, y1 - 2, parent).setPen(_LINE_PEN)
    _arrow_head(parent, x, y1 - 1)


def _container(scene: QtWidgets.QGraphicsScene) -> QtWidgets.QGraphicsRectItem:
    """An invisible parent: everything drawn for one top-level node moves with it into its column."""
    item = QtWidgets.QGraphicsRectItem()
    item.setPen(Qt.PenStyle.NoPen)
    scene.addItem(item)
    return item


def layout_diagram(scene: QtWidgets.QGraphicsScene, summary: Any, expanded: set[str],
                   aspect: float = 0.6) -> dict[str, NodeBox]:
    """Draw ``summary`` onto an emptied ``scene``; returns the box of every visible node by name.

    The top-level sequence is wrapped into columns (never splitting a block) so that the whole diagram
    is about ``aspect`` (height / width) and a long network still fits a landscape window.
    """
    scene.clear()
    boxes: dict[str, NodeBox] = {}
    box_height = PADDING * 2 + LINE_HEIGHT * 4

    def place(node: Any, parent: QtWidgets.QGraphicsItem, x: float, y: float) -> tuple[float, float]:
        """Place ``node`` with its top-left at (x, y) in ``parent``; returns (bottom, width)."""
        is_block = bool(node.children)
        open_block = is_block and node.name in expanded
        box = NodeBox(node.name, QtCore.QRectF(x, y, BOX_WIDTH, box_height), block=is_block, expanded=open_block)
        box.setParentItem(parent)
        box.setBrush(QtGui.QColor(_BLOCK_COLOUR if is_block else _fill_for(node.type)))
        _add_text(box, _node_lines(node), PADDING, PADDING,
                  BOX_WIDTH - 2 * PADDING - (MARKER_SIZE if is_block else 0), node.name)
        if is_block:
            _add_marker(box)
        boxes[node.name] = box
        if not open_block:
            return y + box_height, BOX_WIDTH
        _arrow(parent, x + FRAME_INDENT + BOX_WIDTH / 2, y + box_height, y + box_height + GAP)
        bottom, width = place_sequence(node.children, parent, x + FRAME_INDENT, y + box_height + GAP)
        frame = QtWidgets.QGraphicsRectItem(
            QtCore.QRectF(x - 4, y - 4, max(BOX_WIDTH, width + FRAME_INDENT) + 8, bottom - y + 8), parent)
        frame.setPen(QtGui.QPen(QtGui.QColor("#9aa8b8"), 1, Qt.PenStyle.DashLine))
        frame.setBrush(QtGui.QColor(_FRAME_COLOUR))
        frame.setZValue(-100 + node.name.count("."))  # inner frames over outer ones, all under boxes
        return bottom + 4, frame.rect().width() - 8

    def place_sequence(nodes: list[Any], parent: QtWidgets.QGraphicsItem, x: float, y: float) -> tuple[float, float]:
        width = BOX_WIDTH
        for index, child in enumerate(nodes):
            if index:
                _arrow(parent, x + BOX_WIDTH / 2, y, y + GAP)
                y += GAP
            y, child_width = place(child, parent, x, y)
            width = max(width, child_width)
        return y, width

    input_group = _container(scene)
    input_box = QtWidgets.QGraphicsRectItem(QtCore.QRectF(0, 0, BOX_WIDTH, PADDING * 2 + LINE_HEIGHT * 2),
                                            input_group)
    input_box.setPen(_NORMAL_PEN)
    input_box.setBrush(QtGui.QColor("#fff8d6"))
    _add_text(input_box, [format_shape(summary.input_shape)], PADDING, PADDING, BOX_WIDTH - 2 * PADDING, "input")
    groups = [(input_group, input_box.rect().height(), BOX_WIDTH)]
    for child in summary.root.children:
        group = _container(scene)
        bottom, width = place(child, group, 0, 0)
        groups.append((group, bottom, width))
    for box in boxes.values():
        box.set_selected_look(False)

    _wrap_into_columns(groups, aspect)
    scene.setSceneRect(scene.itemsBoundingRect().adjusted(-20, -20, 20, 20))
    return boxes


def _wrap_into_columns(groups: list[tuple[QtWidgets.QGraphicsItem, float, float]], aspect: float) -> None:
    """Move each (group, height, width) into newspaper columns and join them with arrows."""
    column_gap = 3 * GAP
    total = sum(height for _, height, _ in groups) + GAP * (len(groups) - 1)
    columns = max(1, round((total / (aspect * (BOX_WIDTH + column_gap))) ** 0.5))
    limit = max(total / columns, max(height for _, height, _ in groups))
    x = y = 0.0
    column_width = 0.0
    previous: tuple[float, float] | None = None  # bottom-centre of the previous group
    scene = groups[0][0].scene()
    lines = _container(scene)
    for group, height, width in groups:
        if y > 0 and y + height > limit * 1.05:
            x += column_width + column_gap
            y, column_width = 0.0, 0.0
        group.setPos(x, y)
        centre = x + BOX_WIDTH / 2
        if previous is not None:
            if previous[0] == centre:
                _arrow(lines, centre, previous[1], y)
            else:  # down, across the gap, up to the top of the next column, down into its first box
                turn_x = x - column_gap / 2
                path = QtGui.QPainterPath(QtCore.QPointF(*previous))
                for point in ((previous[0], previous[1] + GAP / 2), (turn_x, previous[1] + GAP / 2),
                              (turn_x, -GAP / 2), (centre, -GAP / 2), (centre, y - 2)):
                    path.lineTo(*point)
                QtWidgets.QGraphicsPathItem(path, lines).setPen(_LINE_PEN)
                _arrow_head(lines, centre, y - 1)
        previous = (centre, y + height)
        y += height + GAP
        column_width = max(column_width, width)


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
        for keys, action in ((QtGui.QKeySequence.StandardKey.ZoomIn, self.zoom_in),
                             (QtGui.QKeySequence("Ctrl+="), self.zoom_in),
                             (QtGui.QKeySequence.StandardKey.ZoomOut, self.zoom_out),
                             (QtGui.QKeySequence("Ctrl+0"), self.fit)):
            shortcut = QtGui.QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
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
