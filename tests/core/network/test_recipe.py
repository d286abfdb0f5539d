"""The recipe type: its text form (``--recipe``), its provenance and what a preset applies of it."""

from __future__ import annotations

import re

import pytest

from viewer.core.network.recipe import (
    Recipe,
    RecipeError,
    check_recipe_text,
    format_recipe,
    parse_recipe,
    recipe_used,
    used_details,
    used_label,
)

V1 = Recipe(256, 224, "bilinear", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), "IMAGENET1K_V1", "--recipe")


def test_an_enum_name_is_returned_for_the_engine_to_look_up() -> None:
    assert parse_recipe("imagenet1k_v1") == "IMAGENET1K_V1"


def test_explicit_values_are_read_and_the_text_form_reads_back() -> None:
    values = parse_recipe("resize=256, crop=224,interpolation=BICUBIC,mean=0.5:0.5:0.5,std=0.25:0.25:0.25")
    assert values == {
        "resize": 256,
        "crop": 224,
        "interpolation": "bicubic",
        "mean": (0.5, 0.5, 0.5),
        "std": (0.25, 0.25, 0.25),
    }
    assert parse_recipe(format_recipe(V1)) == {key: getattr(V1, key) for key in ("resize", "crop", "interpolation",
                                                                                 "mean", "std")}  # fmt: skip


def test_keys_left_out_keep_the_base_and_a_change_drops_the_enum_name() -> None:
    changed = V1.with_values({"resize": 232}, said_by="--recipe")
    assert (changed.resize, changed.crop, changed.name) == (232, 224, "")
    assert V1.with_values({"resize": 256}, said_by="x").name == "IMAGENET1K_V1"  # nothing changed: still V1


@pytest.mark.parametrize("text, said", [
    ("", "empty"),
    ("resize=0", "at least 1"),
    ("crop=22.5", "whole number"),
    ("interpolation=lanczos", "nearest, bilinear, bicubic"),
    ("mean=0.5:0.5", "2 value(s) for a 3-channel input"),
    ("std=1:0:1", "positive"),
    ("size=3", "key=value with a key among"),
    ("resize=1,resize=2", "given twice"),
    ("IMAGENET 1K", "give an enum name"),
])  # fmt: skip
def test_bad_text_is_one_sentence(text: str, said: str) -> None:
    with pytest.raises(RecipeError, match=said.replace("(", r"\(").replace(")", r"\)")):
        parse_recipe(text)


def test_provenance_says_what_each_preset_applied() -> None:
    assert recipe_used(V1, "weights") == {**V1.as_dict(), "preset": "weights"}
    full = recipe_used(V1, "full")
    assert (full["resize"], full["crop"], full["mean"]) == (None, None, [0.485, 0.456, 0.406])
    standardized = recipe_used(V1, "standardize")
    assert standardized["mean"] is None and standardized["std"] is None


def test_a_recipe_says_itself_briefly_and_whether_it_was_assumed() -> None:
    assert V1.short_label == "IMAGENET1K_V1: resize 256, crop 224, bilinear" and not V1.assumed
    explicit = V1.with_values({"resize": 240}, said_by="--recipe")
    assert explicit.short_label == "resize 240, crop 224, bilinear"
    assumed = Recipe(232, 224, "bilinear", V1.mean, V1.std, "IMAGENET1K_V2", "not said by the file: the default")
    assert assumed.assumed


def test_a_results_recipe_is_said_as_the_views_say_it() -> None:
    assert used_label(recipe_used(V1, "weights")) == " (IMAGENET1K_V1: resize 256, crop 224, bilinear)"
    assert used_label(recipe_used(V1, "full")) == "" and used_label({}) == ""  # no resize applied, or no recipe
    details = used_details(recipe_used(V1, "weights"))
    assert "resize: 256" in details and "std: [0.229, 0.224, 0.225]" in details
    assert details.endswith("chosen by: the user's choice (--recipe, or the window's Recipe…)")
    assert used_details({}) == ""


def test_recipe_text_is_checked_before_the_network_is_known() -> None:
    check_recipe_text("IMAGENET1K_V1")
    check_recipe_text("resize=36,crop=32,mean=0.13,std=0.31")  # one channel: LeNet-5's
    check_recipe_text("mean=0.5:0.5:0.5")
    for bad, said in (("resize=big", "whole number"), ("mean=0.5:0.5,std=0.5", "2 value(s) for a 1-channel")):
        with pytest.raises(RecipeError, match=re.escape(said)):  # mean and std disagree: no network fits
            check_recipe_text(bad)
