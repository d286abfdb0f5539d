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
Pure Python and deterministic (the same view gives the same drawing); it runs on the worker, and the same layout
feeds the GUI and the SVG export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import DummyVertex, Layer, SugiyamaLayout

from viewer.core.graph import GraphEdge, GraphView, ViewFrame
from viewer.core.layout import Box, FrameBox, Layout, Route, box_size

__all__ = ["MARGIN", "layout_view"]

MARGIN = 24.0
X_SPACE = 18.0  # between two boxes of a rank
DUMMY_WIDTH = 8.0  # the corridor an edge keeps free in each rank it crosses
DUMMY_SPACE = 8.0  # between two corridors
Y_SPACE = 26.0  # between two ranks' bands, where the edges cross over
FRAME_PAD = 8.0
FRAME_LABEL = 14.0
COMPONENT_GAP = 60.0
ORDER_ROUNDS = 3  # grandalf's crossing-reduction rounds (down and up)
ORDER_BUDGET = 4000  # slots (boxes and corridors): above it, one round (DenseNet's hundreds of concatenation edges)
SWEEPS = 7  # coordinate sweeps: down, up, ..., down
MAIN_SLACK = 2  # an edge that could stretch over this many more ranks bypasses the main path

# How firmly a slot holds its place when neighbours compete for it: each level yields (almost) entirely to the one
# above, so that the main column stays straight to a fraction of a unit.
_STIFF_MAIN = 1e8  # a box on a longest path of its component
_STIFF_SIDE = 1e4  # a box on a branch at least MAIN_SLACK ranks shorter
_STIFF_TRAINING = 1.0  # an auxiliary head
_STIFF_DUMMY = 1e-4  # an edge's corridor


class _Size:
    """grandalf's per-vertex view (it reads ``w`` and ``h``)."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _Layers(list):
    """grandalf's list of layers, where a layer's setup finds its own rank by identity.

    ``Layer.setup`` calls ``layers.index(layer)``, and a Layer compares by content: quadratic in the number of
    ranks (a tenth of a second for ResNet-152 fully expanded).
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        super().__init__(layers)
        self._rank = {id(layer): rank for rank, layer in enumerate(self)}

    def index(self, layer: Layer, *args: object) -> int:  # type: ignore[override]
        return self._rank[id(layer)]


@dataclass(eq=False)
class _Slot:
    """One place in a rank: a box (``id``) or the corridor of a long edge (``id`` None, ``edge`` its index)."""

    id: str | None
    edge: int
    rank: int
    w: float
    stiffness: float
    frames: frozenset[str]
    x: float = 0.0
    up: list[tuple[_Slot, float]] = field(default_factory=list)
    down: list[tuple[_Slot, float]] = field(default_factory=list)


@dataclass
class _Part:
    """One connected component, laid out on its own."""

    layers: list[list[_Slot]]
    slots: dict[str, _Slot]
    chains: dict[int, list[_Slot]]  # edge index → its slots from the upper end to the lower end
    inverted: set[int]  # edges drawn upwards (only in a cyclic view)
    band_top: list[float] = field(default_factory=list)
    band_height: list[float] = field(default_factory=list)


def layout_view(view: GraphView) -> Layout:
    """Boxes, routes and frames for ``view``; the same view always gives the same drawing."""
    sizes = {node.id: box_size(node) for node in view.nodes}
    training = {node.id for node in view.nodes if node.training_only}
    inputs = {node.id for node in view.nodes if node.kind == "input"}
    members = _frame_members(view)
    boxes: dict[str, Box] = {}
    routes: dict[int, Route] = {}
    corridors: dict[str, list[tuple[float, float, float]]] = {}  # frame → (x0, x1, y) of corridors inside it
    offset_x = 0.0
    for ids, edge_indices in _components(view):
        part = _rank_and_order(ids, [(k, view.edges[k]) for k in edge_indices], sizes, training, members, inputs)
        _assign_x(part)
        _separate_frames(part)
        _assign_y(part, sizes, members)
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
    frames = _frames(view, boxes, corridors)
    return _normalised(view, boxes, [routes[k] for k in range(len(view.edges))], frames)


