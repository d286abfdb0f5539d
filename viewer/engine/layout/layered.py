"""Layered top-down layout of a (partly collapsed) graph view: grandalf's Sugiyama ranks and orders, we place.

1. **Ranks and order** (grandalf): each box gets a rank (the longest path from the input), a dummy vertex is
   inserted wherever an edge spans several ranks, and each rank is ordered to reduce crossings. Training-only
   boxes (GoogLeNet's auxiliary heads) and the edges into them are then moved to the right end of their ranks,
   off the main path.
2. **x** (here): a few sweeps down and up, each rank solved exactly: every box as close as possible (least
   squares) to the mean of its neighbours in the rank above (below), boxes kept in order and apart (pool
   adjacent violators). Two weights make it read like the lecture's figures:

   - an edge that *bypasses* the main path (a ResNet shortcut, a projection branch, an auxiliary head: an edge
     that could stretch over ``MAIN_SLACK`` more ranks) does not pull the box at its main-path end, so the
     residual branch stays a straight column, the ⊕ sits on it and the shortcut runs beside;
   - boxes on a longest path are stiff, side branches less so and dummies hardly at all: where they compete for
     a place, the shortcut corridor moves aside, never the main column. Balanced forks (Inception's four
     branches, whose lengths differ by at most one rank) pull equally, so the module is centred under its input.
3. **y** (here): one band per rank, as tall as its tallest box; the gap between two bands grows by the frame
   borders and labels that open or close there, so a frame never covers the boxes above or below it.
4. **Routes**: vertical inside the bands (at the box's centre, or through the corridor a dummy keeps free),
   straight across the gaps between bands, where no box is: a route never crosses a box.

Frames (expanded blocks) are the bounding boxes of their members, including the corridors of the edges that
run inside them (the shortcut of a residual block), padded; sibling frames are kept apart by the padding.

Left to right (``direction="LR"``), the same steps lay out the drawing turned a quarter: every box is placed
with its width and height swapped, and the result is mirrored on the diagonal (x ↔ y), so that ranks become
columns, routes leave a box's right side and enter the next one's left side, and a frame's label (written above
it in both directions) takes room along a rank rather than between ranks.
Pure Python and deterministic (the same view and direction give the same drawing); it runs on the worker, and
the same layout feeds the GUI and the SVG export.
"""

from __future__ import annotations

from viewer.core.diagram.layout import Box, Direction, FrameBox, Layout, Route, box_size
from viewer.core.graph.dataflow import GraphEdge, GraphView, ViewFrame
from viewer.engine.layout.order import components, frame_members, rank_and_order
from viewer.engine.layout.parts import (
    COMPONENT_GAP,
    FRAME_LABEL,
    FRAME_PAD,
    MARGIN,
    Part,
    Slot,
)
from viewer.engine.layout.place import assign_x, assign_y, separate_frames

__all__ = ["MARGIN", "layout_view"]


