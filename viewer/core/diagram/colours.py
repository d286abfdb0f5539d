"""The Architecture diagram's colours, one table for every renderer: the app's scene and ``viewer graph --svg``.

A box is coloured by its kind: the input, a join (``+`` or concatenation), a collapsed block, or its layer's kind
read off its type name (convolution, normalisation, activation, pooling, linear, reshaping). Two tables, one in
the SVG writer and one in the scene, had drifted apart (convolution ``#dbe9f9`` against ``#d6e6fa``) though the
README promised the same boxes; these are the app's.
"""

from __future__ import annotations

from viewer.core.graph.dataflow import ViewNode

__all__ = [
    "BORDER",
    "FRAME_BORDER",
    "FRAME_FILLS",
    "KIND_COLOURS",
    "ROUTE",
    "SELECTED",
    "TEXT",
    "TRAINING",
    "fill_for",
    "kind_of",
]

KIND_COLOURS = {
    "conv": "#d6e6fa",
    "norm": "#dcf0dc",
    "activation": "#fde6c8",
    "pool": "#e9dcf5",
    "linear": "#f8d6d6",
    "reshape": "#eeeeee",
    "block": "#dfe4ea",
    "join": "#ffffff",
    "input": "#fff5c2",
    "other": "#ffffff",
}
# A layer's kind, from words of its type name (first match wins: a "ConvBNReLU" is a convolution).
_KIND_WORDS = (
    ("conv", ("conv",)),
    ("norm", ("norm",)),
    ("activation", ("relu", "gelu", "silu", "sigmoid", "tanh", "hardswish", "softmax", "mish", "elu")),
    ("pool", ("pool",)),
    ("linear", ("linear",)),
    ("reshape", ("dropout", "flatten", "identity", "view", "reshape")),
)
BORDER = "#5a6b7c"  # a box's outline
SELECTED = "#1565c0"  # the selected box's outline (the app only)
TRAINING = "#b0413e"  # training-only heads: dashed, in the colour of a warning
ROUTE = "#6f8194"  # edges
TEXT = "#3d4b59"  # a frame's label
FRAME_BORDER = "#8c9bab"
FRAME_FILLS = ("#f4f7fb", "#eaf0f7", "#e0e8f2")  # deeper frames a little darker, so nesting reads


def kind_of(node: ViewNode) -> str:
    """The colour class of a box: input, join, block, or the layer kind read off its type name."""
    if node.kind in ("input", "join", "block"):
        return node.kind
    lowered = node.type.lower()
    for kind, words in _KIND_WORDS:
        if any(word in lowered for word in words):
            return kind
    return "other"


def fill_for(node: ViewNode) -> str:
    """A box's fill colour (``#rrggbb``)."""
    return KIND_COLOURS[kind_of(node)]
