"""Architecture summary: output shape, parameters, MACs, memory and receptive field per layer, from the graph.

Everything comes from :func:`viewer.engine.graph.build.build_graph` (one torch.fx trace run on the meta device): the
table (:func:`format_table`, :func:`summary_rows`) has one row per call in execution order, so a module called
three times is three rows with three shapes, and functional operations (additions, concatenations) have rows of
their own. A ResNet block's row carries the lecture's count beside the real one
(:mod:`viewer.core.lecture.counts`): lines under it in the text, a ``lecture`` object in JSON, ``lecture_*``
columns in CSV. :class:`Summary` also keeps the module tree (:class:`LayerNode`) that the Activations tab picks layers
from: a module's node shows its first call's shape and field, its MACs summed over its calls.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from torch import nn

from viewer.core.errors import ModelError
from viewer.core.graph.dataflow import Block, Graph, GraphNode
from viewer.core.graph.table import format_graph_table, graph_rows
from viewer.core.lecture.counts import LectureFormula, block_formulas
from viewer.core.results.summary import LayerNode, Summary
from viewer.engine.graph.build import AUX_MODELS, build_graph, graph_of_name
from viewer.engine.graph.trace import hyper_parameters
from viewer.engine.models import registry
from viewer.engine.models.meta import meta_model

if TYPE_CHECKING:
    from viewer.engine.models.weights import LoadedModel

__all__ = [
    "format_table",
    "meta_model",
    "parameter_split",
    "summarize",
    "summary_rows",
    "summary_to_dict",
]


def _memory(shape: tuple[int, ...] | None) -> int:
    return 4 * math.prod(shape) if shape else 0


def _output_node(graph: Graph, block: Block) -> GraphNode:
    """The node whose tensor leaves ``block`` last (its output), else its last node."""
    inside = set(block.nodes)
    leaving = {edge.src for edge in graph.edges if edge.src in inside and edge.dst not in inside}
    candidates = [node_id for node_id in block.nodes if node_id in leaving] or list(block.nodes)
    return graph.node(candidates[-1])


def _tree(model: nn.Module, graph: Graph) -> LayerNode:
    def build(name: str, module: nn.Module) -> LayerNode:
        children = [build(f"{name}.{child}" if name else child, sub) for child, sub in module.named_children()]
        calls = graph.calls_of(name) if name else []
        shape, field_, macs, training_only = None, None, 0, False
        if calls:
            shape, field_ = calls[0].shape, calls[0].receptive_field
            macs, training_only = sum(call.macs for call in calls), all(call.training_only for call in calls)
        elif name in graph.blocks:
            block = graph.blocks[name]
            last = _output_node(graph, block)
            shape, field_, macs, training_only = last.shape, last.receptive_field, block.macs, block.training_only
        elif not name:
            shape = next((n.shape for n in reversed(graph.nodes) if not n.training_only), None)
            macs = graph.macs
        else:  # never called itself (a ModuleList): its cost is its children's
            macs = sum(child.macs for child in children)
            training_only = bool(children) and all(child.training_only for child in children)
        return LayerNode(
            name=name,
            type=type(module).__name__,
            hyper=hyper_parameters(module),
            output_shape=shape,
            params_own=sum(p.numel() for p in module.parameters(recurse=False)),
            params=sum(p.numel() for p in module.parameters()),
            macs=macs,
            memory_bytes=_memory(shape),
            receptive_field=field_,
            is_block=bool(children),
            children=children,
            training_only=training_only,
            calls=max(len(calls), 1),
        )

    return build("", model)


def summarize(
    model: nn.Module | str | LoadedModel,
    input_shape: tuple[int, int, int] | None = None,
    *,
    model_name: str | None = None,
) -> Summary:
    """The summary of ``model`` for one ``input_shape`` (C, H, W) image.

    Args:
        model: An ``nn.Module`` (never copied, never run for real unless the meta device cannot run it), a registry
            name (built on the meta device, auxiliary heads included) or a ``LoadedModel``.
        input_shape: (C, H, W); defaults to the registry's input for a name or a ``LoadedModel``.
        model_name: The name shown in tables; defaults to the registry name or the class name.

    Auxiliary classifiers that only run in training are traced in training mode and marked ``training_only``; the
    totals (``macs``) are those of inference, which is what torchvision's ``_ops`` report.
    """
    registry_name: str | None = None  # a network built as the registry builds it: its cached graph serves
    if isinstance(model, str):
        spec = registry.get_spec(model)
        registry_name, model_name, input_shape = spec.name, model_name or model, input_shape or spec.input.shape
        model = meta_model(model, **({"aux_logits": True} if model in AUX_MODELS else {}))
    elif not isinstance(model, nn.Module) and isinstance(getattr(model, "model", None), nn.Module):
        model_name, input_shape = model_name or model.name, input_shape or model.input.shape
        if getattr(getattr(model, "spec", None), "source", "custom") != "custom":
            registry_name = model.name
        model = model.model
    if not isinstance(model, nn.Module):
        raise ModelError(f"Cannot summarize {type(model).__name__}: expected a model, a model name or a loaded model.")
    model_name = model_name or type(model).__name__
    if input_shape is None:
        raise ModelError(f"{model_name}: an input shape (channels, height, width) is needed for a summary.")
    shape = (int(input_shape[0]), int(input_shape[1]), int(input_shape[2]))
    if registry_name is not None and model_name == registry_name:
        graph = graph_of_name(registry_name, shape)
    else:
        graph = build_graph(model, shape, model_name=model_name)
    predicting, trainable, heads = parameter_split(model, graph)
    return Summary(
        model_name=model_name,
        input_shape=shape,
        root=_tree(model, graph),
        total_params=predicting,
        trainable_params=trainable,
        macs=graph.macs,
        graph=graph,
        training_only_params=heads,
        training_only_macs=graph.training_macs,
    )


def parameter_split(model: nn.Module, graph: Graph) -> tuple[int, int, int]:
    """(parameters of the network that predicts, of those the trainable ones, parameters of training-only heads).

    A parameter is a training-only head's when the module that owns it is called only in training (the graph's
    ``training_only`` nodes: GoogLeNet's ``aux1``/``aux2``, Inception-v3's ``AuxLogits``). A shared parameter is
    counted once, as ``model.parameters()`` counts it.
    """
    heads = {node.module for node in graph.nodes if node.training_only and node.module}
    predicting = trainable = training_only = 0
    for name, parameter in model.named_parameters():
        count = parameter.numel()
        if name.rpartition(".")[0] in heads:
            training_only += count
        else:
            predicting += count
            trainable += count if parameter.requires_grad else 0
    return predicting, trainable, training_only


def _graph_of(summary: Summary) -> Graph:
    if summary.graph is None:
        raise ModelError(f"{summary.model_name}: this summary has no graph.")
    return summary.graph


_LECTURE_KEY = "lecture: (k×k×C_in + 1) × C_out per convolution, a bias per filter; differs: why Params is not that"


def format_table(summary: Summary, depth: int | None = None) -> str:
    """The text table of ``summary``: one row per call in execution order (see :func:`format_graph_table`).

    Under each ResNet basic block and bottleneck, the lecture's formula and value, and why the module's count
    differs; under a bottleneck, the basic block at its width that the lecture compares it with.
    """
    graph = _graph_of(summary)
    notes = {name: formula.table_lines for name, formula in block_formulas(graph).items()}
    return format_graph_table(graph, depth, block_notes=notes, notes_key=_LECTURE_KEY)


def _node_dict(node: LayerNode, formulas: dict[str, LectureFormula]) -> dict[str, object]:
    lecture = {"lecture": formulas[node.name].as_dict()} if node.name in formulas else {}
    return {
        "name": node.name,
        "type": node.type,
        "output_shape": list(node.output_shape) if node.output_shape is not None else None,
        "params": node.params,
        "params_own": node.params_own,
        "macs": node.macs,
        "calls": node.calls,
        "memory_bytes": node.memory_bytes,
        "hyper": {k: list(v) if isinstance(v, tuple) else v for k, v in node.hyper.items()},
        "receptive_field": node.receptive_field.as_dict() if node.receptive_field else None,
        "training_only": node.training_only,
        **lecture,
        "children": [_node_dict(child, formulas) for child in node.children],
    }


def summary_to_dict(summary: Summary) -> dict[str, object]:
    """A JSON-ready dict: ``layers`` nests the module tree, ``calls`` lists the table's rows in execution order.

    A ResNet block has a ``lecture`` object in both (see :meth:`LectureFormula.as_dict`).
    """
    graph = _graph_of(summary)
    formulas = block_formulas(graph)
    calls = [row if f is None else {**row, "lecture": f.as_dict()} for row, f in _rows(graph, formulas)]
    return {
        "model": summary.model_name,
        "input": list(summary.input_shape),
        "total_params": summary.total_params,
        "trainable_params": summary.trainable_params,
        "macs": summary.macs,
        "training_only_params": summary.training_only_params,
        "training_only_macs": summary.training_only_macs,
        "variant": graph.variant,
        "notes": list(graph.notes),
        "layers": [_node_dict(child, formulas) for child in summary.root.children],
        "calls": calls,
    }


def summary_rows(summary: Summary) -> list[dict[str, object]]:
    """One flat row per call (and per block entered), in execution order, for CSV.

    A ResNet block's row adds ``lecture_formula``, ``lecture_params`` and ``lecture_reason`` (only then: other
    networks' CSV keeps its columns).
    """
    graph = _graph_of(summary)
    rows: list[dict[str, object]] = []
    for row, formula in _rows(graph, block_formulas(graph)):
        if formula is not None:
            row |= {"lecture_formula": formula.formula, "lecture_params": formula.value, "lecture_reason": formula.why}
        rows.append(row)
    return rows


def _rows(graph: Graph, formulas: dict[str, LectureFormula]) -> list[tuple[dict[str, object], LectureFormula | None]]:
    """The table's rows, each with its block's lecture formula (None for calls and other blocks)."""
    rows: list[tuple[dict[str, object], LectureFormula | None]] = []
    for row in graph_rows(graph):
        rf = row.receptive_field
        base = {
            "name": row.name,
            "kind": row.kind,
            "type": row.type,
            "depth": row.depth,
            "module": row.module or "",
            "call": row.call,
            "calls": row.calls,
            "output_shape": _shape_text(row.shape),
            "params": row.params,
            "macs": row.macs,
            "memory_bytes": row.memory_bytes,
            "rf_size": rf.size[0] if rf else "",
            "rf_jump": rf.jump[0] if rf else "",
            "training_only": row.training_only,
        }
        rows.append((base, formulas.get(row.name) if row.kind == "block" else None))
    return rows


def _shape_text(shape: tuple[int, ...] | None) -> str:
    return "—" if shape is None else "x".join(map(str, shape)) or "scalar"
