"""The model choice, which is also the key a job carries (viewer.core.network.choice)."""

from __future__ import annotations

from dataclasses import replace

from viewer.core.defaults import DEFAULT_MODEL
from viewer.core.network.choice import ModelChoice


def test_a_zoo_choice_keys_its_model() -> None:
    choice = ModelChoice()
    assert choice.model == DEFAULT_MODEL and choice.weights == "default" and choice.device == "auto"
    assert choice.key() == ModelChoice(DEFAULT_MODEL, "default", None, "auto", None)


def test_a_custom_file_keys_the_file_and_its_allowed_content() -> None:
    choice = ModelChoice(None, "none", "/models/tiny.py:build", "cpu", "ab" * 32)
    key = choice.key()
    assert key.model is None and key.model_file == "/models/tiny.py:build" and key.model_file_sha256 == "ab" * 32
    # A leftover zoo name never reaches the worker when a file is chosen.
    assert replace(choice, model="resnet18").key() == key


def test_keys_are_hashable_and_equal_by_value() -> None:
    assert len({ModelChoice("resnet18").key(), ModelChoice("resnet18").key()}) == 1


def test_the_recipe_is_part_of_the_key_and_is_kept_with_the_device() -> None:
    plain = ModelChoice("mobilenet_v2", "/w/mobilenet.pth", None, "cpu")
    v1 = replace(plain, recipe="IMAGENET1K_V1")
    assert plain.recipe is None and v1.key().recipe == "IMAGENET1K_V1"
    assert v1.key() != plain.key() and len({plain.key(), v1.key(), replace(plain, recipe="IMAGENET1K_V1").key()}) == 2
    assert v1.on_cpu().recipe == "IMAGENET1K_V1"  # the same weights and preprocessing, moved
    custom = ModelChoice("resnet18", "/w/r20.th", "/m/cifar.py:resnet20", "cpu", "ab" * 32, "resize=32,crop=32")
    assert custom.key().recipe == "resize=32,crop=32" and custom.key().model is None
