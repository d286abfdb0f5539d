"""Other forms of a network's graph: its convolutionized twin at a larger size, and without the training-only heads.

``convolutionized_graph`` is the lecture's "fully convolutional" network drawn: the classifier's ``Linear`` layers
become convolutions (AlexNet's fc6 a 6×6 one, fc7 and fc8 1×1), so that a larger image gives a map of class scores.
Everything runs on the meta device: no weights are allocated, no arithmetic is done.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from torch import fx, nn

from viewer.core.errors import ModelError, UnsupportedModelError
from viewer.core.graph.dataflow import Graph, Shape, format_shape
from viewer.engine.graph.build import build_graph
from viewer.engine.heatmap.convolutionize import ConvolutionizedLinear, conversion_of, convolutionize, propagate_shapes
from viewer.engine.models import registry
from viewer.engine.models.meta import meta_model

__all__ = ["convolutionized_graph", "parse_size", "without_training_heads"]


def parse_size(text: str, option: str = "--convolutionized") -> tuple[int, int]:
    """``"1024x768"`` → (1024, 768) as (width, height); a ``ModelError`` sentence otherwise."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        width, height = (int(part) for part in parts)
    except ValueError:
        raise ModelError(f"{option} {text}: expected WIDTHxHEIGHT in pixels, e.g. 1024x768.") from None
    if width < 1 or height < 1:
        raise ModelError(f"{option} {text}: the width and the height must be positive.")
    return width, height


def convolutionized_graph(
    model: str | nn.Module,
    size: tuple[int, int],
    *,
    input_shape: Shape | None = None,
    model_name: str | None = None,
) -> Graph:
    """The graph of ``model`` made fully convolutional, for an image of ``size`` = (width, height) pixels.

    Args:
        model: A registry name (built on the meta device) or an ``nn.Module`` (never copied; its parameters are
            shared by the convolutionized form and never touched).
        size: (width, height) of the larger input.
        input_shape: The network's own (C, H, W); defaults to the registry's. Required for a bare module.
        model_name: The name shown.

    Raises:
        UnsupportedModelError: the network has no ``Linear`` layer, or cannot be made convolutional (why).
        ModelError: ``size`` is smaller than the network accepts (the message names the smallest size).
    """
    if isinstance(model, str):
        spec = registry.get_spec(model)
        name, module = model_name or spec.name, meta_model(spec.name)
        channels, canonical_height, canonical_width = input_shape or spec.input.shape
    else:
        module, name = model, model_name or type(model).__name__
        if input_shape is None:
            raise ModelError(f"{name}: its own input size (channels, height, width) is needed to convolutionize it.")
        channels, canonical_height, canonical_width = input_shape
    canonical = (channels, canonical_height, canonical_width)
    if not any(isinstance(layer, nn.Linear) for layer in module.modules()):
        raise UnsupportedModelError(
            f"{name} has no fully-connected (Linear) layer to turn into a convolution: it is convolutional already, "
            "so its plain graph is the one to draw at any size."
        )
    fcn = convolutionize(module, canonical)  # shapes on meta tensors: cheap even for VGG
    width, height = size
    try:
        out = propagate_shapes(fcn, (1, channels, height, width))
    except Exception:
        out = None
    if out is None or len(out) != 4 or out[2] < 1 or out[3] < 1:
        smallest = _smallest_size(fcn, canonical)
        raise ModelError(f"{name}: {width}×{height} is too small for its convolutionized form; the smallest image it "
                         f"takes is {smallest[0]}×{smallest[1]} pixels.")  # fmt: skip
    for layer in fcn.modules():
        if isinstance(layer, ConvolutionizedLinear):
            # torch.fx traces through any module not from torch.nn, and this one's forward branches on its input's
            # size: tell the default tracer to keep it whole, as it keeps a Conv2d (it is one).
            layer.__module__ = "torch.nn.modules.conv"
    graph = build_graph(fcn, (channels, height, width), model_name=name)
    if not graph.traced:
        raise UnsupportedModelError(
            f"{name}: the convolutionized network could not be traced ({graph.fallback_reason})."
        )
    info = conversion_of(fcn)
    map_shape = format_shape(tuple(out[1:]))
    variant = f"convolutionized for {width}×{height}: a {map_shape} map of class scores"
    if info.head == "window":
        where = f"one per position of the {canonical[2]}×{canonical[1]} window sliding over the image"
    else:
        where = f"one per cell of the last feature map (the {info.head.replace('-', ' ')} pooling removed)"
    notes = [
        (
            f"Fully convolutional (Long et al.; Sermanet et al.): at {width}×{height} one pass gives {map_shape} class "
            f"scores, {where}."
        ),
        *(f"Converted {line}." for line in info.converted),
        *(f"Removed {line}." for line in info.removed),
        *info.notes,
    ]
    return replace(graph, variant=f"{variant}; {graph.variant}" if graph.variant else variant,
                   notes=notes + list(graph.notes))  # fmt: skip


def _smallest_size(fcn: fx.GraphModule, canonical: tuple[int, int, int]) -> tuple[int, int]:
    """The smallest (width, height) the network takes: a bisection on each side (a few meta passes)."""

    def fits(height: int, width: int) -> bool:
        try:
            out = propagate_shapes(fcn, (1, canonical[0], height, width))
        except Exception:
            return False
        return len(out) == 4 and out[2] >= 1 and out[3] >= 1

    @functools.cache
    def smallest(axis: int) -> int:
        low, high = 1, canonical[1 + axis]  # the network's own size fits
        while low < high:
            middle = (low + high) // 2
            shape = (middle, canonical[2]) if axis == 0 else (canonical[1], middle)
            if fits(*shape):
                high = middle
            else:
                low = middle + 1
        return low

    return smallest(1), smallest(0)


def without_training_heads(graph: Graph) -> Graph:
    """``graph`` without the training-only nodes (GoogLeNet's auxiliary classifiers) and their blocks."""
    keep = [node for node in graph.nodes if not node.training_only]
    if len(keep) == len(graph.nodes):
        return graph
    kept = {node.id for node in keep}
    blocks = {}
    for name, block in graph.blocks.items():
        nodes = tuple(node_id for node_id in block.nodes if node_id in kept)
        if nodes:
            blocks[name] = block
    blocks = {
        name: replace(block, nodes=tuple(n for n in block.nodes if n in kept),
                      children=tuple(child for child in block.children if child in blocks))
        for name, block in blocks.items()
    }  # fmt: skip
    return replace(
        graph,
        nodes=keep,
        edges=[edge for edge in graph.edges if edge.src in kept and edge.dst in kept],
        blocks=blocks,
        default_expanded=frozenset(name for name in graph.default_expanded if name in blocks),
    )
