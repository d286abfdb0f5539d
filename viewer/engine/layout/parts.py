"""The constants and the working types of the layered layout (``viewer.engine.layout.layered``): slots and parts.

Shared by its steps: ``order`` (ranks and order), ``place`` (x and y) and ``layered`` (routes, frames and the
whole).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from grandalf.layouts import Layer

__all__ = [
    "COMPONENT_GAP",
    "DUMMY_SPACE",
    "DUMMY_WIDTH",
    "FRAME_LABEL",
    "FRAME_PAD",
    "MAIN_SLACK",
    "MARGIN",
    "ORDER_BUDGET",
    "ORDER_ROUNDS",
    "STIFF_DUMMY",
    "STIFF_MAIN",
    "STIFF_SIDE",
    "STIFF_TRAINING",
    "SWEEPS",
    "X_SPACE",
    "Y_SPACE",
    "IndexedLayers",
    "Part",
    "Slot",
    "VertexSize",
]

MARGIN = 24.0
X_SPACE = 18.0  # between two boxes of a rank
DUMMY_WIDTH = 8.0  # the corridor an edge keeps free in each rank it crosses
DUMMY_SPACE = 8.0  # between two corridors
Y_SPACE = 26.0  # between two ranks' bands, where the edges cross over
FRAME_PAD = 8.0
FRAME_LABEL = 14.0
COMPONENT_GAP = 60.0
ORDER_ROUNDS = 3  # grandalf's crossing-reduction rounds (down and up)
ORDER_BUDGET = 4000  # slots (boxes and corridors): above it, one round (DenseNet's hundreds of concatenation edges)
SWEEPS = 7  # coordinate sweeps: down, up, ..., down
MAIN_SLACK = 2  # an edge that could stretch over this many more ranks bypasses the main path

# How firmly a slot holds its place when neighbours compete for it: each level yields (almost) entirely to the one
# above, so that the main column stays straight to a fraction of a unit.
STIFF_MAIN = 1e8  # a box on a longest path of its component
STIFF_SIDE = 1e4  # a box on a branch at least MAIN_SLACK ranks shorter
STIFF_TRAINING = 1.0  # an auxiliary head
STIFF_DUMMY = 1e-4  # an edge's corridor


class VertexSize:
    """grandalf's per-vertex view (it reads ``w`` and ``h``)."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class IndexedLayers(list[Layer]):
    """grandalf's list of layers, where a layer's setup finds its own rank by identity.

    ``Layer.setup`` calls ``layers.index(layer)``, and a Layer compares by content: quadratic in the number of
    ranks (a tenth of a second for ResNet-152 fully expanded).
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        super().__init__(layers)
        self._rank = {id(layer): rank for rank, layer in enumerate(self)}

    def index(self, layer: Layer, *args: object) -> int:
        return self._rank[id(layer)]


@dataclass(eq=False)
class Slot:
    """One place in a rank: a box (``id``) or the corridor of a long edge (``id`` None, ``edge`` its index)."""

    id: str | None
    edge: int
    rank: int
    w: float
    stiffness: float
    frames: frozenset[str]
    x: float = 0.0
    up: list[tuple[Slot, float]] = field(default_factory=list)
    down: list[tuple[Slot, float]] = field(default_factory=list)


@dataclass
class Part:
    """One connected component, laid out on its own.

    Its coordinates are those of a top-down drawing: ``x`` along a rank, ``y`` from rank to rank. A left-to-right
    drawing is laid out so and turned (``x`` becomes ``y``); ``label_across`` is then true, and a frame's label,
    which is always written above the frame, takes room along the ranks (before the frame's first slot in
    ``x``) instead of between them.
    """

    layers: list[list[Slot]]
    slots: dict[str, Slot]
    chains: dict[int, list[Slot]]  # edge index → its slots from the upper end to the lower end
    inverted: set[int]  # edges drawn upwards (only in a cyclic view)
    label_across: bool = False
    band_top: list[float] = field(default_factory=list)
    band_height: list[float] = field(default_factory=list)
