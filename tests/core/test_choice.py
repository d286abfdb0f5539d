"""The model choice, which is also the key a job carries (viewer.core.choice)."""

from __future__ import annotations

from dataclasses import replace

from viewer.core.choice import ModelChoice
from viewer.core.defaults import DEFAULT_MODEL


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
