"""The worker's jobs for the Architecture tab's lecture views: ResNet's Table 1 and the convolutionized graph.

Like ``tasks.py``, they run on the worker thread and import the engine lazily, so that the GUI thread never
imports torch; both build graphs on the meta device (no weights, no arithmetic on tensors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine is imported on the worker, when a job first runs
    from viewer.core.graph import Graph
    from viewer.engine.lecture_tables import ResNetTable

__all__ = ["convolutionized_graph", "lecture_table"]


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
