"""One image through several networks: each network's top-k, warm time, size, cost and published accuracy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from viewer.core.results.prediction import TopClass

__all__ = ["Comparison", "NetworkResult"]


@dataclass
class NetworkResult:
    """What one network says about the image, and what it costs."""

    model: str
    family: str
    weights: str  # the weights label every view shows (random init says so)
    pretrained: bool
    topk: list[TopClass]  # the same entries as a prediction's (its logit too)
    time_ms: float  # median of ``runs`` warm forward passes, batch 1
    runs: int
    params: int  # of the network that predicts (training-only heads are in ``training_only_params``)
    gmacs: float | None  # at the network's own input size (torchvision's `_ops`, or measured for seed networks)
    accuracy: dict[str, float]  # {"acc@1": …, "acc@5": …} of these weights, where published
    accuracy_dataset: str  # "ImageNet-1K", "MNIST" or "" (none published for these weights)
    input_size: tuple[int, int, int]
    device: str
    notes: list[str] = field(default_factory=list)
    error: str = ""  # why this network could not run (its weights could not be loaded, say); the others still run
    heatmap: np.ndarray | None = None  # float32 (H, W) dense map of ``heatmap_class`` in image pixels, if asked for
    recipe: dict[str, Any] = field(default_factory=dict)  # the preprocessing applied (viewer.core.network.recipe)
    training_only_params: int = 0  # auxiliary classifiers loaded with the weights (Inception-v3's), not counted above

    @property
    def time_label(self) -> str:
        return f"{self.time_ms:.1f} ms (median of {self.runs} warm runs, {self.device})"


@dataclass
class Comparison:
    image_path: str
    image_size: tuple[int, int]
    networks: list[NetworkResult]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of ``viewer compare --json``."""
        return {
            "image": {"path": self.image_path, "size": list(self.image_size)},
            "timing": "median of warm forward passes, batch 1, after one untimed warm-up pass",
            "networks": [
                {**asdict(network), "heatmap": _heatmap_summary(network.heatmap)} for network in self.networks
            ],
        }


def _heatmap_summary(heatmap: np.ndarray | None) -> dict[str, Any] | None:
    """A dense map in JSON: its size and peak (the map itself is an image's worth of floats)."""
    if heatmap is None:
        return None
    row, col = divmod(int(heatmap.argmax()), heatmap.shape[1])
    return {"shape": list(heatmap.shape), "peak": {"x": col, "y": row, "value": float(heatmap.max())}}
