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
    type_line = node.type
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


def _arrow(scene: QtWidgets.QGraphicsScene, x: float, y0: float, y1: float) -> None:
    pen = QtGui.QPen(QtGui.QColor("#8090a0"), 1.5)
    scene.addLine(x, y0 + 1, x, y1 - 2, pen)
    head = QtGui.QPolygonF([QtCore.QPointF(x - 4, y1 - 7), QtCore.QPointF(x + 4, y1 - 7), QtCore.QPointF(x, y1 - 1)])
    scene.addPolygon(head, pen, QtGui.QBrush(QtGui.QColor("#8090a0")))


def layout_diagram(scene: QtWidgets.QGraphicsScene, summary: Any, expanded: set[str]) -> dict[str, NodeBox]:
    """Draw ``summary`` onto an emptied ``scene``; returns the box of every visible node by name."""
    scene.clear()
    boxes: dict[str, NodeBox] = {}
    box_height = PADDING * 2 + LINE_HEIGHT * 4

    input_box = scene.addRect(QtCore.QRectF(0, 0, BOX_WIDTH, PADDING * 2 + LINE_HEIGHT * 2),
                              _NORMAL_PEN, QtGui.QBrush(QtGui.QColor("#fff8d6")))
    _add_text(input_box, [f"{format_shape(summary.input_shape)}"], PADDING, PADDING, BOX_WIDTH - 2 * PADDING,
              "input")

    def place(node: Any, x: float, y: float) -> tuple[float, float]:
        """Place ``node`` with its top-left at (x, y); returns (bottom, width)."""
        is_block = bool(node.children)
        if is_block and node.name in expanded:
            header = NodeBox(node.name, QtCore.QRectF(x, y, BOX_WIDTH, box_height), block=True, expanded=True)
            header.setBrush(QtGui.QColor(_BLOCK_COLOUR))
            scene.addItem(header)
            _add_text(header, _node_lines(node), PADDING, PADDING, BOX_WIDTH - 2 * PADDING - MARKER_SIZE,
                      node.name)
            _add_marker(header)
            boxes[node.name] = header
            _arrow(scene, x + FRAME_INDENT + BOX_WIDTH / 2, y + box_height, y + box_height + GAP)
            bottom, width = place_sequence(node.children, x + FRAME_INDENT, y + box_height + GAP)
            frame_rect = QtCore.QRectF(x - 4, y - 4, max(BOX_WIDTH, width + FRAME_INDENT) + 8, bottom - y + 8)
            frame = scene.addRect(frame_rect, QtGui.QPen(QtGui.QColor("#9aa8b8"), 1, Qt.PenStyle.DashLine),
                                  QtGui.QBrush(QtGui.QColor(_FRAME_COLOUR)))
            frame.setZValue(-100 + node.name.count("."))  # inner frames over outer ones, all under boxes
            return bottom + 4, frame_rect.width() - 8
        box = NodeBox(node.name, QtCore.QRectF(x, y, BOX_WIDTH, box_height), block=is_block, expanded=False)
        box.setBrush(QtGui.QColor(_BLOCK_COLOUR if is_block else _fill_for(node.type)))
        scene.addItem(box)
        _add_text(box, _node_lines(node), PADDING, PADDING,
                  BOX_WIDTH - 2 * PADDING - (MARKER_SIZE if is_block else 0), node.name)
        if is_block:
            _add_marker(box)
        boxes[node.name] = box
        return y + box_height, BOX_WIDTH

    def place_sequence(nodes: list[Any], x: float, y: float) -> tuple[float, float]:
        width = BOX_WIDTH
        for index, child in enumerate(nodes):
            if index:
                _arrow(scene, x + BOX_WIDTH / 2, y, y + GAP)
                y += GAP
            y, child_width = place(child, x, y)
            width = max(width, child_width)
        return y, width

    first_y = input_box.rect().bottom() + GAP
    _arrow(scene, BOX_WIDTH / 2, input_box.rect().bottom(), first_y)
    place_sequence(list(summary.root.children), 0, first_y)
    for box in boxes.values():
        box.set_selected_look(False)
    scene.setSceneRect(scene.itemsBoundingRect().adjusted(-20, -20, 20, 20))
    return boxes


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
