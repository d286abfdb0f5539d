"""The jobs of the Architecture tab: the data-flow graph, its drawing, and the lecture's views of it.

Graphs are built on the meta device (no weights, no arithmetic on tensors); the drawing is grandalf's (pure
Python). The engine is imported when a job first runs.

The engine keeps the last graphs it returned, each under the ``key`` it gave it: the window's drawings of a
graph (its blocks opened, its direction turned, a block's pathways) name it by that key instead of sending the
whole graph back, which the window encoded on its GUI thread (60 ms for ResNet-50). A key the engine no longer
holds (it restarted, or kept newer graphs) fails with ``GraphGone``, and the window sends the graph itself.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING

from viewer.core.errors import GraphGone

if TYPE_CHECKING:
    from viewer.core.diagram.layout import Direction, Layout
    from viewer.core.graph.dataflow import Graph
    from viewer.core.results.lecture import ResNetTable

__all__ = ["KEPT_GRAPHS", "convolutionized_graph", "graph", "graph_groups", "graph_layout", "lecture_table"]

KEPT_GRAPHS = 8  # a few networks and their convolutionized forms
_kept: OrderedDict[str, Graph] = OrderedDict()
_kept_lock = threading.Lock()
_keys = itertools.count(1)


def _keep(built: Graph) -> Graph:
    """``built`` under a new key, kept (a shallow copy: the graph caches' own objects stay as they are)."""
    kept = replace(built, key=f"{os.getpid()}-{next(_keys)}")
    with _kept_lock:
        _kept[kept.key] = kept
        while len(_kept) > KEPT_GRAPHS:
            _kept.popitem(last=False)
    return kept


def _held(graph: Graph | str) -> Graph:
    """The graph itself, or the one kept under that key."""
    if not isinstance(graph, str):
        return graph
    with _kept_lock:
        found = _kept.get(graph)
        if found is not None:
            _kept.move_to_end(graph)
    if found is None:
        raise GraphGone(f"the engine no longer holds graph {graph}; the window sends it again.")
    return found


def graph(model: str | None, model_file: str | None = None, model_file_sha256: str | None = None) -> Graph:
    """The data-flow graph of a registry network or a custom model file, built without weights.

    Registry networks come from ``graph_of_name`` (meta device, cached for the last few). A custom model file
    is run the way the app loads it (``custom_spec``: the content the user agreed to run, checked) and built
    on the meta device when its builder allows, on the CPU with random weights otherwise.
    """
    from viewer.engine.graph.build import build_graph, graph_of_name

    if not model_file:
        return _keep(graph_of_name(model or ""))
    import torch

    from viewer.core.errors import ModelError
    from viewer.engine.models.weights import custom_spec

    spec = custom_spec(model_file, model_file_sha256)
    assert spec.builder is not None
    try:
        with torch.device("meta"):
            module = spec.builder()
    # A builder that computes with tensors (``.item()``) cannot run on the meta device: then on the CPU.
    except Exception:
        try:
            module = spec.builder()
        except Exception as error:
            raise ModelError(f"{spec.name}: the builder failed ({type(error).__name__}: {error}).") from None
    return _keep(build_graph(module, spec.input.shape, model_name=spec.name))


def graph_layout(graph: Graph | str, expanded: frozenset[str], direction: Direction = "TB") -> Layout:
    """The drawing of ``graph`` (or the one kept under that key) with the blocks of ``expanded`` open, flowing in
    ``direction`` (grandalf, pure Python)."""
    from viewer.core.graph.dataflow import collapse
    from viewer.engine.layout.layered import layout_view

    return layout_view(collapse(_held(graph), expanded), direction)


def graph_groups(graph: Graph | str, block: str, direction: Direction = "TB") -> Layout:
    """``block``'s grouped convolution drawn as its pathways merged by a sum (ResNeXt's Fig. 3a)."""
    from viewer.core.graph.dataflow import collapse
    from viewer.core.graph.groups import expand_groups
    from viewer.engine.layout.layered import layout_view

    return layout_view(collapse(expand_groups(_held(graph), block), frozenset()), direction)


def convolutionized_graph(model: str, size: tuple[int, int]) -> Graph:
    """The registry network ``model`` made fully convolutional for a ``size`` = (width, height) image.

    Raises:
        ModelError: the size is too small (the sentence names the smallest), or the network cannot be
            convolutionized (no Linear layer, attention).
    """
    from viewer.engine.graph.variants import convolutionized_graph as engine_convolutionized

    return _keep(engine_convolutionized(model, size))


def lecture_table(chosen: str | None) -> ResNetTable:
    """ResNet's Table 1 (He et al. 2015) read from the five ResNets' graphs, ``chosen``'s column marked if it is one.

    Any other network gets the table unmarked (the engine refuses to mark a network it does not hold).
    """
    from viewer.engine.lecture_tables import RESNET_TABLE_MODELS, resnet_table

    known = {name for pair in RESNET_TABLE_MODELS for name in pair}
    return resnet_table(chosen if chosen in known else None)
