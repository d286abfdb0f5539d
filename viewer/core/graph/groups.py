"""ResNeXt's "aggregated transformations" (Xie et al. 2016, Fig. 3a) drawn from a real block's grouped convolution.

A bottleneck ``1×1 → 3×3 (g groups) → 1×1`` computes exactly the sum of ``g`` pathways, each ``1×1 → 3×3 → 1×1``
on ``width / g`` channels: the first 1×1 stacks the pathways' first layers, the grouped 3×3 keeps them apart, and
the last 1×1 applied to the concatenation is the sum of each pathway's own 1×1. :func:`expand_groups` builds that
picture as a :class:`Graph` from the block's nodes (their shapes and hyper-parameters, which come from the real
layers' weights), splitting parameters and MACs evenly between pathways, so that the totals stay the block's own.
"""

from __future__ import annotations

from dataclasses import replace

from viewer.core.errors import ModelError
from viewer.core.graph.dataflow import Graph, GraphEdge, GraphNode, HyperValue

__all__ = ["MAX_PATHWAYS", "expand_groups", "grouped_convolution"]

MAX_PATHWAYS = 64  # beyond this (depthwise convolutions) the picture is a wall of identical boxes


def grouped_convolution(graph: Graph, block: str) -> GraphNode | None:
    """The first convolution with more than one group inside ``block``, if any."""
    inside = set(graph.block(block).nodes)
    for node in graph.nodes:
        groups = node.hyper.get("groups")
        if node.id in inside and node.type == "Conv2d" and isinstance(groups, int) and groups > 1:
            return node
    return None


def _neighbour_conv(graph: Graph, start: str, inside: set[str], forward: bool) -> str | None:
    current = start
    while True:
        nexts = [n for n in (graph.successors(current) if forward else graph.predecessors(current)) if n in inside]
        if len(nexts) != 1:
            return None
        current = nexts[0]
        if graph.node(current).type == "Conv2d":
            return current


def _chain(graph: Graph, first: str, last: str) -> list[str]:
    chain = [first]
    while chain[-1] != last:
        successors = graph.successors(chain[-1])
        if len(successors) != 1:
            raise ModelError(f"{graph.model_name}: the pathway from {first} to {last} branches; cannot split it.")
        chain.append(successors[0])
    return chain


def _per_path(node: GraphNode, groups: int, is_last: bool) -> GraphNode:
    hyper: dict[str, HyperValue] = dict(node.hyper)
    for key in ("in_channels", "out_channels", "num_features", "groups"):
        value = hyper.get(key)
        if not isinstance(value, int):
            continue
        if key == "groups":
            hyper[key] = 1
        elif key == "out_channels" and is_last:
            continue  # the last 1×1 of each pathway maps back to the full width: the pathways are summed
        elif key == "in_channels" and node.hyper.get("groups") != groups and not is_last:
            continue  # the first 1×1 reads every input channel
        else:
            hyper[key] = value // groups
    shape = node.shape
    if shape and not is_last:
        shape = (shape[0] // groups, *shape[1:])
    return replace(node, hyper=hyper, shape=shape, params=node.params // groups, macs=node.macs // groups)


def expand_groups(graph: Graph, block: str) -> Graph:
    """``block`` of ``graph`` with its grouped convolution drawn as parallel pathways merged by a sum.

    Raises:
        ModelError: the block has no grouped convolution, too many groups to draw, or no plain
            1×1 → grouped → 1×1 chain (the message says which).
    """
    info = graph.block(block)
    grouped = grouped_convolution(graph, block)
    if grouped is None:
        raise ModelError(f"{block} has no grouped convolution: there are no pathways to expand.")
    groups = grouped.hyper["groups"]
    if not isinstance(groups, int):  # grouped_convolution found an int above 1
        raise ModelError(f"{grouped.id} has no whole number of groups ({groups!r}).")
    if groups > MAX_PATHWAYS:
        raise ModelError(f"{grouped.id} has {groups} groups (a depthwise convolution): too many pathways to draw.")
    inside = set(info.nodes)
    first = _neighbour_conv(graph, grouped.id, inside, forward=False) or grouped.id
    last = _neighbour_conv(graph, grouped.id, inside, forward=True) or grouped.id
    chain = _chain(graph, first, last)
    entry = next((e for e in graph.edges if e.dst == first and e.src not in inside), None)
    input_shape = entry.shape if entry and entry.shape else graph.input_shape
    nodes = [GraphNode("input", "input", "Input", None, (), 1, {}, input_shape, 0, 0, None)]
    edges: list[GraphEdge] = []
    ends = []
    for index in range(groups):
        prefix = f"pathway{index + 1}"
        previous = "input"
        for node_id in chain:
            original = graph.node(node_id)
            copy = _per_path(original, groups, node_id == last)
            copy = replace(copy, id=f"{prefix}.{original.label}", blocks=(), note="")
            nodes.append(copy)
            edges.append(GraphEdge(previous, copy.id, nodes[-2].shape if previous != "input" else input_shape))
            previous = copy.id
        ends.append(previous)
    out_shape = graph.node(last).shape
    nodes.append(GraphNode("sum", "function", "add", None, (), 1, {}, out_shape, 0, 0,
                           graph.node(last).receptive_field, note=f"Sum of the {groups} pathways."))  # fmt: skip
    edges.extend(GraphEdge(end, "sum", out_shape) for end in ends)
    rest = [graph.node(node_id) for node_id in info.nodes if node_id not in chain]
    rename = {last: "sum"}
    for node in rest:
        local = node.id[len(block) + 1 :] if node.id.startswith(f"{block}.") else node.id
        nodes.append(replace(node, id=local, blocks=()))
        rename[node.id] = local
    for edge in graph.edges:
        if edge.dst in rename and edge.dst != "sum" and edge.dst not in chain:
            src = rename.get(edge.src, "input" if edge.src not in inside else edge.src)
            edges.append(GraphEdge(src, rename[edge.dst], edge.shape))
    width = grouped.hyper.get("in_channels")
    per_path = width // groups if isinstance(width, int) else "?"
    params = sum(graph.node(n).params for n in chain)
    note = (f"{block}: {groups} pathways of 1×1 → 3×3 → 1×1, each {per_path} channels wide, merged by a sum — "
            f"the same computation as {first} → {grouped.id} ({groups} groups) → {last}, with the same "
            f"{params:,} weights split between the pathways (Xie et al., Fig. 3).")  # fmt: skip
    return Graph(
        model_name=f"{graph.model_name} · {block} · aggregated transformations", input_shape=input_shape,
        nodes=nodes, edges=edges, blocks={}, total_params=info.params, macs=info.macs, notes=[note],
        variant=graph.variant,
    )  # fmt: skip
