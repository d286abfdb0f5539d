"""layout_view(): the lecture's networks without overlaps, branches side by side, skips beside, aux heads aside."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from viewer.core.diagram.layout import Box, Layout
from viewer.core.graph.dataflow import GraphEdge, GraphView, ViewNode, collapse, expansion
from viewer.engine.graph.build import graph_of_name
from viewer.engine.layout.layered import layout_view

LECTURE = ["lenet5", "alexnet", "vgg16", "nin", "googlenet", "resnet18", "resnet50", "resnext50_32x4d"]
ROOT = Path(__file__).resolve().parents[3]


def _layout(name: str, spec: str | None = None) -> Layout:
    graph = graph_of_name(name)
    return layout_view(collapse(graph, expansion(graph, spec)))


def _overlap(a, b, margin: float = 0.01) -> bool:
    """Whether two rectangles (x, y, w, h) share an area (touching edges do not count)."""
    return (a.x < b.x + b.w - margin and b.x < a.x + a.w - margin
            and a.y < b.y + b.h - margin and b.y < a.y + a.h - margin)  # fmt: skip


def _segment_crosses(p: tuple[float, float], q: tuple[float, float], box: Box, margin: float = 0.5) -> bool:
    """Whether the segment pq enters ``box`` shrunk by ``margin`` (Liang–Barsky clipping)."""
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for step, room in ((-dx, x0 - box.x - margin), (dx, box.x + box.w - margin - x0),
                       (-dy, y0 - box.y - margin), (dy, box.y + box.h - margin - y0)):  # fmt: skip
        if step == 0:
            if room < 0:
                return False
        elif step < 0:
            low = max(low, room / step)
        else:
            high = min(high, room / step)
        if low > high:
            return False
    return True


def _crossed(layout: Layout, src: str, dst: str) -> list[str]:
    route = next(r for r in layout.routes if r.src == src and r.dst == dst)
    return [box.id for box in layout.boxes.values() if box.id not in (src, dst)
            for p, q in pairwise(route.points) if _segment_crosses(p, q, box)]  # fmt: skip


@pytest.mark.parametrize("spec", [None, "all"], ids=["default", "all"])
@pytest.mark.parametrize("name", LECTURE)
def test_no_box_overlaps_another_and_no_route_crosses_a_box(name: str, spec: str | None) -> None:
    layout = _layout(name, spec)
    boxes = list(layout.boxes.values())
    assert {box.id for box in boxes} == {node.id for node in layout.view.nodes}
    overlapping = [(a.id, b.id) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if _overlap(a, b)]
    assert overlapping == []
    assert len(layout.routes) == len(layout.view.edges)
    crossings = [(route.src, route.dst, box.id) for route in layout.routes for box in boxes
                 if box.id not in (route.src, route.dst)
                 and any(_segment_crosses(p, q, box) for p, q in pairwise(route.points))]  # fmt: skip
    assert crossings == []
    for route in layout.routes:  # from the bottom of its source to the top of its destination
        src, dst = layout.boxes[route.src], layout.boxes[route.dst]
        assert route.points[0] == pytest.approx((src.x + src.w / 2, src.y + src.h))
        assert route.points[-1] == pytest.approx((dst.x + dst.w / 2, dst.y))
    assert all(box.x >= 0 and box.x + box.w <= layout.width and box.y >= 0 and box.y + box.h <= layout.height
               for box in boxes)  # fmt: skip


@pytest.mark.parametrize(("name", "spec"), [("googlenet", "all"), ("googlenet", "inception3a"), ("resnet18", "all"),
                                            ("resnet50", "layer2.0")])  # fmt: skip
def test_sibling_frames_do_not_overlap_and_frames_hold_their_boxes(name: str, spec: str) -> None:
    layout = _layout(name, spec)
    frames = {frame.name: frame for frame in layout.frames}
    assert frames
    for i, a in enumerate(layout.frames):
        for b in layout.frames[i + 1 :]:
            nested = a.name.startswith(f"{b.name}.") or b.name.startswith(f"{a.name}.")
            assert nested or not _overlap(a, b), (a.name, b.name)
    for frame in layout.view.frames:
        drawn = frames[frame.name]
        for member in frame.members:
            box = layout.boxes[member]
            assert drawn.x <= box.x and box.x + box.w <= drawn.x + drawn.w, (frame.name, member)
            assert drawn.y <= box.y and box.y + box.h <= drawn.y + drawn.h, (frame.name, member)
        others = [box.id for box in layout.boxes.values() if box.id not in frame.members and _overlap(drawn, box)]
        assert others == [], frame.name


def test_the_four_inception_branches_start_side_by_side_on_one_rank() -> None:
    layout = _layout("googlenet", "inception3a")
    heads = [layout.boxes[name] for name in ("inception3a.branch1", "inception3a.branch2.0",
                                             "inception3a.branch3.0", "inception3a.branch4.0")]  # fmt: skip
    assert len({box.rank for box in heads}) == 1
    assert len({round(box.y + box.h / 2, 3) for box in heads}) == 1  # centred on the same line
    centres = [box.x + box.w / 2 for box in heads]
    assert len(set(centres)) == 4 and centres == sorted(centres)
    # The module is centred under its input and over its concatenation.
    source, join = layout.boxes["maxpool2"], layout.boxes["inception3a.cat"]
    assert centres[0] < source.x + source.w / 2 < centres[-1]
    assert centres[0] < join.x + join.w / 2 < centres[-1]


def test_the_residual_skip_runs_beside_the_block_and_the_sum_stays_on_the_main_column() -> None:
    layout = _layout("resnet18", "layer1.0")
    (skip,) = [r for r in layout.routes if r.dst == "layer1.0.add" and r.src != "layer1.0.bn2"]
    assert skip.src == "maxpool"
    assert _crossed(layout, skip.src, skip.dst) == []
    column = [
        layout.boxes[name]
        for name in (
            "maxpool",
            "layer1.0.conv1",
            "layer1.0.bn1",
            "layer1.0.relu",
            "layer1.0.conv2",
            "layer1.0.bn2",
            "layer1.0.add",
            "layer1.0.relu_1",
        )
    ]
    centres = {round(box.x + box.w / 2, 3) for box in column}
    assert len(centres) == 1  # the residual branch is one straight column, the ⊕ on it
    middle = centres.pop()
    conv1 = layout.boxes["layer1.0.conv1"]
    beside = [x for x, _ in skip.points if abs(x - middle) > 0.01]
    assert beside and all(x > conv1.x + conv1.w for x in beside)  # to the right of the widest box it bypasses


def test_a_projection_shortcut_is_drawn_beside_the_main_column() -> None:
    layout = _layout("resnet18", "layer2.0")
    main = [
        layout.boxes[name].x + layout.boxes[name].w / 2
        for name in ("layer1.1", "layer2.0.conv1", "layer2.0.bn2", "layer2.0.add")
    ]
    assert max(main) - min(main) < 0.1
    shortcut = layout.boxes["layer2.0.downsample.0"]
    assert shortcut.x > layout.boxes["layer2.0.conv1"].x + layout.boxes["layer2.0.conv1"].w


@pytest.mark.parametrize("spec", [None, "all"], ids=["default", "all"])
def test_auxiliary_heads_are_off_the_main_column(spec: str | None) -> None:
    layout = _layout("googlenet", spec)
    view = layout.view
    for head in ("aux1", "aux2"):
        boxes = [layout.boxes[node.id] for node in view.nodes if node.id == head or node.id.startswith(f"{head}.")]
        assert boxes and all(view.node(box.id).training_only for box in boxes)
        main_at_rank = {}
        for node in view.nodes:
            if not node.training_only:
                box = layout.boxes[node.id]
                main_at_rank.setdefault(box.rank, []).append(box)
        for box in boxes:  # right of every inference box of its rank
            assert all(other.x + other.w <= box.x for other in main_at_rank.get(box.rank, [])), box.id
    # The main path itself stays one straight column through the ranks where the heads branch off.
    column = (
        [layout.boxes[name] for name in ("inception4a", "inception4b", "inception4d", "inception4e")]
        if spec is None
        else []
    )
    assert len({round(box.x + box.w / 2, 3) for box in column}) <= 1


def test_the_same_view_gives_the_same_drawing() -> None:
    graph = graph_of_name("googlenet")
    view = collapse(graph, expansion(graph, "inception3a,inception4a"))
    first, second = layout_view(view), layout_view(view)
    assert first.boxes == second.boxes
    assert first.routes == second.routes
    assert first.frames == second.frames
    assert (first.width, first.height) == (second.width, second.height)


def test_the_drawing_does_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "import json, hashlib\n"
        "from viewer.engine.graph.build import build_graph\n"
        "from viewer.core.graph.dataflow import collapse, expansion\n"
        "from viewer.engine.layout.layered import layout_view\n"
        "g = build_graph('resnet18')\n"
        "L = layout_view(collapse(g, expansion(g, 'all')))\n"
        "data = [sorted((b.id, b.x, b.y, b.w, b.h, b.rank) for b in L.boxes.values()),"
        " [(r.src, r.dst, r.points) for r in L.routes], [(f.name, f.x, f.y, f.w, f.h) for f in L.frames]]\n"
        "print(hashlib.sha256(json.dumps(data).encode()).hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def _node(node_id: str, kind: str = "node") -> ViewNode:
    return ViewNode(id=node_id, kind=kind, type="Conv2d" if kind == "node" else "Input", label=node_id, parent="",
                    shape=(8, 4, 4), in_shapes=(), params=0, macs=0, receptive_field=None, hyper={},
                    training_only=False, members=(node_id,))  # fmt: skip


def _view(nodes: list[ViewNode], edges: list[tuple[str, str]]) -> GraphView:
    return GraphView(model_name="toy", input_shape=(3, 8, 8), nodes=nodes,
                     edges=[GraphEdge(src, dst, (8, 4, 4)) for src, dst in edges], frames=[], expanded=frozenset(),
                     notes=[], total_params=0, macs=0)  # fmt: skip


def test_a_cycle_two_components_and_a_lone_box_are_still_drawn() -> None:
    # A module called twice around another call, collapsed, makes a cycle; an unused branch makes a component.
    view = _view([_node("input", "input"), _node("a"), _node("b"), _node("c"), _node("x", "input"), _node("y"),
                  _node("alone")],
                 [("input", "a"), ("a", "b"), ("b", "a"), ("b", "c"), ("x", "y")])  # fmt: skip
    layout = layout_view(view)
    boxes = list(layout.boxes.values())
    assert len(boxes) == 7 and len(layout.routes) == 5
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_a_parameter_only_branch_is_ranked_just_above_its_use() -> None:
    # Swin's relative position bias comes from parameters alone: drawn beside its use, not beside the input.
    view = _view(
        [_node("input", "input"), _node("a"), _node("b"), _node("c"), _node("bias"), _node("attn")],
        [("input", "a"), ("a", "b"), ("b", "c"), ("c", "attn"), ("bias", "attn")],
    )
    layout = layout_view(view)
    assert layout.boxes["bias"].rank == layout.boxes["attn"].rank - 1 == layout.boxes["c"].rank