# --- 1. ranks and order (grandalf) ------------------------------------------------------------------------------


def _components(view: GraphView) -> list[tuple[list[str], list[int]]]:
    """Connected components: (node ids in view order, edge indices), in the order of their first node."""
    parent = {node.id: node.id for node in view.nodes}

    def find(node_id: str) -> str:
        while parent[node_id] != node_id:
            parent[node_id] = parent[parent[node_id]]
            node_id = parent[node_id]
        return node_id

    for edge in view.edges:
        a, b = find(edge.src), find(edge.dst)
        if a != b:
            parent[b] = a
    groups: dict[str, tuple[list[str], list[int]]] = {}
    for node in view.nodes:
        groups.setdefault(find(node.id), ([], []))[0].append(node.id)
    for index, edge in enumerate(view.edges):
        groups[find(edge.src)][1].append(index)
    return list(groups.values())


def _frame_members(view: GraphView) -> dict[str, frozenset[str]]:
    """View id → the names of the frames drawn around it."""
    inside: dict[str, set[str]] = {node.id: set() for node in view.nodes}
    for frame in view.frames:
        for member in frame.members:
            if member in inside:
                inside[member].add(frame.name)
    return {node_id: frozenset(names) for node_id, names in inside.items()}


def _acyclic(ids: list[str], edges: list[tuple[int, GraphEdge]]) -> bool:
    incoming = {node_id: 0 for node_id in ids}
    outgoing: dict[str, list[str]] = {node_id: [] for node_id in ids}
    for _, edge in edges:
        incoming[edge.dst] += 1
        outgoing[edge.src].append(edge.dst)
    ready = [node_id for node_id in ids if not incoming[node_id]]
    seen = 0
    while ready:
        node_id = ready.pop()
        seen += 1
        for successor in outgoing[node_id]:
            incoming[successor] -= 1
            if not incoming[successor]:
                ready.append(successor)
    return seen == len(ids)


