"""Step 1 of the layered layout (``viewer.engine.layout.layered``): ranks and order, by grandalf's Sugiyama layout.

Each box gets a rank (the longest path from the input), a dummy vertex is inserted wherever an edge spans
several ranks, and each rank is ordered to reduce crossings; training-only boxes move to the right end of their
ranks. The result is one :class:`Part` per connected component, with the weights that step 2 pulls by.
"""

from __future__ import annotations

from itertools import pairwise

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import DummyVertex, SugiyamaLayout

from viewer.core.graph.dataflow import GraphEdge, GraphView
from viewer.engine.layout.parts import (
    DUMMY_WIDTH,
    MAIN_SLACK,
    ORDER_BUDGET,
    ORDER_ROUNDS,
    STIFF_DUMMY,
    STIFF_MAIN,
    STIFF_SIDE,
    STIFF_TRAINING,
    IndexedLayers,
    Part,
    Slot,
    VertexSize,
)

__all__ = ["components", "frame_members", "frame_spans", "rank_and_order"]


def components(view: GraphView) -> list[tuple[list[str], list[int]]]:
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


def frame_members(view: GraphView) -> dict[str, frozenset[str]]:
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


def rank_and_order(
    ids: list[str],
    edges: list[tuple[int, GraphEdge]],
    sizes: dict[str, tuple[float, float]],
    training: set[str],
    members: dict[str, frozenset[str]],
    inputs: set[str],
) -> Part:
    vertices = {node_id: Vertex(node_id) for node_id in ids}
    for node_id, vertex in vertices.items():
        vertex.view = VertexSize(*sizes[node_id])
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
    sugiyama.layers = IndexedLayers(sugiyama.layers)
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
    spans = frame_spans(members, rank)
    edge_frames: dict[int, list[tuple[str, int, int]]] = {}
    depth, height = _path_lengths(ids, edges, rank)
    longest = max(depth[i] + height[i] for i in ids)
    floats = {node_id: longest - depth[node_id] - height[node_id] for node_id in ids}  # 0: on a longest path
    part = Part(layers=[], slots={}, chains={}, inverted={e.data for e in inverted})
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
                stiffness = STIFF_DUMMY / 2 if edge.dst in training or edge.src in training else STIFF_DUMMY
                slots.append(Slot(None, k, r, DUMMY_WIDTH, stiffness, frames))
            else:
                node_id = vertex.data
                stiffness = (STIFF_TRAINING if node_id in training
                             else STIFF_MAIN if floats[node_id] < MAIN_SLACK else STIFF_SIDE)  # fmt: skip
                slot = Slot(node_id, -1, rank[node_id], sizes[node_id][0], stiffness, members[node_id])
                slots.append(slot)
                part.slots[node_id] = slot
        # Auxiliary heads and the edges into them go to the right end of the rank, off the main path.
        side = [s.id in training if s.id is not None else _training_edge(edge_of[s.edge], training) for s in slots]
        if any(side):
            slots = [s for s, off in zip(slots, side, strict=True) if not off] + [
                s for s, off in zip(slots, side, strict=True) if off
            ]
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
            raise ValueError("the edges of a component do not connect")  # components() guarantees they do
        pending = waiting
    return core


def _training_edge(edge: GraphEdge, training: set[str]) -> bool:
    return edge.dst in training or edge.src in training


def frame_spans(members: dict[str, frozenset[str]], rank: dict[str, int]) -> dict[str, tuple[int, int]]:
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
    part: Part,
    edges: list[tuple[int, GraphEdge]],
    depth: dict[str, int],
    height: dict[str, int],
    training: set[str],
) -> None:
    """Chain every edge through its corridors and give each end its pull (see the module's docstring)."""
    corridors: dict[int, list[Slot]] = {}
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
