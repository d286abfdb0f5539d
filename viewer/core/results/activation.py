"""One layer's captured output for one image, with per-channel statistics, and a capture with its mosaic."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from viewer.core.activation_grid import ChannelGrid, GridOptions
from viewer.core.graph.receptive import ReceptiveField

__all__ = ["Activation", "CaptureResult"]


@dataclass
class Activation:
    """One layer's output for one image, on the CPU, with per-channel statistics.

    ``array`` is (C, H, W) for feature maps and (N,) for anything else (vectors, token sequences). The
    statistics are per channel (per element for (N,)), computed in float32 before the ``array`` is stored in
    its smaller dtype. ``dead`` and ``order`` are derived from them where they are first asked for (a capture of
    every layer crosses to the window as three small arrays per layer, not eight).
    """

    layer: str
    array: np.ndarray
    mean: np.ndarray
    max: np.ndarray
    zero_fraction: np.ndarray
    receptive_field: ReceptiveField | None
    input_shape: tuple[int, ...]  # (C, H, W) of the network input
    method: str = "fx"  # "fx" (feature extraction) or "hooks"

    @property
    def channels(self) -> int:
        return int(self.mean.shape[0])

    @functools.cached_property
    def dead(self) -> np.ndarray:
        """Channels exactly zero everywhere for this image (what a ReLU leaves of a unit that never fires); a
        logit or a pre-activation that stays negative is not dead."""
        return np.asarray(self.zero_fraction >= 1.0)

    @functools.cached_property
    def order(self) -> dict[str, np.ndarray]:
        """ "index", "mean", "max" → channel indices ("mean" and "max": descending, ties in index order)."""
        return {
            "index": np.arange(self.channels),
            "mean": np.argsort(-self.mean, kind="stable"),
            "max": np.argsort(-self.max, kind="stable"),
        }


@dataclass(frozen=True)
class CaptureResult:
    """Captured activations and the mosaic of the first layer, drawn with the view's options."""

    activations: dict[str, Activation]  # layer -> Activation, exactly what the capture returned
    grid: ChannelGrid | None = None  # the mosaic of the first layer, or None

    def grid_matches(self, layer: str, options: GridOptions) -> bool:
        """True when the mosaic held is ``layer``'s, drawn with ``options``."""
        return self.grid is not None and self.grid.layer == layer and self.grid.options == options
