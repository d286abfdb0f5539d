"""layout_view(view, "LR"): the data flows left to right: routes from a box's right side to the next one's left
side, branches and shortcuts stacked, frames labelled above; top-down ("TB", the default) is as before."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest

from tests.engine.layout.test_layout import _overlap, _segment_crosses
from viewer.core.diagram.layout import Layout, box_lines, box_size
from viewer.core.diagram.svg import graph_svg
from viewer.core.graph.dataflow import collapse, expansion
from viewer.core.graph.groups import expand_groups
from viewer.engine.graph.build import graph_of_name
from viewer.engine.layout.layered import layout_view
from viewer.engine.layout.parts import FRAME_LABEL, FRAME_PAD

SVG = "{http://www.w3.org/2000/svg}"


def _layout(name: str, spec: str | None = None, direction: str = "LR") -> Layout:
    graph = graph_of_name(name)
    return layout_view(collapse(graph, expansion(graph, spec)), direction)  # type: ignore[arg-type]


def _assert_left_to_right(layout: Layout) -> None:
    """Every edge leaves its source's right side and enters its target's left side, never turning back."""
    assert layout.direction == "LR"
    for route in layout.routes:
        src, dst = layout.boxes[route.src], layout.boxes[route.dst]
        assert src.x + src.w <= dst.x, (route.src, route.dst)  # source x < target x, with room between
        assert src.rank < dst.rank
        assert route.points[0] == pytest.approx((src.x + src.w, src.y + src.h / 2))
        assert route.points[-1] == pytest.approx((dst.x, dst.y + dst.h / 2))
        xs = [x for x, _ in route.points]
        assert xs == sorted(xs), (route.src, route.dst)


def _assert_drawn_apart(layout: Layout) -> None:
    """No box over another, no route through a box, frames around their boxes (label room above) and apart."""
    boxes = list(layout.boxes.values())
    assert [(a.id, b.id) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if _overlap(a, b)] == []
    crossings = [(route.src, route.dst, box.id) for route in layout.routes for box in boxes
                 if box.id not in (route.src, route.dst)
                 and any(_segment_crosses(p, q, box) for p, q in pairwise(route.points))]  # fmt: skip
    assert crossings == []
    drawn = {frame.name: frame for frame in layout.frames}
    for frame in layout.view.frames:
        outline = drawn[frame.name]
        for member in frame.members:
            box = layout.boxes[member]
            assert outline.x <= box.x and box.x + box.w <= outline.x + outline.w, (frame.name, member)
            assert outline.y + FRAME_PAD + FRAME_LABEL <= box.y + 1e-6, (frame.name, member)  # the label's line
            assert box.y + box.h <= outline.y + outline.h, (frame.name, member)
        assert [b.id for b in boxes if b.id not in frame.members and _overlap(outline, b)] == [], frame.name
    for i, a in enumerate(layout.frames):
        for b in layout.frames[i + 1 :]:
            nested = a.name.startswith(f"{b.name}.") or b.name.startswith(f"{a.name}.")
            assert nested or not _overlap(a, b), (a.name, b.name)
    assert all(box.x >= 0 and box.x + box.w <= layout.width and box.y >= 0 and box.y + box.h <= layout.height
               for box in boxes)  # fmt: skip
    assert all(0 <= x <= layout.width and 0 <= y <= layout.height for route in layout.routes for x, y in route.points)


@pytest.mark.parametrize("spec", [None, "all"], ids=["collapsed", "all"])
@pytest.mark.parametrize("name", ["resnet18", "googlenet"])
def test_left_to_right_every_edge_goes_right(name: str, spec: str | None) -> None:
    layout = _layout(name, spec)
    _assert_left_to_right(layout)
    _assert_drawn_apart(layout)
    if spec is None:
        assert any(node.kind == "block" for node in layout.view.nodes)  # collapsed blocks, routed as boxes


def test_the_residual_skip_runs_below_the_block_and_the_sum_stays_on_the_main_row() -> None:
    layout = _layout("resnet18", "layer1.0")
    (skip,) = [r for r in layout.routes if r.dst == "layer1.0.add" and r.src != "layer1.0.bn2"]
    assert skip.src == "maxpool"
    row = [layout.boxes[name] for name in ("maxpool", "layer1.0.conv1", "layer1.0.conv2", "layer1.0.add")]
    middles = {round(box.y + box.h / 2, 3) for box in row}
    assert len(middles) == 1  # the residual branch is one straight row, the ⊕ on it
    tallest = max(layout.boxes[name].y + layout.boxes[name].h for name in ("layer1.0.conv1", "layer1.0.conv2"))
    middle = middles.pop()
    beside = [y for _, y in skip.points if abs(y - middle) > 0.01]
    assert beside and all(y > tallest for y in beside)  # under the tallest box it bypasses


def test_inception_branches_are_stacked_and_aux_heads_below_the_main_row() -> None:
    layout = _layout("googlenet", "inception3a,inception4a")
    heads = [layout.boxes[f"inception3a.{name}"] for name in ("branch1", "branch2.0", "branch3.0", "branch4.0")]
    assert len({box.rank for box in heads}) == 1 and len({round(box.x + box.w / 2, 3) for box in heads}) == 1
    tops = [box.y for box in heads]
    assert tops == sorted(tops) and len(set(tops)) == 4
    main = [layout.boxes[name] for name in ("inception4b", "inception4c")]
    aux = layout.boxes["aux1"]
    assert all(box.y + box.h <= aux.y for box in main if box.rank == aux.rank) and aux.y > main[0].y


def test_the_pathways_of_a_grouped_block_go_right_too() -> None:
    graph = expand_groups(graph_of_name("resnext50_32x4d"), "layer1.0")
    layout = layout_view(collapse(graph, frozenset()), "LR")
    _assert_left_to_right(layout)
    _assert_drawn_apart(layout)
    assert layout.height > layout.width  # 32 pathways stacked


def test_googlenet_is_wide_left_to_right_and_tall_top_down() -> None:
    across, down = _layout("googlenet"), _layout("googlenet", direction="TB")
    assert across.width > across.height and down.height > down.width
    # Narrower boxes left to right (their width adds up along the drawing), no fewer lines of text.
    node = next(node for node in across.view.nodes if node.id == "conv1")
    assert box_lines(node, "LR") == ["conv1", "BasicConv2d", "7×7/2 3→64", "64×112×112", "9.54k params", "118M MACs"]
    assert box_lines(node) == ["conv1", "BasicConv2d 7×7/2 3→64", "64×112×112", "9.54k params · 118M MACs"]
    assert (across.boxes["conv1"].w, across.boxes["conv1"].h) == box_size(node, "LR")
    assert box_size(node, "LR")[0] < box_size(node)[0]


def test_top_down_is_the_default_and_unchanged() -> None:
    graph = graph_of_name("resnet18")
    view = collapse(graph, expansion(graph, "layer1.0,layer2.0"))
    default, down = layout_view(view), layout_view(view, "TB")
    assert default.direction == down.direction == "TB"
    assert (default.boxes, default.routes, default.frames) == (down.boxes, down.routes, down.frames)
    assert all((box.w, box.h) == box_size(view.node(box.id)) for box in down.boxes.values())
    for route in down.routes:  # from the bottom of its source to the top of its target, as ever
        src, dst = down.boxes[route.src], down.boxes[route.dst]
        assert route.points[0] == pytest.approx((src.x + src.w / 2, src.y + src.h))
        assert route.points[-1] == pytest.approx((dst.x + dst.w / 2, dst.y))
    across = layout_view(view, "LR")
    assert across == layout_view(view, "LR")  # deterministic
    assert {box.id: box.rank for box in across.boxes.values()} == {box.id: box.rank for box in down.boxes.values()}


def test_the_svg_of_a_left_to_right_layout_draws_it_so() -> None:
    layout = _layout("googlenet", "inception3a")
    root = ET.fromstring(graph_svg(layout))
    nodes = [g for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()]
    for group, node in zip(nodes, layout.view.nodes, strict=True):
        if node.kind != "join":
            assert [t.text for t in group.iter(f"{SVG}text")] == box_lines(node, "LR")
    for edge in root.iter(f"{SVG}polyline"):
        xs = [float(point.split(",")[0]) for point in edge.get("points", "").split()]
        assert xs == sorted(xs) and xs[0] < xs[-1]
    join = layout.boxes["inception3a.cat"]
    (shape,) = [t for t in root.iter(f"{SVG}text") if t.get("class") == "shape"]
    assert shape.text == "256×28×28" and float(shape.get("y", 0)) > join.y + join.h  # under the join
