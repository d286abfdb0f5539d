"""Paint a laid-out graph (``viewer.core.diagram.layout.Layout``) onto a QGraphicsScene: boxes, joins, routes, frames.

The layout (computed on the worker) fixes every position; this module only turns it into graphics items, so
the GUI thread never lays anything out. Boxes carry the text of ``box_lines`` in the diagram font the layout
sized them for; a line that the platform's font draws wider than planned is scaled down to fit its box.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

from viewer.core.diagram.colours import (
    BORDER,
    FRAME_BORDER,
    FRAME_FILLS,
    KIND_COLOURS,
    ROUTE,
    SELECTED,
    TEXT,
    TRAINING,
    fill_for,
)
from viewer.core.diagram.layout import (
    PADDING,
    Box,
    Direction,
    FrameBox,
    Layout,
    Route,
    box_lines,
    format_count,
    join_symbol,
)
from viewer.core.graph.dataflow import ViewNode, format_shape
from viewer.core.progress import Job, Progress, run_job
from viewer.gui.widgets.architecture.format import (
    format_field,
    format_hyper,
    format_macs,
)

__all__ = [
    "FONT_PIXELS",
    "FrameItem",
    "JoinItem",
    "NodeItem",
    "RouteItem",
    "SceneItems",
    "draw_layout",
    "drawing_steps",
    "item_key",
]

FONT_PIXELS = 10  # the size the layout's CHAR_WIDTH and LINE_HEIGHT were measured for
FRAME_LABEL_PIXELS = 10

# Fill colour by layer kind (first matching word of the type name), so that a glance shows the rhythm of
# convolution / normalisation / activation / pooling in a network.
_BORDER = QtGui.QColor(BORDER)
_SELECTED = QtGui.QColor(SELECTED)
_TRAINING = QtGui.QColor(TRAINING)
_ROUTE = QtGui.QColor(ROUTE)
_FRAME_BORDER = QtGui.QColor(FRAME_BORDER)
_ARROW = 7.0  # arrowhead length


@functools.cache  # one font object per style: a diagram has hundreds of lines of text
def _font(bold: bool = False, italic: bool = False, pixels: int = FONT_PIXELS) -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPixelSize(pixels)
    font.setBold(bold)
    font.setItalic(italic)
    return font


def _tooltip(node: ViewNode, note: str | None = None) -> str:
    """Everything about a box, the note (why a head is training only; ``note`` in place of the node's) first."""
    lines = [f"<b>{node.id}</b> — {node.type}"]
    note = node.note if note is None else note
    if note:
        lines.append(f"<i>{note}</i>")
    hyper = format_hyper(node.hyper, limit=12)
    if hyper:
        lines.append(hyper)
    if node.in_shapes:
        lines.append("in " + ", ".join(format_shape(shape) for shape in node.in_shapes))
    lines.append(f"out {format_shape(node.shape)}")
    if node.params or node.macs:
        lines.append(f"{format_count(node.params)} params · {format_macs(node.macs)}")
    if node.receptive_field is not None:
        lines.append(f"receptive field {format_field(node.receptive_field)}")
    if node.kind == "block":
        lines.append("Double-click or + to open it.")
    return "<br>".join(lines)


KEY = 0  # ``QGraphicsItem.data`` slot naming what a box or frame item stands for: "box:<view id>", "frame:<name>"


def item_key(item: QtWidgets.QGraphicsItem | None) -> tuple[str, str] | None:
    """("box", view id) or ("frame", block name) of a scene item or of the box/frame it is drawn in; None for
    routes and anything else.

    Every part of a box or frame carries its key itself: ``parentItem()`` on a scene-made top-level item makes
    PySide 6 crash later, when the scene is deleted (seen with PySide6 6.11.3).
    """
    key = None if item is None else item.data(KEY)
    if isinstance(key, str) and key:
        kind, _, name = key.partition(":")
        return kind, name
    return None


def _pen(colour: QtGui.QColor | str, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QtGui.QPen:
    pen = QtGui.QPen(QtGui.QColor(colour), width)
    pen.setStyle(style)
    return pen


def _add_label(
    scene: QtWidgets.QGraphicsScene, text: str, font: QtGui.QFont, parent: QtWidgets.QGraphicsItem
) -> QtWidgets.QGraphicsSimpleTextItem:
    item = scene.addSimpleText(text, font)
    item.setParentItem(parent)
    item.setData(KEY, parent.data(KEY))
    return item


# Every graphics item here is made by the scene (``scene.addRect``...), never by a Python subclass: Qt then
# paints, indexes and hit-tests it without calling into Python. A Python-made item makes Qt take the GIL at
# its first paint, bounding-rect and shape calls, and while the worker runs Python (fx tracing, summaries) each
# of those waits for it: drawing ResNet-18's diagram took 40 ms instead of 11 (``viewer bench``: the
# 200-switch stall). These classes are plain records around their items.
class _Drawn:
    """What the records share: the item, and the item's own methods that callers and tests read."""

    item: QtWidgets.QAbstractGraphicsShapeItem

    def sceneBoundingRect(self) -> QtCore.QRectF:
        return self.item.sceneBoundingRect()

    def pen(self) -> QtGui.QPen:
        return self.item.pen()

    def toolTip(self) -> str:
        return self.item.toolTip()


class _Box(_Drawn):
    node: ViewNode

    @property
    def view_id(self) -> str:
        return self.node.id


class NodeItem(_Box):
    """The box of one call, the input, or a collapsed block (drawn as a stack of cards)."""

    def __init__(
        self,
        scene: QtWidgets.QGraphicsScene,
        node: ViewNode,
        box: Box,
        note: str | None = None,
        direction: Direction = "TB",
    ) -> None:
        self.node = node
        self.direction = direction  # the layout's: its lines are broken as the layout sized the box
        self.item = scene.addRect(QtCore.QRectF(0, 0, box.w, box.h))
        self.item.setPos(box.x, box.y)
        self.item.setZValue(10)
        self.item.setBrush(QtGui.QColor(fill_for(node)))
        self.item.setToolTip(_tooltip(node, note))
        self.item.setData(KEY, f"box:{node.id}")
        if node.kind == "block":
            # Cards behind the box say "there is more inside" without a marker eating into the text.
            for offset in (4.0, 2.0):
                card = scene.addRect(
                    QtCore.QRectF(offset, offset, box.w, box.h),
                    _pen(_BORDER, 0.8),
                    QtGui.QColor(KIND_COLOURS["block"]).darker(108),
                )
                card.setParentItem(self.item)
                card.setData(KEY, self.item.data(KEY))
                card.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self._add_text(scene, box)
        self.set_selected_look(False)

    def _add_text(self, scene: QtWidgets.QGraphicsScene, box: Box) -> None:
        lines = box_lines(self.node, self.direction)
        available = box.w - 2 * PADDING + 4  # the layout's estimate has a few units of slack
        line_height = (box.h - 2 * PADDING) / max(len(lines), 1)
        for index, text in enumerate(lines):
            training = self.node.training_only and text == "training only"
            item = _add_label(
                scene, text, _font(bold=index == 0 and self.node.kind != "input", italic=training), self.item
            )
            if training:
                item.setBrush(_TRAINING)
            bounds = item.boundingRect()
            scale = min(1.0, available / bounds.width()) if bounds.width() else 1.0
            item.setScale(scale)
            item.setPos(
                (box.w - bounds.width() * scale) / 2,
                PADDING + index * line_height + (line_height - bounds.height() * scale) / 2,
            )

    def set_selected_look(self, selected: bool) -> None:
        colour = _SELECTED if selected else (_TRAINING if self.node.training_only else _BORDER)
        dashed = self.node.training_only and not selected
        self.item.setPen(
            _pen(colour, 3 if selected else 1.2, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        )


class JoinItem(_Box):
    """A round join: ⊕-like "+" for a sum (ResNet's skip), "C" for a concatenation (Inception's four branches)."""

    def __init__(self, scene: QtWidgets.QGraphicsScene, node: ViewNode, box: Box) -> None:
        self.node = node
        self.item = scene.addEllipse(QtCore.QRectF(0, 0, box.w, box.h))
        self.item.setPos(box.x, box.y)
        self.item.setZValue(10)
        self.item.setBrush(QtGui.QColor(KIND_COLOURS["join"]))
        self.item.setData(KEY, f"box:{node.id}")
        symbol = _add_label(scene, join_symbol(node), _font(bold=True, pixels=13), self.item)
        bounds = symbol.boundingRect()
        symbol.setPos((box.w - bounds.width()) / 2, (box.h - bounds.height()) / 2)
        self.item.setToolTip(_tooltip(node))
        self.set_selected_look(False)

    def set_selected_look(self, selected: bool) -> None:
        self.item.setPen(_pen(_SELECTED if selected else _BORDER, 3 if selected else 1.4))


class RouteItem(_Drawn):
    """One edge as a polyline; hovering it tells the tensor's shape.

    The tooltip sits on an invisible outline of the line, 6 px wide, with the line and its arrowhead drawn as
    its children: a path item's own shape is the filled polygon, which would take the hover and the clicks
    meant for the boxes and frames it encloses.
    """

    def __init__(self, scene: QtWidgets.QGraphicsScene, route: Route) -> None:
        self.route = route
        path = QtGui.QPainterPath(QtCore.QPointF(*route.points[0]))
        for x, y in route.points[1:-1]:
            path.lineTo(x, y)
        end_x, end_y = route.points[-1]
        before_x, before_y = route.points[-2] if len(route.points) > 1 else (end_x, end_y - 1)
        angle = math.atan2(end_y - before_y, end_x - before_x)
        # The line stops at the arrowhead's base, so that its width does not blunt the tip.
        path.lineTo(end_x - 0.8 * _ARROW * math.cos(angle), end_y - 0.8 * _ARROW * math.sin(angle))
        outline = QtGui.QPainterPathStroker(QtGui.QPen(Qt.GlobalColor.black, 6)).createStroke(path)
        self.item = scene.addPath(outline, QtGui.QPen(Qt.PenStyle.NoPen), QtGui.QBrush(Qt.BrushStyle.NoBrush))
        self.item.setZValue(5)
        self.item.setToolTip(f"{route.src} → {route.dst}<br>{format_shape(route.shape)}")
        colour = _TRAINING if route.training_only else _ROUTE
        line = scene.addPath(
            path, _pen(colour, 1.3, Qt.PenStyle.DashLine if route.training_only else Qt.PenStyle.SolidLine)
        )
        line.setParentItem(self.item)
        head = QtGui.QPolygonF(
            [
                QtCore.QPointF(end_x, end_y),
                QtCore.QPointF(end_x - _ARROW * math.cos(angle - 0.4), end_y - _ARROW * math.sin(angle - 0.4)),
                QtCore.QPointF(end_x - _ARROW * math.cos(angle + 0.4), end_y - _ARROW * math.sin(angle + 0.4)),
            ]
        )
        arrow = scene.addPolygon(head, _pen(colour, 1), QtGui.QColor(colour))
        arrow.setParentItem(self.item)


class FrameItem(_Drawn):
    """An expanded block: a labelled frame behind its members (double-click closes it)."""

    def __init__(self, scene: QtWidgets.QGraphicsScene, frame: FrameBox, depth: int, note: str = "") -> None:
        self.frame = frame
        self.item = scene.addRect(
            QtCore.QRectF(0, 0, frame.w, frame.h),
            _pen(_TRAINING if frame.training_only else _FRAME_BORDER, 1, Qt.PenStyle.DashLine),
            QtGui.QColor(FRAME_FILLS[min(depth, len(FRAME_FILLS) - 1)]),
        )
        self.item.setPos(frame.x, frame.y)
        self.item.setZValue(depth)
        self.item.setData(KEY, f"frame:{frame.name}")
        # The layout's label, as the SVG export draws it: already relative to the frame around ("branch2.0
        # (BasicConv2d)" inside inception4a.branch2). Shortening it again here garbled it ("inception4a.branch2.0d)").
        label = frame.label + ("  · training only" if frame.training_only else "")
        self.label = text = _add_label(scene, label, _font(bold=True, pixels=FRAME_LABEL_PIXELS), self.item)
        text.setBrush(_TRAINING if frame.training_only else QtGui.QColor(TEXT))
        width = text.boundingRect().width()
        if width > frame.w - 10:
            text.setScale((frame.w - 10) / width)
        text.setPos(5, 2)
        tip = f"<b>{frame.label}</b>" + (f"<br><i>{note}</i>" if note else "")
        self.item.setToolTip(tip + "<br>Double-click the frame or press − on a box inside to close it.")

    @property
    def name(self) -> str:
        return self.frame.name


@dataclass
class SceneItems:
    """What ``draw_layout`` put on the scene, by view id (boxes and joins) and by block name (frames)."""

    nodes: dict[str, NodeItem | JoinItem] = field(default_factory=dict)
    frames: dict[str, FrameItem] = field(default_factory=dict)
    routes: list[RouteItem] = field(default_factory=list)


BOXES_PER_STEP = 12  # boxes (with their routes' share) made per step of ``drawing_steps``: a few ms each


def drawing_steps(
    scene: QtWidgets.QGraphicsScene, layout: Layout, notes: dict[str, str] | None = None
) -> Job[SceneItems]:
    """Empty ``scene`` and draw ``layout`` on it a few boxes at a time (progress between), returning the items.

    MobileNetV2's diagram is about 230 items, 15 ms of the GUI thread at once (35 ms while the worker runs
    Python); in steps, the window answers in between (``viewer bench``: the 200-switch stall).
    """
    scene.clear()
    scene.setSceneRect(QtCore.QRectF(0, 0, layout.width, layout.height))
    items = SceneItems()
    notes = notes or {}
    for frame in layout.frames:
        items.frames[frame.name] = FrameItem(scene, frame, frame.name.count("."), notes.get(frame.name, ""))
    total = len(layout.routes) + 2 * len(layout.view.nodes)  # a route is about half a box's work
    for index, route in enumerate(layout.routes, start=1):
        items.routes.append(RouteItem(scene, route))
        if index % (2 * BOXES_PER_STEP) == 0:
            yield Progress(index, total, "Drawing the diagram")
    yield Progress(len(layout.routes), total, "Drawing the diagram")
    for index, node in enumerate(layout.view.nodes, start=1):
        box = layout.boxes[node.id]
        if node.kind == "join":
            items.nodes[node.id] = JoinItem(scene, node, box)
        else:  # a closed block's box says what its frame would (``notes``: the lecture's formula, for one)
            note = notes.get(node.id) if node.kind == "block" else None
            items.nodes[node.id] = NodeItem(scene, node, box, note, layout.direction)
        if index % BOXES_PER_STEP == 0 and index < len(layout.view.nodes):
            yield Progress(len(layout.routes) + 2 * index, total, "Drawing the diagram")
    return items


def draw_layout(scene: QtWidgets.QGraphicsScene, layout: Layout, notes: dict[str, str] | None = None) -> SceneItems:
    """Empty ``scene`` and draw ``layout`` on it at once; ``notes`` gives a frame's note by block name (tooltips)."""
    return run_job(drawing_steps(scene, layout, notes))