def _rank_and_order(
    ids: list[str],
    edges: list[tuple[int, GraphEdge]],
    sizes: dict[str, tuple[float, float]],
    training: set[str],
    members: dict[str, frozenset[str]],
    inputs: set[str],
) -> _Part:
    vertices = {node_id: Vertex(node_id) for node_id in ids}
    for node_id, vertex in vertices.items():
        vertex.view = _Size(*sizes[node_id])
    core = _core(vertices, [Edge(vertices[edge.src], vertices[edge.dst], data=k) for k, edge in edges])
    sugiyama = SugiyamaLayout(core)
    sugiyama.dw, sugiyama.dh = DUMMY_WIDTH, 0.0
    targets = {edge.dst for _, edge in edges}
    roots = [vertices[node_id] for node_id in ids if node_id not in targets] or [vertices[ids[0]]]
    if _acyclic(ids, edges):
        inverted = []
    else:  # a module called twice around other calls, collapsed: grandalf turns the cycle's feedback edges round
        core.get_scs_with_feedback(roots)
        inverted = [edge for edge in core.sE if edge.feedback]
    # init_all(), with the layers made comparable by identity before their setup.
    sugiyama.alt_e = inverted
    sugiyama.rank_all(roots)
    _rank_late(sugiyama, [vertices[node_id] for node_id in ids if node_id in inputs])
    for edge in core.E():
        sugiyama.setdummies(edge)
    sugiyama.layers = _Layers(sugiyama.layers)
    for layer in sugiyama.layers:
        layer.setup(sugiyama)
    sugiyama.initdone = True
    if len(ids) > 1:
        count = sum(len(layer) for layer in sugiyama.layers)
        for _ in range(ORDER_ROUNDS if count <= ORDER_BUDGET else 1):
            for _ in sugiyama.ordering_step():
                pass

    edge_of = {k: edge for k, edge in edges}
    rank = {vertex.data: sugiyama.grx[vertex].rank for vertex in vertices.values()}
    dummy_edge: dict[DummyVertex, int] = {}
    for grandalf_edge, ctrl in sugiyama.ctrls.items():
        for vertex in ctrl.values():
            if isinstance(vertex, DummyVertex):
                dummy_edge[vertex] = grandalf_edge.data
    spans = _frame_spans(members, rank)
    edge_frames: dict[int, list[tuple[str, int, int]]] = {}
    depth, height = _path_lengths(ids, edges, rank)
    longest = max(depth[i] + height[i] for i in ids)
    floats = {node_id: longest - depth[node_id] - height[node_id] for node_id in ids}  # 0: on a longest path
    part = _Part(layers=[], slots={}, chains={}, inverted={e.data for e in inverted})
    for layer in sugiyama.layers:
        slots = []
        for vertex in layer:
            if isinstance(vertex, DummyVertex):
                k = dummy_edge[vertex]
                edge = edge_of[k]
                r = sugiyama.grx[vertex].rank
                if k not in edge_frames:
                    edge_frames[k] = _edge_frames(members[edge.src] | members[edge.dst], spans)
                frames = frozenset(name for name, low, high in edge_frames[k] if low <= r <= high)
                stiffness = _STIFF_DUMMY / 2 if edge.dst in training or edge.src in training else _STIFF_DUMMY
                slots.append(_Slot(None, k, r, DUMMY_WIDTH, stiffness, frames))
            else:
                node_id = vertex.data
                stiffness = (_STIFF_TRAINING if node_id in training
                             else _STIFF_MAIN if floats[node_id] < MAIN_SLACK else _STIFF_SIDE)  # fmt: skip
                slot = _Slot(node_id, -1, rank[node_id], sizes[node_id][0], stiffness, members[node_id])
                slots.append(slot)
                part.slots[node_id] = slot
        # Auxiliary heads and the edges into them go to the right end of the rank, off the main path.
        side = [s.id in training if s.id is not None else _training_edge(edge_of[s.edge], training) for s in slots]
        if any(side):
            slots = [s for s, off in zip(slots, side) if not off] + [s for s, off in zip(slots, side) if off]
        part.layers.append(slots)
    _connect(part, edges, depth, height, training)
    return part


def _rank_late(sugiyama: SugiyamaLayout, inputs: list[Vertex]) -> None:
    """Rank what the input does not reach (a bias computed from parameters alone: Swin's relative position bias)
    just above where it is used, instead of beside the input at rank 0 with an edge down the whole network."""
    if not inputs:
        return
    reached = set()
    stack = list(inputs)
    while stack:
        vertex = stack.pop()
        if vertex not in reached:
            reached.add(vertex)
            stack.extend(vertex.N(+1))
    grx = sugiyama.grx
    late = [v for layer in sugiyama.layers for v in layer if v not in reached]
    for vertex in sorted(late, key=lambda v: -grx[v].rank):  # users first: they may have moved down already
        below = [grx[user].rank for user in vertex.N(+1)]
        rank = grx[vertex].rank
        if below and min(below) - 1 > rank and len(sugiyama.layers[rank]) > 1:
            sugiyama.layers[rank].remove(vertex)
            grx[vertex].rank = min(below) - 1
            sugiyama.layers[grx[vertex].rank].append(vertex)


def _core(vertices: dict[str, Vertex], edges: list[Edge]) -> graph_core:
    """grandalf's connected graph, built edge by edge.

    ``graph_core(V, E)`` checks its connectivity by comparing each vertex's component as a set: quadratic, a
    seventh of a second for ResNet-152 fully expanded. Adding the edges one by one (each touching a vertex already
    in) builds the same graph in linear time.
    """
    core = graph_core()
    first = next(iter(vertices.values()))
    core.add_single_vertex(first)
    pending = edges
    while pending:
        waiting = []
        for edge in pending:
            if edge.v[0] in core.sV or edge.v[1] in core.sV:
                core.add_edge(edge)
            else:
                waiting.append(edge)
        if len(waiting) == len(pending):
            raise ValueError("the edges of a component do not connect")  # _components() guarantees they do
        pending = waiting
    return core


