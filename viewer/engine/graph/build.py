"""The data-flow graph of any model: torch.fx trace, shapes on the meta device, parameters, MACs, receptive fields.

``build_graph`` returns a :class:`core.graph.dataflow.Graph`: a node per call (module calls and tensor functions),
an edge per tensor, the module hierarchy as blocks, inference totals, and the lecture's notes (which variant of
ResNet this is, where torchvision's GoogLeNet differs from the paper, that auxiliary heads only train). Auxiliary
classifiers are traced in training mode and spliced in where they branch off, marked ``training_only``; they are
built whatever weights are chosen, and never counted in the inference totals. A model that torch.fx cannot trace
falls back to the module tree in call order (``Graph.traced`` is False and ``fallback_reason`` says why).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from torch import nn

from viewer.core.errors import ModelError, UnsupportedModelError
from viewer.core.graph.dataflow import Block, Graph, GraphEdge, GraphNode, Shape
from viewer.engine.graph.fallback import module_tree_graph
from viewer.engine.graph.notes import annotate
from viewer.engine.graph.stages import STAGE_TYPE, split_stages
from viewer.engine.graph.trace import TracedGraph, trace_graph
from viewer.engine.models import registry
from viewer.engine.models.meta import meta_model

if TYPE_CHECKING:
    from viewer.engine.models.weights import LoadedModel

__all__ = ["AUX_MODELS", "build_graph", "graph_of_name"]

# Networks whose auxiliary classifiers exist only when asked for: the graph always builds them.
AUX_MODELS = frozenset({"googlenet", "inception_v3"})


def _uncalled_modules(model: nn.Module, called: set[str]) -> list[str]:
    """Modules with parameters that no call of the trace reaches (auxiliary heads that run only in training)."""
    uncalled = []
    for name, module in model.named_modules():
        if not name or not any(True for _ in module.parameters(recurse=False)):
            continue
        if not any(name == path or name.startswith(f"{path}.") for path in called):
            uncalled.append(name)
    return uncalled


def _splice_training_heads(model: nn.Module, input_shape: Shape, main: TracedGraph) -> list[str]:
    """Add the nodes that only run in training mode to ``main``; returns the notes that say so."""
    uncalled = _uncalled_modules(model, main.called_modules)
    if not uncalled:
        return []
    try:
        training = trace_graph(model, input_shape, training=True)
    except Exception as error:  # the heads are a bonus: say why they are missing, never fail the graph
        return [f"The training-only layers ({', '.join(uncalled[:3])}) could not be traced: {error}"]
    known = {node.id for node in main.nodes}
    extra = [node for node in training.nodes if node.id not in known]
    if not extra:
        return []
    extra_ids = {node.id for node in extra}
    main.nodes.extend(_training_only(node) for node in extra)
    main.edges.extend(edge for edge in training.edges if edge.dst in extra_ids)
    for path, kind in training.block_types.items():
        main.block_types.setdefault(path, kind)
    return []


def _training_only(node: GraphNode) -> GraphNode:
    from dataclasses import replace

    return replace(node, training_only=True)


def _ordered(nodes: list[GraphNode], edges: list[GraphEdge]) -> list[GraphNode]:
    """Nodes in a topological order that keeps the trace's order, spliced heads right after what feeds them."""
    by_id = {node.id: node for node in nodes}
    inputs: dict[str, list[str]] = {node.id: [] for node in nodes}
    for edge in edges:
        inputs[edge.dst].append(edge.src)
    placed: list[GraphNode] = []
    done: set[str] = set()
    main = [node for node in nodes if not node.training_only]
    heads = [node for node in nodes if node.training_only]
    for node in main:
        placed.append(node)
        done.add(node.id)
        progress = True
        while progress:  # place every training-only node whose inputs are all placed
            progress = False
            for head in heads:
                if head.id not in done and all(src in done for src in inputs[head.id]):
                    placed.append(by_id[head.id])
                    done.add(head.id)
                    progress = True
    placed.extend(head for head in heads if head.id not in done)
    return placed


