"""core.options: the tuples the engine validates against and the CLI and GUI offer."""

from __future__ import annotations

import pytest

from viewer.core.colormap.tables import lookup_table
from viewer.core.options import (
    ACTIVATION_COLORMAPS,
    FUSIONS,
    HEATMAP_COLORMAPS,
    MODES,
    NORMALIZATIONS,
    PRESET_LABELS,
    PRESETS,
    SCALE_PRESETS,
    SORT_KEYS,
    parse_scales,
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


def test_the_overfeat_preset_gives_the_papers_short_sides_from_a_256_resize() -> None:
    # Sermanet et al. 2014, Table 5: 245×245, 281×317, 317×389, 389×461, 425×497, 461×569.
    assert [round(256 * scale) for scale in SCALE_PRESETS["overfeat"]] == [245, 281, 317, 389, 425, 461]
    assert parse_scales(" OverFeat ") == SCALE_PRESETS["overfeat"] and parse_scales("default") == (1.0, 1.4, 2.0)


@pytest.mark.parametrize("text, scales", [("1,1.4,2", (1.0, 1.4, 2.0)), ("1 1.4;2", (1.0, 1.4, 2.0)), ("0.5", (0.5,))])
def test_scales_from_numbers(text: str, scales: tuple[float, ...]) -> None:
    assert parse_scales(text) == scales


@pytest.mark.parametrize(
    "text, phrase",
    [("", "positive"), ("0,1", "positive"), ("nan", "positive"), ("inf", "positive"), ("big", "a preset")],
)
def test_bad_scales_say_why(text: str, phrase: str) -> None:
    with pytest.raises(ValueError, match=phrase):
        parse_scales(text)