def _training_edge(edge: GraphEdge, training: set[str]) -> bool:
    return edge.dst in training or edge.src in training


def _frame_spans(members: dict[str, frozenset[str]], rank: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Frame → (first rank, last rank) of its boxes in this component."""
    spans: dict[str, tuple[int, int]] = {}
    for node_id, r in rank.items():
        for frame in members[node_id]:
            low, high = spans.get(frame, (r, r))
            spans[frame] = (min(low, r), max(high, r))
    return spans


def _edge_frames(frames: frozenset[str], spans: dict[str, tuple[int, int]]) -> list[tuple[str, int, int]]:
    """The frames a long edge may run inside, with the ranks they span: those of either end.

    At a rank inside a frame's span its corridor is inside the frame: a residual block's shortcut comes from the
    block above but runs beside the block's own boxes, inside its frame.
    """
    return [(name, *spans[name]) for name in sorted(frames) if name in spans]


def _path_lengths(
    ids: list[str], edges: list[tuple[int, GraphEdge]], rank: dict[str, int]
) -> tuple[dict[str, int], dict[str, int]]:
    """Longest paths, in edges, from an input to each box (depth) and from each box to an output (height).

    Edges that go up (feedback edges of a cyclic view) are left out.
    """
    depth = {node_id: 0 for node_id in ids}
    height = {node_id: 0 for node_id in ids}
    incoming: dict[str, list[str]] = {node_id: [] for node_id in ids}
    outgoing: dict[str, list[str]] = {node_id: [] for node_id in ids}
    for _, edge in edges:
        if rank[edge.dst] > rank[edge.src]:
            incoming[edge.dst].append(edge.src)
            outgoing[edge.src].append(edge.dst)
    order = sorted(ids, key=rank.__getitem__)
    for node_id in order:
        for src in incoming[node_id]:
            depth[node_id] = max(depth[node_id], 1 + depth[src])
    for node_id in reversed(order):
        for dst in outgoing[node_id]:
            height[node_id] = max(height[node_id], 1 + height[dst])
    return depth, height


def _connect(
    part: _Part,
    edges: list[tuple[int, GraphEdge]],
    depth: dict[str, int],
    height: dict[str, int],
    training: set[str],
) -> None:
    """Chain every edge through its corridors and give each end its pull (see the module's docstring)."""
    corridors: dict[int, list[_Slot]] = {}
    for layer in part.layers:
        for slot in layer:
            if slot.id is None:
                corridors.setdefault(slot.edge, []).append(slot)  # layers run top-down: already in rank order
    for k, edge in edges:
        top, bottom = (edge.dst, edge.src) if k in part.inverted else (edge.src, edge.dst)
        chain = [part.slots[top], *corridors.get(k, []), part.slots[bottom]]
        part.chains[k] = chain
        # At a join: does this edge come from much higher up than the others (a shortcut)? At a fork: does it go
        # to a branch much shorter than the main one (a shortcut, a projection, an auxiliary head)?
        main_at_bottom = depth[bottom] - 1 - depth[top] < MAIN_SLACK
        main_at_top = height[top] - 1 - height[bottom] < MAIN_SLACK and not (
            _training_edge(edge, training) and top not in training
        )
        for upper, lower in pairwise(chain):
            upper.down.append((lower, 0.0 if upper is chain[0] and not main_at_top else 1.0))
            lower.up.append((upper, 0.0 if lower is chain[-1] and not main_at_bottom else 1.0))


# --- 2. x ---------------------------------------------------------------------------------------------------------


def _gap(a: _Slot, b: _Slot) -> float:
    """Least distance between the centres of neighbours ``a`` (left) and ``b`` in a rank."""
    space = DUMMY_SPACE if a.id is None and b.id is None else X_SPACE
    return (a.w + b.w) / 2 + space + FRAME_PAD * len(a.frames ^ b.frames)


def _assign_x(part: _Part) -> None:
    layers = part.layers
    gaps = [[_gap(a, b) for a, b in pairwise(layer)] for layer in layers]
    for layer, layer_gaps in zip(layers, gaps):
        x = 0.0
        for index, slot in enumerate(layer):
            slot.x = x - sum(layer_gaps) / 2
            if index < len(layer_gaps):
                x += layer_gaps[index]
    order = list(range(len(layers)))
    for sweep in range(SWEEPS):
        downwards = sweep % 2 == 0
        moved = 0.0
        for r in order[1:] if downwards else reversed(order[:-1]):
            moved = max(moved, _place_rank(layers[r], gaps[r], downwards))
        # Corridors may keep swinging between their two ends; the boxes settle in a few sweeps.
        if downwards and sweep and moved < 0.5:
            break


def _place_rank(layer: list[_Slot], gaps: list[float], downwards: bool) -> float:
    """Solve one rank: least squares to its neighbours' mean, in order and apart. Returns how far a box moved."""
    targets = []
    for slot in layer:
        total = weighted = 0.0
        for other, weight in slot.up if downwards else slot.down:
            total += weight
            weighted += weight * other.x
        targets.append(weighted / total if total else slot.x)
    if len(layer) == 1:
        places = targets
    else:
        places = _ordered_least_squares(targets, [slot.stiffness for slot in layer], gaps)
    moved = 0.0
    for slot, x in zip(layer, places):
        if slot.id is not None:
            moved = max(moved, abs(slot.x - x))
        slot.x = x
    return moved


def _ordered_least_squares(targets: list[float], weights: list[float], gaps: list[float]) -> list[float]:
    """argmin Σ wᵢ(xᵢ − tᵢ)² subject to xᵢ₊₁ − xᵢ ≥ gapᵢ: isotonic regression (pooled adjacent violators)."""
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    pools: list[list[float]] = []  # [total weight, weighted sum, count]
    for target, weight, offset in zip(targets, weights, offsets):
        pools.append([weight, weight * (target - offset), 1])
        while len(pools) > 1 and pools[-2][1] / pools[-2][0] > pools[-1][1] / pools[-1][0]:
            weight_sum, value_sum, count = pools.pop()
            pools[-1][0] += weight_sum
            pools[-1][1] += value_sum
            pools[-1][2] += count
    result = []
    for weight_sum, value_sum, count in pools:
        result.extend([value_sum / weight_sum] * int(count))
    return [value + offset for value, offset in zip(result, offsets)]


def _separate_frames(part: _Part) -> None:
    """Push apart, to the right, frames that overlap a sibling frame or a box outside them.

    The ranks are solved one by one, so a frame wide in one rank (a convolution's box) may reach over its
    neighbour in another rank (a narrow pooling box beside it). Wherever two neighbours in a rank belong to
    different frames, the right-hand frame (or box) moves right until it clears the left-hand one by ``X_SPACE``,
    with everything right of it in every rank it spans and, whole, every frame that this moves a part of (but not
    the frames around both). Everything only moves right, so this ends. An edge's corridor may cross a frame: a
    line over a frame's background hides nothing.
    """
    frames: dict[str, list[_Slot]] = {}
    for layer in part.layers:
        for slot in layer:
            for name in slot.frames:
                frames.setdefault(name, []).append(slot)
    if not frames:
        return
    index = {id(slot): i for layer in part.layers for i, slot in enumerate(layer)}
    children: dict[str, list[str]] = {name: [] for name in frames}
    for name in frames:
        parent = name
        while "." in parent:
            parent = parent.rsplit(".", 1)[0]
            if parent in frames:
                children[parent].append(name)
                break
    extents = _Extents(frames, children)
    pushes = 0
    changed = True
    while changed and pushes < 4 * len(frames) + 8:
        changed = False
        for layer in part.layers:
            for a, b in pairwise(layer):
                distance = _overlap(a, b, extents)
                if distance <= 0.5:
                    continue
                moving = _dragged(a, b, part.layers, frames, index)
                if moving is None:
                    continue  # interleaved with what it should clear: pushing cannot separate them
                for slot in moving:
                    slot.x += distance
                extents.clear()
                pushes += 1
                changed = True


class _Extents(dict):
    """Frame → (left, right) edge, computed when first asked: its slots and inner frames, padded."""

    def __init__(self, frames: dict[str, list[_Slot]], children: dict[str, list[str]]) -> None:
        super().__init__()
        self.frames, self.children = frames, children

    def __missing__(self, name: str) -> tuple[float, float]:
        slots = self.frames[name]
        left = min(slot.x - slot.w / 2 for slot in slots)
        right = max(slot.x + slot.w / 2 for slot in slots)
        for child in self.children[name]:
            child_left, child_right = self[child]
            left, right = min(left, child_left), max(right, child_right)
        self[name] = (left - FRAME_PAD, right + FRAME_PAD)
        return self[name]


def _overlap(a: _Slot, b: _Slot, extents: _Extents) -> float:
    """How far the frame (or box) starting at ``b`` must move right to clear the one ending at ``a`` (≤ 0: clear)."""
    if a.frames == b.frames:
        return 0.0
    ending, opening = a.frames - b.frames, b.frames - a.frames
    if ending:
        right = max(extents[name][1] for name in ending)
    elif a.id is not None:
        right = a.x + a.w / 2
    else:
        return 0.0
    if opening:
        left = min(extents[name][0] for name in opening)
    elif b.id is not None:
        left = b.x - b.w / 2
    else:
        return 0.0
    return right + X_SPACE - left


def _dragged(
    a: _Slot, b: _Slot, layers: list[list[_Slot]], frames: dict[str, list[_Slot]], index: dict[int, int]
) -> list[_Slot] | None:
    """What moves to push ``b``'s frame (or ``b``) right of ``a``'s: None when ``a``'s side would move too."""
    opening = b.frames - a.frames
    pending = [frames[min(opening, key=len)]] if opening else [[b]]
    moving: dict[int, _Slot] = {}
    fixed = {id(slot) for name in a.frames - b.frames for slot in frames[name]} | {id(a)}
    while pending:
        group = pending.pop()
        starts: dict[int, int] = {}
        for member in group:
            starts[member.rank] = min(starts.get(member.rank, len(layers[member.rank])), index[id(member)])
        for rank, start in starts.items():
            for slot in layers[rank][start:]:
                if id(slot) in moving:
                    continue
                if id(slot) in fixed:
                    return None
                moving[id(slot)] = slot
                dragged = slot.frames - a.frames
                if dragged:
                    pending.append(frames[min(dragged, key=len)])
    return list(moving.values())


# --- 3. y ---------------------------------------------------------------------------------------------------------


def _assign_y(part: _Part, sizes: dict[str, tuple[float, float]], members: dict[str, frozenset[str]]) -> None:
    """A band per rank, as tall as its tallest box, after a gap that makes room for the frames opening and closing."""
    ranks = len(part.layers)
    opening, closing = [0] * ranks, [0] * ranks
    rank = {node_id: slot.rank for node_id, slot in part.slots.items()}
    for low, high in _frame_spans({i: members[i] for i in rank}, rank).values():
        opening[low] += 1
        closing[high] += 1
    y = 0.0
    for r, layer in enumerate(part.layers):
        if r:
            y += Y_SPACE + closing[r - 1] * FRAME_PAD
        y += opening[r] * (FRAME_PAD + FRAME_LABEL)
        height = max((sizes[slot.id][1] for slot in layer if slot.id is not None), default=0.0)
        part.band_top.append(y)
        part.band_height.append(height)
        y += height


# --- 4. routes, frames ------------------------------------------------------------------------------------------


def _route(
    edge: GraphEdge,
    chain: list[_Slot],
    part: _Part,
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


def _band_bottom(part: _Part, r: int) -> float:
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


def _frames(
    view: GraphView, boxes: dict[str, Box], corridors: dict[str, list[tuple[float, float, float]]]
) -> list[FrameBox]:
    """A frame per expanded block: its members and the corridors inside it, padded; outer frames around inner ones."""
    frames: dict[str, FrameBox] = {}
    names = {frame.name for frame in view.frames}
    for frame in sorted(view.frames, key=lambda f: -f.name.count(".")):  # innermost first
        inside = [boxes[member] for member in frame.members if member in boxes]
        if not inside:
            continue
        inner = [frames[name] for name in frames if name.startswith(f"{frame.name}.")]
        lanes = corridors.get(frame.name, [])
        x0 = min([b.x for b in inside] + [f.x for f in inner] + [lane[0] for lane in lanes]) - FRAME_PAD
        x1 = max([b.x + b.w for b in inside] + [f.x + f.w for f in inner] + [lane[1] for lane in lanes]) + FRAME_PAD
        y0 = min([b.y for b in inside] + [f.y for f in inner]) - FRAME_PAD - FRAME_LABEL
        y1 = max([b.y + b.h for b in inside] + [f.y + f.h for f in inner]) + FRAME_PAD
        frames[frame.name] = FrameBox(frame.name, _frame_label(frame, names), x0, y0, x1 - x0, y1 - y0,
                                      frame.training_only)  # fmt: skip
    return [frames[f.name] for f in view.frames if f.name in frames]


def _frame_label(frame: ViewFrame, names: set[str]) -> str:
    """``inception3a (Inception)``; inside a drawn frame, the name from there on: ``branch2``, ``branch2.0
    (BasicConv2d)``, ``layer1.0 (BasicBlock)`` (a number alone keeps its parent's name); no type for a plain
    Sequential."""
    name = frame.name
    if frame.parent in names:
        name = name[len(frame.parent) + 1 :]
        if name.split(".")[0].isdigit():
            name = f"{frame.parent.rsplit('.', 1)[-1]}.{name}"
    return name if frame.type in ("Sequential", "ModuleList", "ModuleDict") else f"{name} ({frame.type})"


def _normalised(view: GraphView, boxes: dict[str, Box], routes: list[Route], frames: list[FrameBox]) -> Layout:
    """Everything moved so that the drawing starts at (MARGIN, MARGIN)."""
    left = min([b.x for b in boxes.values()] + [f.x for f in frames], default=0.0)
    top = min([b.y for b in boxes.values()] + [f.y for f in frames], default=0.0)
    left = min([left] + [x for route in routes for x, _ in route.points])
    dx, dy = MARGIN - left, MARGIN - top
    boxes = {key: Box(b.id, b.x + dx, b.y + dy, b.w, b.h, b.rank) for key, b in boxes.items()}
    routes = [Route(r.src, r.dst, tuple((x + dx, y + dy) for x, y in r.points), r.shape, r.training_only)
              for r in routes]  # fmt: skip
    frames = [FrameBox(f.name, f.label, f.x + dx, f.y + dy, f.w, f.h, f.training_only) for f in frames]
    right = max([b.x + b.w for b in boxes.values()] + [f.x + f.w for f in frames]
                + [x for route in routes for x, _ in route.points], default=0.0)  # fmt: skip
    bottom = max([b.y + b.h for b in boxes.values()] + [f.y + f.h for f in frames], default=0.0)
    return Layout(view=view, boxes=boxes, routes=routes, frames=frames, width=right + MARGIN, height=bottom + MARGIN)
