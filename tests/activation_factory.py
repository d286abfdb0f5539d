"""Real ``Activation`` objects (the engine's dataclass) with the statistics ``capture`` computes, for tests."""

from __future__ import annotations

import numpy as np

from viewer.core.graph.receptive import ReceptiveField
from viewer.core.results.activation import Activation


def make_activation(
    maps: np.ndarray,
    layer: str = "features.0",
    *,
    receptive_field: ReceptiveField | None = None,
    input_shape: tuple[int, ...] = (1, 8, 8),
) -> Activation:
    """``maps`` (C, H, W) or (N,) as a captured activation: per-channel mean, max and zeros (dead and orders follow)."""
    flat = maps.reshape(maps.shape[0], -1)
    mean, peak = flat.mean(axis=1), flat.max(axis=1)
    return Activation(
        layer=layer,
        array=maps,
        mean=mean,
        max=peak,
        zero_fraction=(flat == 0).mean(axis=1),
        receptive_field=receptive_field,
        input_shape=input_shape,
    )
