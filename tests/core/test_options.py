"""core.options: the tuples the engine validates against and the CLI and GUI offer."""

from __future__ import annotations

import pytest

from viewer.core.colormaps import lookup_table
from viewer.core.options import (
    ACTIVATION_COLORMAPS,
    FUSIONS,
    HEATMAP_COLORMAPS,
    MODES,
    NORMALIZATIONS,
    PRESET_LABELS,
    PRESETS,
    SORT_KEYS,
)


def test_values() -> None:
    assert PRESETS == ("weights", "standardize", "full")
    assert MODES == ("softmax", "logit") and FUSIONS == ("mean", "max")
    assert SORT_KEYS == ("index", "mean", "max") and NORMALIZATIONS == ("channel", "layer")


def test_every_preset_has_a_label_in_order() -> None:
    assert tuple(PRESET_LABELS) == PRESETS and all(PRESET_LABELS.values())


@pytest.mark.parametrize("name", sorted(set(ACTIVATION_COLORMAPS + HEATMAP_COLORMAPS)))
def test_offered_colormaps_exist(name: str) -> None:
    assert lookup_table(name).shape == (256, 3)
