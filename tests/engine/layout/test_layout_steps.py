"""The layout's steps one by one: components and frame spans (layout_order), x and y (layout_place), and the
working types (layout_parts). ``test_layout.py`` checks the whole drawing; these pin each step's contract."""

from __future__ import annotations

from grandalf.layouts import Layer

from viewer.core.graph.dataflow import collapse, expansion
from viewer.engine.graph.build import graph_of_name
from viewer.engine.layout.order import components, frame_members, frame_spans, rank_and_order
from viewer.engine.layout.parts import FRAME_LABEL, FRAME_PAD, X_SPACE, Y_SPACE, IndexedLayers, Part, Slot
from viewer.engine.layout.place import assign_x, assign_y


def _slot(node_id: str, rank: int, width: float = 40.0, stiffness: float = 1.0) -> Slot:
    return Slot(node_id, -1, rank, width, stiffness, frozenset())


def _fork() -> Part:
    """One box on rank 0 feeding two boxes on rank 1."""
    top, left, right = _slot("top", 0), _slot("left", 1), _slot("right", 1)
    for child in (left, right):
        child.up.append((top, 1.0))
        top.down.append((child, 1.0))
    return Part(
        layers=[[top], [left, right]], slots={s.id or "": s for s in (top, left, right)}, chains={}, inverted=set()
    )


def test_a_fork_is_centred_under_its_input_and_kept_apart() -> None:
    part = _fork()
    assign_x(part)
    top, (left, right) = part.layers[0][0], part.layers[1]
    assert right.x - left.x >= (left.w + right.w) / 2 + X_SPACE - 1e-9
    assert abs((left.x + right.x) / 2 - top.x) < 1e-6


def test_bands_stack_with_their_gaps_and_make_room_for_an_opening_frame() -> None:
    part = _fork()
    sizes = {"top": (40.0, 20.0), "left": (40.0, 30.0), "right": (40.0, 10.0)}
    assign_y(part, sizes, {"top": frozenset(), "left": frozenset(), "right": frozenset()})
    assert part.band_top == [0.0, 20.0 + Y_SPACE] and part.band_height == [20.0, 30.0]
    framed = _fork()
    assign_y(framed, sizes, {"top": frozenset({"block"}), "left": frozenset({"block"}), "right": frozenset()})
    assert framed.band_top[0] == FRAME_PAD + FRAME_LABEL  # the frame's border and label above the first band


def test_frame_spans_are_first_and_last_rank_of_their_boxes() -> None:
    members = {"a": frozenset({"f", "g"}), "b": frozenset({"f"}), "c": frozenset()}
    assert frame_spans(members, {"a": 1, "b": 4, "c": 0}) == {"f": (1, 4), "g": (1, 1)}


def test_lenet_is_one_component_whose_ranks_follow_its_edges() -> None:
    graph = graph_of_name("lenet5")
    view = collapse(graph, expansion(graph, "all"))
    (ids, edges), *others = components(view)
    assert others == [] and len(ids) == len(view.nodes) and sorted(edges) == list(range(len(view.edges)))
    sizes = {node.id: (40.0, 20.0) for node in view.nodes}
    inputs = {node.id for node in view.nodes if node.kind == "input"}
    part = rank_and_order(ids, [(k, view.edges[k]) for k in edges], sizes, set(), frame_members(view), inputs)
    assert set(part.slots) == set(ids)
    for edge in view.edges:  # a chain: every edge goes one or more ranks down
        assert part.slots[edge.dst].rank > part.slots[edge.src].rank


def test_indexed_layers_find_a_layer_by_identity() -> None:
    first, second = Layer([]), Layer([])  # equal by content, not by identity
    layers = IndexedLayers([first, second])
    assert layers.index(second) == 1 and layers.index(first) == 0
