"""Layered top-down layout of a (partly collapsed) graph view, with grandalf's Sugiyama layout.

grandalf ranks the nodes (longest path from the input), inserts a dummy vertex wherever an edge spans several
ranks, orders each rank to reduce crossings and assigns coordinates. The dummies are laid out like small boxes, so
a long edge (a ResNet skip, an auxiliary head's branch) is routed through free space beside the boxes it bypasses,
never through them; parallel branches (Inception's four) land side by side on the same rank. Pure Python: it runs
on the worker, and the same layout feeds the GUI and the SVG export.
"""

from __future__ import annotations

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from viewer.core.graph import GraphView
from viewer.core.layout import Box, FrameBox, Layout, Route, box_size

__all__ = ["MARGIN", "layout_view"]

MARGIN = 24.0
X_SPACE = 18.0
Y_SPACE = 26.0
FRAME_PAD = 8.0
FRAME_LABEL = 14.0
COMPONENT_GAP = 60.0


class _VertexView:
    """grandalf's per-vertex drawing record: size in, centre out."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = list(points)


def layout_view(view: GraphView) -> Layout:
    """Boxes, routes and frames for ``view``; the same view always gives the same drawing."""
    vertices = {node.id: Vertex(node.id) for node in view.nodes}
    for node in view.nodes:
        vertices[node.id].view = _VertexView(*box_size(node))
    edges = []
    for edge in view.edges:
        grandalf_edge = Edge(vertices[edge.src], vertices[edge.dst])
        grandalf_edge.view = _EdgeView()
        edges.append(grandalf_edge)
    graph = Graph(list(vertices.values()), edges)
    offset_x = 0.0
    centres: dict[str, tuple[float, float]] = {}
    ranks: dict[str, int] = {}
    paths: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for component in graph.C:
        sugiyama = SugiyamaLayout(component)
        sugiyama.xspace, sugiyama.yspace = X_SPACE, Y_SPACE
        roots = [v for v in component.sV if not v.e_in()]
        sugiyama.init_all(roots=roots)
        sugiyama.draw(3)
        xs = [v.view.xy[0] - v.view.w / 2 for v in component.sV]
        shift = offset_x - min(xs)
        right = offset_x
        for vertex in component.sV:
            x, y = vertex.view.xy
            centres[vertex.data] = (x + shift, y)
            ranks[vertex.data] = sugiyama.grx[vertex].rank
            right = max(right, x + shift + vertex.view.w / 2)
        for edge in component.sE:
            points = [(x + shift, y) for x, y in edge.view.points]
            paths[(edge.v[0].data, edge.v[1].data)] = points
        offset_x = right + COMPONENT_GAP
    return _assemble(view, centres, ranks, paths)


def _assemble(
    view: GraphView,
    centres: dict[str, tuple[float, float]],
    ranks: dict[str, int],
    paths: dict[tuple[str, str], list[tuple[float, float]]],
) -> Layout:
    boxes = {}
    for node in view.nodes:
        w, h = box_size(node)
        cx, cy = centres[node.id]
        boxes[node.id] = Box(node.id, cx - w / 2, cy - h / 2, w, h, ranks[node.id])
    training = {node.id for node in view.nodes if node.training_only}
    routes = []
    for edge in view.edges:
        src, dst = boxes[edge.src], boxes[edge.dst]
        middle = paths.get((edge.src, edge.dst), [])[1:-1]
        points = [(src.center[0], src.y + src.h), *middle, (dst.center[0], dst.y)]
        routes.append(Route(edge.src, edge.dst, tuple(points), edge.shape, edge.dst in training))
    frames = _frames(view, boxes)
    left = min([b.x for b in boxes.values()] + [f.x for f in frames], default=0.0)
    top = min([b.y for b in boxes.values()] + [f.y for f in frames], default=0.0)
    dx, dy = MARGIN - left, MARGIN - top
    boxes = {key: Box(b.id, b.x + dx, b.y + dy, b.w, b.h, b.rank) for key, b in boxes.items()}
    routes = [Route(r.src, r.dst, tuple((x + dx, y + dy) for x, y in r.points), r.shape, r.training_only)
              for r in routes]  # fmt: skip
    frames = [FrameBox(f.name, f.label, f.x + dx, f.y + dy, f.w, f.h, f.training_only) for f in frames]
    width = max([b.x + b.w for b in boxes.values()] + [f.x + f.w for f in frames], default=0.0) + MARGIN
    height = max([b.y + b.h for b in boxes.values()] + [f.y + f.h for f in frames], default=0.0) + MARGIN
    return Layout(view=view, boxes=boxes, routes=routes, frames=frames, width=width, height=height)


def _frames(view: GraphView, boxes: dict[str, Box]) -> list[FrameBox]:
    """A frame per expanded block: the bounding box of its members, padded, deeper frames inside outer ones."""
    frames: dict[str, FrameBox] = {}
    for frame in sorted(view.frames, key=lambda f: -f.name.count(".")):  # innermost first
        inside = [boxes[member] for member in frame.members if member in boxes]
        inside_frames = [frames[name] for name in frames if name.startswith(f"{frame.name}.")]
        if not inside:
            continue
        x0 = min([b.x for b in inside] + [f.x for f in inside_frames]) - FRAME_PAD
        y0 = min([b.y for b in inside] + [f.y for f in inside_frames]) - FRAME_PAD - FRAME_LABEL
        x1 = max([b.x + b.w for b in inside] + [f.x + f.w for f in inside_frames]) + FRAME_PAD
        y1 = max([b.y + b.h for b in inside] + [f.y + f.h for f in inside_frames]) + FRAME_PAD
        frames[frame.name] = FrameBox(frame.name, f"{frame.name} ({frame.type})", x0, y0, x1 - x0, y1 - y0,
                                      frame.training_only)  # fmt: skip
    return [frames[f.name] for f in view.frames if f.name in frames]
