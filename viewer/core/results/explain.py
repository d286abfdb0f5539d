"""Explanation maps: one method's map of one class over one image, and the set of methods shown together."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["METHOD_LABELS", "ExplainSet", "Explanation"]

METHOD_LABELS = {
    "dense": "Dense map",
    "gradcam": "Grad-CAM",
    "occlusion": "Occlusion",
    "saliency": "Saliency",
    "ig": "Integrated gradients",
}


@dataclass
class Explanation:
    """One method's map of one class over one image."""

    method: str
    scores: np.ndarray  # float32 (H, W) in the image's pixel coordinates
    class_index: int
    class_name: str
    parameters: dict[str, Any]
    image_path: str
    image_size: tuple[int, int]  # (width, height)
    model: str
    weights: str
    weights_sha256: str | None
    input_size: tuple[int, int]  # (width, height) the network saw
    raw: np.ndarray | None = None  # float32: the map before resizing (Grad-CAM's layer grid, occlusion's patches)
    notes: list[str] = field(default_factory=list)
    device: str = "cpu"
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The weights' recipe (viewer.core.network.recipe): interpolation, mean and std applied to the whole image, whose
    # short side is the recipe's crop (``parameters["input"]`` says how it was fitted); the dense method's base
    # size is the recipe's resize.
    recipe: dict[str, Any] = field(default_factory=dict)
    # The libraries that made it (torch, torchvision, captum, viewer), read by the engine: provenance says them.
    versions: dict[str, str] = field(default_factory=dict)

    def provenance(self) -> dict[str, Any]:
        """Everything needed to reproduce this map, JSON-able (exports embed it)."""
        return {
            "kind": "explanation",
            "method": self.method,
            "method_label": METHOD_LABELS[self.method],
            "model": self.model,
            "weights": self.weights,
            "weights_sha256": self.weights_sha256,
            "class_index": self.class_index,
            "class_name": self.class_name,
            "parameters": self.parameters,
            "recipe": self.recipe,
            "image": {"path": self.image_path, "size": list(self.image_size)},
            "input_size": list(self.input_size),
            "score_range": [float(self.scores.min()), float(self.scores.max())],
            "notes": list(self.notes),
            "device": self.device,
            "versions": dict(self.versions),
        }


@dataclass
class ExplainSet:
    """The methods' maps of one class over one image, and why the others are missing.

    ``input_size`` and ``forward_ms`` (measured with the cheap methods) give the costly methods' estimates.
    """

    class_index: int | None
    class_name: str
    results: dict[str, Explanation] = field(default_factory=dict)  # method -> its map
    reasons: dict[str, str] = field(default_factory=dict)  # method -> why it does not apply or failed
    model: str = ""
    image_path: str = ""
    pretrained: bool = True  # False: random init, the maps mean nothing (said on the tab)
    input_size: tuple[int, int] = (0, 0)  # (width, height) the methods see
    forward_ms: float = 0.0  # one warm forward pass of that input; 0 when not measured

    def merged(self, later: ExplainSet) -> ExplainSet:
        """This set with the maps and reasons of ``later`` (same image, model and class) added."""
        return replace(self, results={**self.results, **later.results}, reasons={**self.reasons, **later.reasons})