def layout_view(view: GraphView, direction: Direction = "TB") -> Layout:
    """Boxes, routes and frames for ``view``, the data flowing down (``"TB"``) or to the right (``"LR"``); the same
    view and direction always give the same drawing."""
    across = direction == "LR"
    sizes = {node.id: box_size(node, direction) for node in view.nodes}
    if across:  # laid out top-down with each box turned, then mirrored on the diagonal
        sizes = {node_id: (h, w) for node_id, (w, h) in sizes.items()}
    training = {node.id for node in view.nodes if node.training_only}
    inputs = {node.id for node in view.nodes if node.kind == "input"}
    members = frame_members(view)
    boxes: dict[str, Box] = {}
    routes: dict[int, Route] = {}
    corridors: dict[str, list[tuple[float, float, float]]] = {}  # frame → (x0, x1, y) of corridors inside it
    offset_x = 0.0
    for ids, edge_indices in components(view):
        part = rank_and_order(ids, [(k, view.edges[k]) for k in edge_indices], sizes, training, members, inputs)
        part.label_across = across
        assign_x(part)
        separate_frames(part)
        assign_y(part, sizes, members)
        left = min(slot.x - slot.w / 2 for layer in part.layers for slot in layer)
        shift = offset_x - left
        right = offset_x
        for node_id, slot in part.slots.items():
            w, h = sizes[node_id]
            x = slot.x + shift - w / 2
            y = part.band_top[slot.rank] + (part.band_height[slot.rank] - h) / 2
            boxes[node_id] = Box(node_id, x, y, w, h, slot.rank)
            right = max(right, x + w)
        for layer in part.layers:
            for slot in layer:
                if slot.id is None:
                    right = max(right, slot.x + shift + slot.w / 2)
                    y = part.band_top[slot.rank] + part.band_height[slot.rank] / 2
                    for frame in slot.frames:
                        corridors.setdefault(frame, []).append(
                            (slot.x + shift - slot.w / 2, slot.x + shift + slot.w / 2, y)
                        )
        for k in edge_indices:
            routes[k] = _route(
                view.edges[k], part.chains[k], part, boxes, shift, k in part.inverted, view.edges[k].dst in training
            )
        offset_x = right + COMPONENT_GAP
    ordered = [routes[k] for k in range(len(view.edges))]
    lanes = {frame: [(x0, y, x1, y) for x0, x1, y in found] for frame, found in corridors.items()}
    if across:
        boxes, ordered, lanes = _turned(boxes, ordered, lanes)
    frames = _frames(view, boxes, lanes)
    return _normalised(view, boxes, ordered, frames, direction)


# --- 4. routes, frames ------------------------------------------------------------------------------------------


def _route(
    edge: GraphEdge,
    chain: list[Slot],
    part: Part,
    boxes: dict[str, Box],
    shift: float,
    inverted: bool,
    training: bool,
) -> Route:
    """Down the bands (at a box's centre or through a corridor), straight across the gaps between them."""
    top, bottom = boxes[chain[0].id or ""], boxes[chain[-1].id or ""]  # the ends of a chain are boxes
    points: list[tuple[float, float]] = [(top.center[0], top.y + top.h)]
    points.append((top.center[0], _band_bottom(part, top.rank)))
    for slot in chain[1:-1]:
        points.append((slot.x + shift, part.band_top[slot.rank]))
        points.append((slot.x + shift, _band_bottom(part, slot.rank)))
    points.append((bottom.center[0], part.band_top[bottom.rank]))
    points.append((bottom.center[0], bottom.y))
    if inverted:
        points.reverse()
    return Route(edge.src, edge.dst, _simplified(points), edge.shape, training)


def _band_bottom(part: Part, r: int) -> float:
    return part.band_top[r] + part.band_height[r]


