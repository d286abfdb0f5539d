"""What one unit of a layer saw in one image: deconvolution and guided backpropagation from that unit (issue 23).

A *unit* is one cell (row, col) of one channel's map in one layer (a Linear's output: one element, at (0, 0)).
Zeiler & Fergus (2014) project a unit's activation back to the pixels through a "deconvnet" (the gradient, with each
ReLU's backward rectifying the signal it passes back); guided backpropagation (Springenberg et al. 2015)
also keeps ReLU's forward mask. The engine (:mod:`viewer.engine.explain.unit`) computes both with Captum's
``NeuronDeconvolution`` and ``NeuronGuidedBackprop`` over the whole image, as the Explain tab's maps are.

Each method's :class:`UnitMap` is the usual picture of those methods: the signed gradient per pixel and colour
channel, scaled so that 0 is mid-grey (0.5) and the 99th percentile of the non-zero magnitudes reaches 0 or 1
(clipped beyond: scaled by the very largest, a few extreme pixels left a photo's picture almost uniformly grey),
and the absolute maximum over the colour channels as a map in [0, 1] on the same scale. Both are given over the
network input and over the original image's pixels; :meth:`UnitAttribution.crop` cuts any of them to the unit's
receptive field.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from viewer.core.graph.receptive import ReceptiveField

__all__ = [
    "UNIT_FILE_STEMS",
    "UNIT_METHODS",
    "UNIT_METHOD_LABELS",
    "Box",
    "Picture",
    "Unit",
    "UnitAttribution",
    "UnitMap",
    "box_slices",
]

UNIT_METHODS = ("deconvolution", "guided_backprop")
UNIT_METHOD_LABELS = {
    "deconvolution": "Deconvolution (Zeiler & Fergus)",
    "guided_backprop": "Guided backpropagation",
}
UNIT_FILE_STEMS = {"deconvolution": "deconv", "guided_backprop": "guided"}  # the exports' file names

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) pixel edges; pixel ``i`` spans ``[i, i + 1)``."""

_EPSILON = 1e-6

Picture = Literal["rgb", "magnitude", "image_rgb", "image_magnitude"]
"""A picture of a :class:`UnitMap`: the first two over the network input, the ``image_`` ones over the image."""


@dataclass(frozen=True)
class Unit:
    """One cell of one channel's map in one layer."""

    layer: str
    channel: int
    row: int
    col: int

    @property
    def label(self) -> str:
        return f"{self.layer} channel {self.channel}, cell x {self.col}, y {self.row}"


@dataclass
class UnitMap:
    """One method's picture of the unit, over the network input and over the image."""

    method: str  # one of UNIT_METHODS
    attribution: np.ndarray  # float32 (C, h, w): Captum's result over the network input (signed, unscaled)
    rgb: np.ndarray  # float32 (h, w, 3) in [0, 1]: 0.5 + 0.5·clip(gradient / scale) (grey input: its channel thrice)
    magnitude: np.ndarray  # float32 (h, w) in [0, 1]: max over channels of clip(|gradient| / scale)
    image_rgb: np.ndarray  # uint8 (H, W, 3): ``rgb`` resized to the image (8-bit: a photo's float copy is 4x)
    image_magnitude: np.ndarray  # float32 (H, W): ``magnitude`` resized to the image (as the Explain maps are)
    peak: float  # max |attribution| (0 when the gradient is 0 everywhere)
    # The share of the gradient's energy (sum of squares) outside the unit's field box: 0 when every layer up to the
    # unit is local; a global op on the way (squeeze-excitation's pooling) lets a little reach the whole image.
    outside_energy: float = 0.0
    scale: float = 0.0  # the pictures' scale: the 99th percentile of the non-zero |attribution| (0: none)

    @property
    def label(self) -> str:
        return UNIT_METHOD_LABELS[self.method]


@dataclass
class UnitAttribution:
    """Deconvolution and guided backpropagation of one unit on one image, and where the unit looks."""

    unit: Unit
    activation: float  # the unit's value on this image
    channel_map: np.ndarray  # float32 (map_h, map_w): the unit's channel over this input, the unit's cell in it
    default_cell: bool  # True when the cell was not given: the channel's strongest cell on this image (argmax)
    maps: dict[str, UnitMap]  # method (UNIT_METHODS) -> its pictures
    receptive_field: ReceptiveField | None  # None: the unit sees the whole input (after a Linear, global pooling)
    input_box: Box  # the unit's field in the network input's pixels, clipped to the input
    image_box: Box  # the same box in the original image's pixels
    input_size: tuple[int, int]  # (width, height) the network saw
    image_size: tuple[int, int]  # (width, height) of the original image, upright
    image_path: str
    model: str
    weights: str
    weights_sha256: str | None
    parameters: dict[str, Any] = field(default_factory=dict)  # how the input was made, the ReLU rules applied
    notes: list[str] = field(default_factory=list)  # what the user should know (a non-ReLU nonlinearity, …)
    device: str = "cpu"
    timings_ms: dict[str, float] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)  # the weights' recipe (viewer.core.network.recipe)
    versions: dict[str, str] = field(default_factory=dict)  # torch, torchvision, captum, viewer

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.maps)

    def crop(self, method: str, picture: Picture = "image_rgb") -> np.ndarray:
        """``picture`` of ``method`` cut to the unit's receptive field (the whole picture for a global unit)."""
        data: np.ndarray = getattr(self.maps[method], picture)
        box = self.image_box if picture.startswith("image_") else self.input_box
        rows, cols = box_slices(box, data.shape[:2])
        return data[rows, cols]

    def provenance(self) -> dict[str, Any]:
        """Everything needed to reproduce these maps, JSON-able (the CLI's JSON embeds it)."""
        return {
            "kind": "unit_attribution",
            "unit": dataclasses.asdict(self.unit),
            "default_cell": self.default_cell,
            "activation": self.activation,
            "map_shape": list(self.channel_map.shape),
            "methods": {
                method: {"label": item.label, "peak": item.peak, "outside_energy": item.outside_energy}
                for method, item in self.maps.items()
            },
            "receptive_field": None if self.receptive_field is None else self.receptive_field.as_dict(),
            "input_box": list(self.input_box),
            "image_box": list(self.image_box),
            "model": self.model,
            "weights": self.weights,
            "weights_sha256": self.weights_sha256,
            "parameters": self.parameters,
            "recipe": self.recipe,
            "image": {"path": self.image_path, "size": list(self.image_size)},
            "input_size": list(self.input_size),
            "notes": list(self.notes),
            "device": self.device,
            "versions": dict(self.versions),
        }


def box_slices(box: Box, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """(rows, cols) of the pixels a box touches in an array of ``shape`` (height, width, …): its edges outward to
    whole pixels, clipped, never empty."""
    height, width = int(shape[0]), int(shape[1])
    # A box scaled to the image's pixels has edges such as 20.999999: within _EPSILON they are whole.
    x0 = min(max(0, math.floor(box[0] + _EPSILON)), width - 1)
    y0 = min(max(0, math.floor(box[1] + _EPSILON)), height - 1)
    x1 = min(width, max(x0 + 1, math.ceil(box[2] - _EPSILON)))
    y1 = min(height, max(y0 + 1, math.ceil(box[3] - _EPSILON)))
    return slice(y0, y1), slice(x0, x1)
