"""A dense class heatmap over an image, and the small copy of its scores that the screen shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SCREEN_HEATMAP_SIDE", "ClassHeatmap", "HeatmapOnScreen"]

SCREEN_HEATMAP_SIDE = 1024  # a heatmap is smooth: more pixels than this add nothing on screen


@dataclass
class ClassHeatmap:
    """One class's dense map over an image, fused over scales, in the image's own pixel coordinates."""

    scores: np.ndarray  # float32 (H, W): fused over the scales used
    per_scale: list[np.ndarray]  # float32 (H, W) each, one per entry of ``scales``
    class_index: int
    class_name: str
    mode: str  # "softmax" (probability per cell) or "logit"
    scales: tuple[float, ...]  # the scales used (skipped ones are in ``notes``)
    offsets: bool  # OverFeat's offsets were applied
    fuse: str
    image_path: str
    image_size: tuple[int, int]  # (width, height)
    model: str
    weights: str
    weights_sha256: str | None
    grid_shapes: list[tuple[int, int]]  # class-map cells (rows, cols) per scale
    grids: list[np.ndarray] = field(default_factory=list)  # float32 raw cell scores per scale, before placement
    tiles: list[int] = field(default_factory=list)  # forward passes per scale (1 = untiled)
    notes: list[str] = field(default_factory=list)
    requested_scales: tuple[float, ...] = ()
    base_size: int = 0
    input_sizes: list[tuple[int, int]] = field(default_factory=list)  # (width, height) the network saw per scale
    geometry: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    # The weights' recipe (viewer.core.network.recipe): its resize is the base size, its interpolation, mean and std
    # are applied; its crop is not (the whole image is seen).
    recipe: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The libraries that made it (torch, torchvision, viewer), read by the engine: provenance says them, and the
    # window (which never imports torch) exports it.
    versions: dict[str, str] = field(default_factory=dict)

    def provenance(self) -> dict[str, Any]:
        """Everything needed to reproduce this map, JSON-able (exports embed it)."""
        return {
            "kind": "dense class heatmap",
            "model": self.model,
            "weights": self.weights,
            "weights_sha256": self.weights_sha256,
            "preprocessing": self.preprocessing,
            "recipe": self.recipe,
            "class_index": self.class_index,
            "class_name": self.class_name,
            "mode": self.mode,
            "scales": list(self.scales),
            "requested_scales": list(self.requested_scales),
            "base_size": self.base_size,
            "input_sizes": [list(size) for size in self.input_sizes],
            "grid_shapes": [list(shape) for shape in self.grid_shapes],
            "tiles": list(self.tiles),
            "geometry": self.geometry,
            "offsets": self.offsets,
            "fuse": self.fuse,
            "image": {"path": self.image_path, "size": list(self.image_size)},
            "score_range": [float(self.scores.min()), float(self.scores.max())],
            "notes": list(self.notes),
            "device": self.device,
            "versions": dict(self.versions),
        }


@dataclass(frozen=True)
class HeatmapOnScreen:
    """A ``ClassHeatmap`` and the copy of its scores the screen shows, made on the worker.

    Scores come at the original image's size (tens of megapixels for a phone photo); colouring them at each
    render would hold the GUI thread for a fraction of a second, so the views get at most
    ``SCREEN_HEATMAP_SIDE`` pixels a side and the range precomputed. Exports use ``heatmap.scores``.
    """

    heatmap: ClassHeatmap
    scores: np.ndarray  # float32, NaN-free, longer side <= SCREEN_HEATMAP_SIDE
    levels: tuple[float, float]  # (low, high) of the full scores, high > low