def _simplified(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Without repeated points and without the middle one of three on a vertical line."""
    kept: list[tuple[float, float]] = []
    for point in points:
        if kept and abs(kept[-1][0] - point[0]) < 1e-6 and abs(kept[-1][1] - point[1]) < 1e-6:
            continue
        if len(kept) >= 2 and abs(kept[-2][0] - kept[-1][0]) < 1e-6 and abs(kept[-1][0] - point[0]) < 1e-6:
            kept[-1] = point
            continue
        kept.append(point)
    return tuple(kept)


Lane = tuple[float, float, float, float]  # a corridor as a line (x0, y0, x1, y1) across a rank


def _turned(
    boxes: dict[str, Box], routes: list[Route], lanes: dict[str, list[Lane]]
) -> tuple[dict[str, Box], list[Route], dict[str, list[Lane]]]:
    """A top-down drawing of turned boxes mirrored on the diagonal (x ↔ y): the left-to-right drawing."""
    boxes = {key: Box(b.id, b.y, b.x, b.h, b.w, b.rank) for key, b in boxes.items()}
    routes = [Route(r.src, r.dst, tuple((y, x) for x, y in r.points), r.shape, r.training_only) for r in routes]
    lanes = {frame: [(y0, x0, y1, x1) for x0, y0, x1, y1 in found] for frame, found in lanes.items()}
    return boxes, routes, lanes


def _frames(view: GraphView, boxes: dict[str, Box], corridors: dict[str, list[Lane]]) -> list[FrameBox]:
    """A frame per expanded block: its members and the corridors inside it, padded; outer frames around inner ones.

    The label is above the frame in both directions.
    """
    frames: dict[str, FrameBox] = {}
    names = {frame.name for frame in view.frames}
    for frame in sorted(view.frames, key=lambda f: -f.name.count(".")):  # innermost first
        inside = [boxes[member] for member in frame.members if member in boxes]
        if not inside:
            continue
        inner = [frames[name] for name in frames if name.startswith(f"{frame.name}.")]
        lanes = corridors.get(frame.name, [])
        x0 = min([b.x for b in inside] + [f.x for f in inner] + [lane[0] for lane in lanes]) - FRAME_PAD
        x1 = max([b.x + b.w for b in inside] + [f.x + f.w for f in inner] + [lane[2] for lane in lanes]) + FRAME_PAD
        y0 = min([b.y for b in inside] + [f.y for f in inner] + [lane[1] for lane in lanes]) - FRAME_PAD - FRAME_LABEL
        y1 = max([b.y + b.h for b in inside] + [f.y + f.h for f in inner] + [lane[3] for lane in lanes]) + FRAME_PAD
        frames[frame.name] = FrameBox(frame.name, frame_label(frame, names), x0, y0, x1 - x0, y1 - y0,
                                      frame.training_only)  # fmt: skip
    return [frames[f.name] for f in view.frames if f.name in frames]


def frame_label(frame: ViewFrame, names: set[str]) -> str:
    """``inception3a (Inception)``; inside a drawn frame, the name from there on: ``branch2``, ``branch2.0
    (BasicConv2d)``, ``layer1.0 (BasicBlock)`` (a number alone keeps its parent's name); no type for a plain
    Sequential."""
    name = frame.name
    if frame.parent in names:
        name = name[len(frame.parent) + 1 :]
        if name.split(".")[0].isdigit():
            name = f"{frame.parent.rsplit('.', 1)[-1]}.{name}"
    return name if frame.type in ("Sequential", "ModuleList", "ModuleDict") else f"{name} ({frame.type})"


def _normalised(
    view: GraphView, boxes: dict[str, Box], routes: list[Route], frames: list[FrameBox], direction: Direction
) -> Layout:
    """Everything moved so that the drawing starts at (MARGIN, MARGIN).

    Routes may run beside every box (a shortcut's corridor): left of them top-down, above them left to right.
    """
    left = min([b.x for b in boxes.values()] + [f.x for f in frames], default=0.0)
    top = min([b.y for b in boxes.values()] + [f.y for f in frames], default=0.0)
    left = min([left] + [x for route in routes for x, _ in route.points])
    top = min([top] + [y for route in routes for _, y in route.points])
    dx, dy = MARGIN - left, MARGIN - top
    boxes = {key: Box(b.id, b.x + dx, b.y + dy, b.w, b.h, b.rank) for key, b in boxes.items()}
    routes = [Route(r.src, r.dst, tuple((x + dx, y + dy) for x, y in r.points), r.shape, r.training_only)
              for r in routes]  # fmt: skip
    frames = [FrameBox(f.name, f.label, f.x + dx, f.y + dy, f.w, f.h, f.training_only) for f in frames]
    right = max([b.x + b.w for b in boxes.values()] + [f.x + f.w for f in frames]
                + [x for route in routes for x, _ in route.points], default=0.0)  # fmt: skip
    bottom = max([b.y + b.h for b in boxes.values()] + [f.y + f.h for f in frames]
                 + [y for route in routes for _, y in route.points], default=0.0)  # fmt: skip
    return Layout(view=view, boxes=boxes, routes=routes, frames=frames, width=right + MARGIN, height=bottom + MARGIN,
                  direction=direction)  # fmt: skip
