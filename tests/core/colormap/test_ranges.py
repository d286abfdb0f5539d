"""core.colormap.ranges.score_range: data extremes or given bounds, and the one flat guard."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.core.colormap.ranges import FLAT_EPSILON, score_range


def test_range_is_the_finite_extremes() -> None:
    assert score_range(np.array([[3.0, -2.0], [np.nan, np.inf]])) == (-2.0, 3.0)


def test_given_bounds_win_over_the_data() -> None:
    assert score_range(np.array([1.0, 2.0]), low=0.0) == (0.0, 2.0)
    assert score_range(np.array([1.0, 2.0]), high=5.0) == (1.0, 5.0)
    assert score_range(np.array([1.0, 2.0]), -1.0, 1.0) == (-1.0, 1.0)


def test_no_finite_value_gives_zero_to_one() -> None:
    assert score_range(np.array([np.nan, np.inf])) == (0.0, 1.0)
    assert score_range(np.array([])) == (0.0, 1.0)


@pytest.mark.parametrize("value", [0.0, 7.0, -3.5, 1e12, -1e-30])
def test_a_flat_map_gets_a_range_that_divides(value: float) -> None:
    low, high = score_range(np.full((3, 3), value))
    assert low == value and high > low
    assert high - low == pytest.approx(FLAT_EPSILON * max(1.0, abs(value)))
    scaled = (np.full((3, 3), value) - low) / (high - low)
    assert np.isfinite(scaled).all() and (scaled == 0.0).all()  # one colour: the low end


def test_equal_or_inverted_given_bounds_are_widened_too() -> None:
    low, high = score_range(np.array([1.0]), 2.0, 2.0)
    assert low == 2.0 and high > 2.0
    low, high = score_range(np.array([1.0]), 2.0, 1.0)
    assert low == 2.0 and high > 2.0
