"""Naming things in a data-flow graph the way the Architecture tab's user does (plain Python: no torch, no Qt).

A *key* is what the tab selects: a node id (``layer1.0.conv1``, ``layer1.0.add``) or a block name
(``layer1.0``). The user, the Activations tab and the find bar name things more loosely (a module path that
was called several times, a block), and what leaves the tab as "the layer" is a module path where there is
one. These functions translate between the two.
"""

from __future__ import annotations

from viewer.core.errors import ModelError
from viewer.core.graph.dataflow import Graph
from viewer.core.graph.groups import grouped_convolution

__all__ = ["enclosing_blocks", "grouped_block", "key_of", "layer_of"]


def key_of(graph: Graph, name: str) -> str | None:
    """The node id or block name for ``name``: itself, or a module's first call; None when nothing matches."""
    if name in graph.blocks:
        return name
    try:
        return graph.node(name).id
    except ModelError:
        calls = graph.calls_of(name)
        return calls[0].id if calls else None


def layer_of(graph: Graph, key: str) -> str:
    """What the tab reports as the layer for ``key``: a module call's module path, else the key itself."""
    if key in graph.blocks:
        return key
    try:
        node = graph.node(key)
    except ModelError:
        return key
    return node.module or node.id


def enclosing_blocks(graph: Graph, key: str) -> tuple[str, ...]:
    """The blocks around ``key``: innermost first for a block, outermost first for a node (as ``node.blocks``)."""
    if key in graph.blocks:
        names, parent = [], graph.blocks[key].parent
        while parent:
            names.append(parent)
            parent = graph.blocks[parent].parent
        return tuple(names)
    return graph.node(key).blocks


def grouped_block(graph: Graph, key: str) -> str | None:
    """The block ``key`` is (or the innermost block around it) that holds a grouped convolution, if any."""
    around = enclosing_blocks(graph, key)
    candidates = (key, *reversed(around)) if key in graph.blocks else tuple(reversed(around))
    for block in candidates:
        if grouped_convolution(graph, block) is not None:
            return block
    return None
