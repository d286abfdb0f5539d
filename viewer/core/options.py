"""The option values every layer offers: preprocessing presets, heatmap modes and fusions, activation orders.

Defined once here (no torch) so that the engine validates them, the CLI lists them as ``choices`` and the GUI
fills its pickers from the same tuples, without importing the engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

__all__ = [
    "ACTIVATION_COLORMAPS",
    "EXPLAIN_DEFAULTS",
    "EXPLAIN_METHODS",
    "FUSIONS",
    "HEATMAP_COLORMAPS",
    "IG_STEPS",
    "MODES",
    "NORMALIZATIONS",
    "OCCLUSION_PATCH",
    "OCCLUSION_STRIDE",
    "PRESETS",
    "PRESET_LABELS",
    "SCALE_PRESETS",
    "SMALL_TILE_PIXELS",
    "SORT_KEYS",
    "ExplainOptions",
    "Fusion",
    "HeatmapRequest",
    "Mode",
    "Normalization",
    "Preset",
    "SortKey",
    "parse_scales",
]

Preset = Literal["weights", "standardize", "full"]
PRESETS: tuple[Preset, ...] = get_args(Preset)
"""How an image becomes the network input: the weights' own transform, the lecture's standardisation, or the
full-resolution image."""
PRESET_LABELS: dict[Preset, str] = {
    "weights": "Weights' own (resize + crop)",
    "standardize": "Standardise (lecture)",
    "full": "Full resolution",
}

Mode = Literal["softmax", "logit"]
MODES: tuple[Mode, ...] = get_args(Mode)
"""What a dense heatmap shows per position: the class probability or its raw logit."""

Fusion = Literal["mean", "max"]
FUSIONS: tuple[Fusion, ...] = get_args(Fusion)
"""How the maps of several scales are fused into one."""

SMALL_TILE_PIXELS = 512 * 512
"""A dense heatmap's ``max_tile_pixels`` when it is run again after the GPU ran out of memory (same map: the
engine overlaps the tiles)."""


@dataclass(frozen=True)
class HeatmapRequest:
    """The dense heatmap asked for (the Heatmap tab's Compute, ``viewer gui --class``), kept for every image and
    model until another is asked for: ``dense_heatmap``'s options, the class as an index or as the user named it
    ("cat", "281": resolved against the shown model's classes when the job is sent; neither: the top class)."""

    class_index: int | None = None
    class_name: str | None = None
    mode: Mode = "softmax"
    scales: tuple[float, ...] = (1.0, 1.4, 2.0)
    offsets: bool = False
    fuse: Fusion = "mean"
    max_tile_pixels: int | None = None  # None: the engine's own tiling

    def engine_options(self, class_index: int | None) -> dict[str, object]:
        """The keyword arguments of the engine's heatmap job, for the class resolved to ``class_index``."""
        return {
            "class_index": class_index,
            "mode": self.mode,
            "scales": self.scales,
            "offsets": self.offsets,
            "fuse": self.fuse,
            "max_tile_pixels": self.max_tile_pixels,
        }


SCALE_PRESETS: Mapping[str, tuple[float, ...]] = {
    "default": (1.0, 1.4, 2.0),
    # Sermanet et al. (OverFeat, ICLR 2014), Table 5: multi-scale classification at 6 input sizes, 245×245,
    # 281×317, 317×389, 389×461, 425×497 and 461×569. A scale here multiplies the resize size (256 for the
    # ImageNet weights of AlexNet and VGG) to give the image's *short* side, and the image keeps its own aspect
    # ratio; so the preset gives the paper's six short sides exactly (round(256 × s) = 245, 281, 317, 389, 425,
    # 461), and the long sides follow the photo rather than the paper's fixed 1.0–1.29 aspect ratios.
    "overfeat": (0.957, 1.098, 1.238, 1.52, 1.66, 1.801),
}
"""Named sets of heatmap scales, each a multiple of the resize size (the weights' short side before the crop,
256 for ImageNet), not of the network's input (crop) size: ``viewer heatmap --scales overfeat``, the Heatmap tab."""


def parse_scales(text: str) -> tuple[float, ...]:
    """A preset's name (``"overfeat"``) or numbers separated by commas, spaces or semicolons (``"1, 1.4, 2"``) as
    a tuple of scales; ValueError with a sentence to show after the option's name otherwise."""
    preset = SCALE_PRESETS.get(text.strip().lower())
    if preset is not None:
        return preset
    parts = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    try:
        scales = tuple(float(part) for part in parts)
    except ValueError:
        names = " or ".join(SCALE_PRESETS)
        raise ValueError(f"expected numbers separated by commas (e.g. 1,1.4,2) or a preset ({names})") from None
    if not scales or any(not math.isfinite(s) or s <= 0 for s in scales):
        raise ValueError("every scale must be a positive number, e.g. 1,1.4,2")
    return scales


SortKey = Literal["index", "mean", "max"]
SORT_KEYS: tuple[SortKey, ...] = get_args(SortKey)
"""The order of an activation grid's tiles: channel index, or descending mean or maximum."""

Normalization = Literal["channel", "layer"]
NORMALIZATIONS: tuple[Normalization, ...] = get_args(Normalization)
"""An activation grid's scale: each tile on its own min..max, or one scale for the whole layer."""

EXPLAIN_METHODS = ("dense", "gradcam", "occlusion", "saliency", "ig")
"""The explanation methods of ``viewer explain`` and the Explain view (``viewer.engine.explain.methods``)."""
ExplainOptions: TypeAlias = Mapping[str, Mapping[str, int | float | str | tuple[float, ...]]]
"""Per method, its keyword options of ``viewer.engine.explain.methods.explain``, which validates them:
``{"occlusion": {"patch": 32, "stride": 8}, "ig": {"steps": 32, "chunks": 4}}``."""
OCCLUSION_PATCH, OCCLUSION_STRIDE, IG_STEPS = 32, 8, 32  # network-input pixels; integration steps
EXPLAIN_DEFAULTS: Mapping[str, Mapping[str, int | float | str | tuple[float, ...]]] = {
    "occlusion": {"patch": OCCLUSION_PATCH, "stride": OCCLUSION_STRIDE, "score": "prob", "batch_size": 32},
    "ig": {"steps": IG_STEPS, "chunks": 4, "internal_batch_size": 8},
    "dense": {"scales": (1.0, 1.4, 2.0), "mode": "softmax"},
}
"""Each method's options and their defaults: the engine, the CLI, the Explain tab and its cost estimates."""
ACTIVATION_COLORMAPS = ("viridis", "inferno", "magma", "gray", "turbo")
HEATMAP_COLORMAPS = ("turbo", "jet", "viridis", "inferno", "magma", "gray")
