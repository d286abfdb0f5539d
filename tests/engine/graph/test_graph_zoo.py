"""Every registry network builds a data-flow graph whose totals are torchvision's published ones."""

from __future__ import annotations

import pytest

from viewer.core.graph.dataflow import Graph, collapse
from viewer.engine.graph.build import build_graph
from viewer.engine.layout.layered import frame_label
from viewer.engine.models.registry import list_specs

# Networks whose forward torch.fx cannot trace: they fall back to the module tree (none at present; a new one
# must be declared here with the reason its graph gives).
DECLARED_FALLBACKS: dict[str, str] = {}
# Inception-v3's published num_params counts its AuxLogits head (its weights ship it); GoogLeNet's does not.
META_COUNTS_TRAINING_HEADS = {"inception_v3"}


@pytest.mark.slow
@pytest.mark.parametrize("name", [spec.name for spec in list_specs()])
def test_graph_of_every_registry_network(name: str) -> None:
    spec = next(spec for spec in list_specs() if spec.name == name)
    graph = build_graph(name)
    if name in DECLARED_FALLBACKS:
        assert not graph.traced and DECLARED_FALLBACKS[name] in graph.fallback_reason
        return
    assert graph.traced, graph.fallback_reason
    assert graph.nodes[0].op == "input"
    sources = [n.id for n in graph.nodes[1:] if not graph.predecessors(n.id)]
    assert all(graph.node(n).params for n in sources), sources  # only parameters (ViT's class token) start a path
    if spec.num_params is not None:
        heads = graph.training_params if name in META_COUNTS_TRAINING_HEADS else 0
        assert graph.total_params + heads == spec.num_params
    if spec.gmacs is not None:
        assert round(graph.macs / 1e9, 3) == round(spec.gmacs, 3)
    _labels_are_names(graph)


def _labels_are_names(graph: Graph) -> None:
    """Every box and frame label, fully expanded, is the tail of its own name plus its type: never a spliced or
    garbled string ("inception4a.branch2.0d)" was one)."""
    view = collapse(graph, frozenset(graph.blocks))
    names = {frame.name for frame in view.frames}
    for frame in view.frames:
        label = frame_label(frame, names)
        name, _, kind = label.partition(" (")
        assert frame.name.endswith(name) and (not kind or kind == f"{frame.type})"), (frame.name, label)
    for node in view.nodes:
        assert node.id.endswith(node.label) or node.kind == "input", (node.id, node.label)
