"""The jobs of the Architecture tab: the data-flow graph, its drawing, and the lecture's views of it.

Graphs are built on the meta device (no weights, no arithmetic on tensors); the drawing is grandalf's (pure
Python). The engine is imported when a job first runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from viewer.core.graph import Graph
    from viewer.core.layout import Direction, Layout
    from viewer.core.results.lecture import ResNetTable

__all__ = ["convolutionized_graph", "graph", "graph_groups", "graph_layout", "lecture_table"]


def graph(model: str | None, model_file: str | None = None, model_file_sha256: str | None = None) -> Graph:
    """The data-flow graph of a registry network or a custom model file, built without weights.

    Registry networks come from ``graph_of_name`` (meta device, cached for the last few). A custom model file
    is run the way the app loads it (``custom_spec``: the content the user agreed to run, checked) and built
    on the meta device when its builder allows, on the CPU with random weights otherwise.
    """
    from viewer.engine.graph import build_graph, graph_of_name

    if not model_file:
        return graph_of_name(model or "")
    import torch

    from viewer.core.errors import ModelError
    from viewer.engine.weights import custom_spec

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
    return build_graph(module, spec.input.shape, model_name=spec.name)


def graph_layout(graph: Graph, expanded: frozenset[str], direction: Direction = "TB") -> Layout:
    """The drawing of ``graph`` with the blocks of ``expanded`` open, flowing in ``direction`` (grandalf, pure
    Python)."""
    from viewer.core.graph import collapse
    from viewer.engine.layout import layout_view

    return layout_view(collapse(graph, expanded), direction)


def graph_groups(graph: Graph, block: str, direction: Direction = "TB") -> Layout:
    """``block``'s grouped convolution drawn as its pathways merged by a sum (ResNeXt's Fig. 3a)."""
    from viewer.core.graph import collapse
    from viewer.core.graph_groups import expand_groups
    from viewer.engine.layout import layout_view

    return layout_view(collapse(expand_groups(graph, block), frozenset()), direction)


def convolutionized_graph(model: str, size: tuple[int, int]) -> Graph:
    """The registry network ``model`` made fully convolutional for a ``size`` = (width, height) image.

    Raises:
        ModelError: the size is too small (the sentence names the smallest), or the network cannot be
            convolutionized (no Linear layer, attention).
    """
    from viewer.engine.graph_variants import convolutionized_graph as engine_convolutionized

    return engine_convolutionized(model, size)


def lecture_table(chosen: str | None) -> ResNetTable:
    """ResNet's Table 1 (He et al. 2015) read from the five ResNets' graphs, ``chosen``'s column marked if it is one.

    Any other network gets the table unmarked (the engine refuses to mark a network it does not hold).
    """
    from viewer.engine.lecture_tables import RESNET_TABLE_MODELS, resnet_table

    known = {name for pair in RESNET_TABLE_MODELS for name in pair}
    return resnet_table(chosen if chosen in known else None)