def _blocks(nodes: list[GraphNode], block_types: dict[str, str]) -> dict[str, Block]:
    members: dict[str, list[GraphNode]] = {}
    parents: dict[str, str] = {}
    for node in nodes:
        for depth, path in enumerate(node.blocks):
            members.setdefault(path, []).append(node)
            parents.setdefault(path, node.blocks[depth - 1] if depth else "")
    children: dict[str, list[str]] = {}
    for path in members:  # members keeps first-appearance order: children come out in execution order
        children.setdefault(parents[path], []).append(path)
    return {
        path: Block(
            name=path,
            type=block_types.get(path, "Module"),
            parent=parents[path],
            children=tuple(children.get(path, ())),
            nodes=tuple(node.id for node in inside),
            params=sum(node.params for node in inside),
            macs=sum(node.macs for node in inside),
            training_only=all(node.training_only for node in inside),
        )
        for path, inside in members.items()
    }


def build_graph(
    model: nn.Module | str | LoadedModel,
    input_shape: Shape | None = None,
    *,
    model_name: str | None = None,
) -> Graph:
    """The data-flow graph of ``model`` for one (C, H, W) input.

    Args:
        model: A registry name (built on the meta device, auxiliary heads included), an ``nn.Module`` (any
            device; never copied, never run for real) or a ``LoadedModel``.
        input_shape: (C, H, W); defaults to the network's own input.
        model_name: The name shown; defaults to the registry name or the class name.

    Raises:
        ModelError: the model cannot run on ``input_shape`` (one sentence; a traceback never reaches a user).
    """
    if isinstance(model, str):
        spec = registry.get_spec(model)
        model_name, input_shape = model_name or spec.name, input_shape or spec.input.shape
        model = meta_model(spec.name, **({"aux_logits": True} if spec.name in AUX_MODELS else {}))
    elif not isinstance(model, nn.Module):
        model_name, input_shape = model_name or model.name, input_shape or model.input.shape
        model = model.model
    name = model_name or type(model).__name__
    if input_shape is None:
        raise ModelError(f"{name}: an input shape (channels, height, width) is needed for its graph.")
    shape = tuple(int(n) for n in input_shape)
    try:
        traced = trace_graph(model, shape)
    except Exception as error:
        return module_tree_graph(model, shape, name, reason=_reason(error))
    notes = _splice_training_heads(model, shape, traced)
    nodes, block_types = split_stages(_ordered(traced.nodes, traced.edges), traced.block_types)
    blocks = _blocks(nodes, block_types)
    inference = [node for node in nodes if not node.training_only]
    graph = Graph(
        model_name=name,
        input_shape=shape,
        nodes=nodes,
        edges=traced.edges,
        blocks=blocks,
        total_params=sum(node.params for node in inference),
        macs=sum(node.macs for node in inference),
        notes=notes,
        # Open at the lecture's level: plain containers and VGG's stages (frames around their layers).
        default_expanded=frozenset(
            path for path, block in blocks.items() if block.container or block.type == STAGE_TYPE
        ),
    )
    return annotate(graph, model)


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, (ModelError, UnsupportedModelError)):
        return text
    return f"{type(error).__name__}: {text[:160]}" if text else type(error).__name__


def graph_of_name(name: str, input_shape: Shape | None = None) -> Graph:
    """``build_graph(name)``, kept for the last few networks (the graph depends on the name and size only).

    The network's own input size is filled in before the cache is asked, so that the Architecture tab (no
    size given) and the summary (the loaded model's size) share one entry instead of tracing twice.
    """
    shape = tuple(int(n) for n in (input_shape or registry.get_spec(name).input.shape))
    return _graph_of_name(name, shape)


# Graphs are small (plain dataclasses, hundreds of nodes) and each costs a meta-device build and an fx trace.
_graph_of_name = functools.lru_cache(maxsize=16)(build_graph)
