"""The range a colour scale spans, with the one guard for a flat (constant) map.

A constant score map or a dead channel has ``min == max``; dividing by that span would give NaN. Every layer
that scales values to colours takes its range from :func:`score_range`, so a flat map is drawn the same way
everywhere: one colour, the low end of the colormap.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FLAT_EPSILON", "score_range"]

FLAT_EPSILON = 1e-6
"""A flat range is widened to ``low + FLAT_EPSILON * max(1, |low|)``: relative, so that the upper bound stays
above ``low`` in float64 for any finite value, and small enough that a colour bar still reads as one value."""


def score_range(values: np.ndarray, low: float | None = None, high: float | None = None) -> tuple[float, float]:
    """``(low, high)`` with ``high > low``: the given bounds, else the finite data's extremes.

    Non-finite values are ignored; with no finite value at all the range is (0, 1). A flat range (``high <=
    low``) is widened by :data:`FLAT_EPSILON`, so ``(values - low) / (high - low)`` never divides by zero and a
    constant map takes the colormap's low end.
    """
    data = np.asarray(values, dtype=np.float64)
    finite = data[np.isfinite(data)]
    if low is None:
        low = float(finite.min()) if finite.size else 0.0
    if high is None:
        high = float(finite.max()) if finite.size else max(1.0, low + 1.0)
    low, high = float(low), float(high)
    if not high > low:
        high = low + FLAT_EPSILON * max(1.0, abs(low))
    return low, high
