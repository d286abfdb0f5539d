"""A network's drawn graph as one call (``draw_graph``) and as a plain JSON document (``graph_document``).

The document holds what the drawing shows and where: one entry per box (a call, a join, or a collapsed block
standing for all its calls) with its costs and its box, one per edge with its tensor's shape and route, every
block of the network (collapsed, open as a frame, or hidden inside a collapsed one), the notes and the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn

from viewer.core.diagram.layout import Direction, Layout
from viewer.core.graph.dataflow import Graph, GraphView, Shape, ViewNode, collapse, expansion
from viewer.engine.graph.build import build_graph
from viewer.engine.layout.layered import layout_view

__all__ = ["COLLAPSED_BLOCKS", "GraphDrawing", "draw_graph", "graph_document"]

COLLAPSED_BLOCKS = (
    "A collapsed block is one node of kind 'block' (op 'block'): it stands for every call inside it (members), "
    "carries the block's parameters and MACs, the edges that enter or leave it (one per pair of boxes) and the "
    "shape of its last output; an expanded block is a frame around its boxes (frames)."
)


@dataclass
class GraphDrawing:
    """What ``viewer graph`` shows: the graph, the boxes drawn for the chosen expansion, and their layout."""

    graph: Graph
    view: GraphView
    layout: Layout


def draw_graph(
    model: str | nn.Module,
    *,
    input_shape: Shape | None = None,
    model_name: str | None = None,
    expand: str | None = None,
    aux: bool = True,
    convolutionized: tuple[int, int] | None = None,
    expand_groups: str | None = None,
    direction: Direction = "TB",
) -> GraphDrawing:
    """Build, expand and lay out the graph of ``model`` (a registry name or a module, on any device).

    Args:
        expand: None (the lecture's level), "all", a depth ("2") or block names ("layer1.0,layer2.0").
        aux: Keep the training-only heads (GoogLeNet's auxiliary classifiers), drawn dashed to the side.
        convolutionized: (width, height): the fully convolutional form at that image size.
        expand_groups: A block whose grouped convolution is drawn as its parallel pathways (ResNeXt).
        direction: "TB" (the data flows down, as in the lecture's figures) or "LR" (to the right).

    Raises:
        ModelError: an unknown block (with close matches), a size too small, no Linear layer to convolutionize…
    """
    from viewer.engine.graph.variants import convolutionized_graph, without_training_heads

    if convolutionized is not None:
        graph = convolutionized_graph(model, convolutionized, input_shape=input_shape, model_name=model_name)
    else:
        graph = build_graph(model, input_shape, model_name=model_name)
    if not aux:
        graph = without_training_heads(graph)
    expanded = expansion(graph, expand)
    if expand_groups:
        from viewer.core.graph.groups import expand_groups as pathways

        graph = pathways(graph, expand_groups)
        expanded = frozenset(graph.blocks)  # the pathways' picture is drawn whole
    view = collapse(graph, expanded)
    return GraphDrawing(graph, view, layout_view(view, direction))


def _shape(shape: Shape | None) -> list[int] | None:
    return None if shape is None else list(shape)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _node_entry(node: ViewNode, graph: Graph, layout: Layout) -> dict[str, Any]:
    box = layout.boxes[node.id]
    if node.kind == "block":
        block = graph.blocks[node.id]
        op, parent_block = "block", block.parent
    else:
        source = graph.node(node.id)
        op, parent_block = source.op, source.block
    entry: dict[str, Any] = {
        "id": node.id,
        "name": node.label,
        "kind": node.kind,
        "op": op,
        "type": node.type,
        "module": node.module,
        "block": parent_block,  # the innermost enclosing block ("" for the model itself)
        "frame": node.parent,  # the open block it is drawn inside ("" for none)
        "collapsed": node.kind == "block",
        "shape": _shape(node.shape),
        "in_shapes": [_shape(shape) for shape in node.in_shapes],
        "params": node.params,
        "macs": node.macs,
        "receptive_field": node.receptive_field.as_dict() if node.receptive_field is not None else None,
        "hyper": {key: _plain(value) for key, value in node.hyper.items()},
        "training_only": node.training_only,
        "note": node.note,
        "box": {"x": box.x, "y": box.y, "w": box.w, "h": box.h, "rank": box.rank},
    }
    if node.kind == "block":
        entry["members"] = list(node.members)
    return entry


def graph_document(layout: Layout, graph: Graph) -> dict[str, Any]:
    """Plain data (JSON-ready) for ``layout``, the drawing of ``graph``: see the module's docstring."""
    view = layout.view
    drawn = {node.id for node in view.nodes}
    framed = {frame.name for frame in layout.frames}
    routes = {(route.src, route.dst): route for route in layout.routes}
    blocks = []
    for name, block in graph.blocks.items():
        appears = "box" if name in drawn else "frame" if name in framed else "inside a collapsed block"
        blocks.append({
            "name": name, "type": block.type, "parent": block.parent, "collapsed": name not in view.expanded,
            "drawn": appears, "children": list(block.children), "nodes": len(block.nodes), "params": block.params,
            "macs": block.macs, "training_only": block.training_only, "note": block.note,
        })  # fmt: skip
    edges = []
    for edge in view.edges:
        route = routes.get((edge.src, edge.dst))
        edges.append({
            "src": edge.src, "dst": edge.dst, "shape": _shape(edge.shape),
            "training_only": bool(route and route.training_only),
            "points": [[x, y] for x, y in route.points] if route else [],
        })  # fmt: skip
    return {
        "model": graph.model_name,
        "input": list(graph.input_shape),
        "variant": graph.variant,
        "traced": graph.traced,
        "fallback_reason": graph.fallback_reason or None,
        "totals": {
            "params": graph.total_params,
            "macs": graph.macs,
            "gmacs": graph.gmacs,
            "training_only_params": graph.training_params,
            "training_only_macs": graph.training_macs,
        },
        "expanded": sorted(view.expanded & set(graph.blocks)),
        "collapsed_blocks": COLLAPSED_BLOCKS,
        "drawing": {"width": layout.width, "height": layout.height, "direction": layout.direction},
        "nodes": [_node_entry(node, graph, layout) for node in view.nodes],
        "edges": edges,
        "frames": [
            {"name": f.name, "label": f.label, "x": f.x, "y": f.y, "w": f.w, "h": f.h, "training_only": f.training_only}
            for f in layout.frames
        ],
        "blocks": blocks,
        "notes": list(graph.notes),
    }
