"""Whether a network's data-flow graph can be drawn convolutionized, read off the graph (no torch).

The engine's ``convolutionize`` turns a classifier's ``Linear`` layers into convolutions; a network without one is
convolutional already, and attention over a fixed grid of tokens has no window to slide. The Architecture tab
offers the convolutionized form only where this finds no reason against it; the engine has the last word.
"""

from __future__ import annotations

from viewer.core.graph.dataflow import Graph

__all__ = ["CONVOLUTIONIZED_TYPE", "convolutionize_refusal", "is_convolutionized"]

CONVOLUTIONIZED_TYPE = "ConvolutionizedLinear"  # the engine's module class for a Linear made a convolution


def is_convolutionized(graph: Graph) -> bool:
    """True for a graph the engine convolutionized (its classifier's Linear layers are convolutions)."""
    return any(node.type == CONVOLUTIONIZED_TYPE for node in graph.nodes)


def convolutionize_refusal(graph: Graph) -> str:
    """Why ``graph``'s network cannot be drawn convolutionized (one sentence), or '' when it can."""
    name = graph.model_name
    if not graph.traced:
        return f"{name} could not be traced, so its convolutionized form cannot be drawn either."
    types = {node.type for node in graph.nodes} | {block.type for block in graph.blocks.values()}
    if any("Attention" in kind for kind in types):
        return (f"{name} cannot be made fully convolutional: its attention mixes every token of a fixed grid, so an "
                "output has no bounded window to slide.")  # fmt: skip
    if "Linear" not in types and CONVOLUTIONIZED_TYPE not in types:
        return (f"{name} has no fully-connected layer to turn into a convolution: it is convolutional already, so "
                "its graph is the same at any size.")  # fmt: skip
    return ""
