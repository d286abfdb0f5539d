"""A laid-out graph view: boxes, edge routes and frames in drawing units (plain Python, shared by GUI and SVG).

``viewer.engine.layout.layered.layout_view`` computes a :class:`Layout` from a
:class:`viewer.core.graph.dataflow.GraphView`; the GUI paints it and ``viewer.core.diagram.svg`` writes it, so the
app and ``viewer graph --svg`` draw the same picture. Coordinates grow right (x) and down (y); a box's (x, y) is its
top-left corner. The data flows down (``"TB"``, the lecture's figures) or to the right (``"LR"``: a deep, narrow
network such as GoogLeNet then fits a wide screen at a readable size).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from viewer.core.graph.dataflow import GraphView, HyperValue, Shape, ViewNode, format_shape

__all__ = [
    "CHAR_WIDTH",
    "DIRECTIONS",
    "JOIN_SIZE",
    "LINE_HEIGHT",
    "Box",
    "Direction",
    "FrameBox",
    "Layout",
    "Route",
    "box_lines",
    "box_size",
    "direction_of",
    "format_count",
    "join_symbol",
]

CHAR_WIDTH = 6.6  # average advance of the diagram font (10 px sans) per character, in drawing units
LINE_HEIGHT = 13.0
PADDING = 6.0
JOIN_SIZE = 22.0  # diameter of the round ⊕ / concatenation joins

Direction = Literal["TB", "LR"]  # top to bottom, left to right: where the data flows
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)


@dataclass(frozen=True)
class Box:
    """Where one view node is drawn."""

    id: str
    x: float
    y: float
    w: float
    h: float
    rank: int  # layer of the layered drawing, 0 at the top (at the left when the data flows left to right)

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass(frozen=True)
class Route:
    """One edge as a polyline from the bottom of ``src`` to the top of ``dst`` (from its right side to the left
    side of ``dst`` when the data flows left to right)."""

    src: str
    dst: str
    points: tuple[tuple[float, float], ...]
    shape: Shape | None
    training_only: bool = False


@dataclass(frozen=True)
class FrameBox:
    """An expanded block drawn as a labelled frame behind its members."""

    name: str
    label: str
    x: float
    y: float
    w: float
    h: float
    training_only: bool = False


@dataclass
class Layout:
    """A whole drawing: the view it shows, one box per view node, one route per edge, frames, overall size, and
    the direction the data flows in."""

    view: GraphView
    boxes: dict[str, Box]
    routes: list[Route]
    frames: list[FrameBox] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    direction: Direction = "TB"


def direction_of(text: str) -> Direction:
    """``"TB"`` or ``"LR"`` from what a user or a settings file says (any case); anything else is ``"TB"``."""
    upper = text.strip().upper()
    return "LR" if upper == "LR" else "TB"


def format_count(count: float | int | None) -> str:
    """``61.1M``, ``9.4k``, ``120``."""
    if count is None:
        return "—"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= scale:
            return f"{count / scale:.3g}{suffix}"
    return f"{count:g}"


def _pair_text(value: HyperValue | None) -> str:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        value = value[0]
    if isinstance(value, tuple):
        return "×".join(map(str, value))
    return "" if value is None else str(value)


def _describe(node: ViewNode) -> tuple[str, str]:
    """Type and key hyper-parameters: (``Conv2d``, ``3×3/2 64→128 g=32``), (``Bottleneck``, ``""``)."""
    hyper = node.hyper
    parts = []
    kernel = _pair_text(hyper.get("kernel_size"))
    if kernel:
        size = kernel if "×" in kernel else f"{kernel}×{kernel}"
        stride = _pair_text(hyper.get("stride"))
        parts.append(size + (f"/{stride}" if stride and stride != "1" else ""))
    if "in_channels" in hyper and "out_channels" in hyper:
        parts.append(f"{hyper['in_channels']}→{hyper['out_channels']}")
    elif "in_features" in hyper and "out_features" in hyper:
        parts.append(f"{hyper['in_features']}→{hyper['out_features']}")
    groups = hyper.get("groups")
    if isinstance(groups, int) and groups > 1:
        parts.append(f"g={groups}")
    return node.type, " ".join(parts)


def join_symbol(node: ViewNode) -> str:
    """What a round join shows: ⊕ for a sum, ⊗ for a product, C for a concatenation."""
    return {"add": "+", "iadd": "+", "sub": "−", "mul": "×", "imul": "×", "matmul": "@"}.get(node.type, "C")


def box_lines(node: ViewNode, direction: Direction = "TB") -> list[str]:
    """The text of a box, line by line: name, type and hyper-parameters (``Conv2d 3×3/2 64→128 g=32``, ``MaxPool2d
    3×3/2``, ``Bottleneck``), output shape, params and MACs.

    Left to right, the type and its hyper-parameters, and the params and the MACs, take a line each: a box's
    width adds to the drawing's length there (a chain of boxes is as long as their widths added), its height
    does not.
    """
    if node.kind == "join":
        return [join_symbol(node)]
    if node.kind == "input":
        return ["input", format_shape(node.shape)]
    kind, hyper = _describe(node)
    described = [kind, hyper] if direction == "LR" and hyper else [f"{kind} {hyper}".rstrip()]
    lines = [node.label, *described, format_shape(node.shape)]
    costs = []
    if node.params:
        costs.append(f"{format_count(node.params)} params")
    if node.macs:
        costs.append(f"{format_count(node.macs)} MACs")
    if costs and direction == "LR":
        lines.extend(costs)
    elif costs:
        lines.append(" · ".join(costs))
    if node.training_only:
        lines.append("training only")
    return lines


def box_size(node: ViewNode, direction: Direction = "TB") -> tuple[float, float]:
    """Width and height a box needs for :func:`box_lines` (joins are small circles)."""
    if node.kind == "join":
        return JOIN_SIZE, JOIN_SIZE
    lines = box_lines(node, direction)
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * PADDING
    return max(width, 60.0), len(lines) * LINE_HEIGHT + 2 * PADDING
