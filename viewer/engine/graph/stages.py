"""The lecture's stages where the module tree has none: VGG's ``features`` split at each max-pool.

torchvision's VGG (and AlexNet) keep all their convolutions in one ``Sequential``: its graph would be one flat
group of 31 boxes, where the lecture draws VGG16 as five stages of 3×3 convolutions, each ending in a 2×2
max-pool. A plain container whose calls are all its own leaf modules and that holds at least two max-pools is
split into synthetic blocks ``<container>.stage1``, ``…stage2``…, each ending at a max-pool (calls after the
last one form a last stage). Stages are blocks like any other (collapsible, with totals); they are not modules,
so the Activations tab (which captures modules) does not offer them.
"""

from __future__ import annotations

from dataclasses import replace

from viewer.core.graph.dataflow import CONTAINER_TYPES, GraphNode

__all__ = ["STAGE_TYPE", "split_stages"]

STAGE_TYPE = "Stage"
_POOLS = frozenset({"MaxPool2d"})


def split_stages(nodes: list[GraphNode], block_types: dict[str, str]) -> tuple[list[GraphNode], dict[str, str]]:
    """``nodes`` with the stages of each flat container inserted in their ``blocks``, and the stages' types
    added to ``block_types`` (see the module docstring); unchanged where nothing qualifies."""
    members: dict[str, list[GraphNode]] = {}
    for node in nodes:
        if node.blocks:
            members.setdefault(node.blocks[-1], []).append(node)
    stage_of: dict[str, str] = {}  # node id -> its stage's block name
    types = dict(block_types)
    for container, inside in members.items():
        if block_types.get(container) not in CONTAINER_TYPES or not _flat(container, nodes):
            continue
        if sum(node.type in _POOLS for node in inside) < 2:
            continue
        number, ended = 1, False
        for node in inside:
            if ended:
                number, ended = number + 1, False
            stage_of[node.id] = f"{container}.stage{number}"
            ended = node.type in _POOLS
        for stage in set(stage_of.values()):
            if stage.startswith(f"{container}."):
                types[stage] = STAGE_TYPE
    if not stage_of:
        return nodes, block_types
    return [
        replace(node, blocks=(*node.blocks, stage_of[node.id])) if node.id in stage_of else node for node in nodes
    ], types


def _flat(container: str, nodes: list[GraphNode]) -> bool:
    """Every call inside ``container`` is one of its own leaf modules (no sub-block, no tensor function)."""
    inside = [node for node in nodes if container in node.blocks]
    return bool(inside) and all(node.blocks[-1] == container and node.op == "module" for node in inside)
