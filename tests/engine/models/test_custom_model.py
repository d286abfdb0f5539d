"""Custom model files: categories, input_size, mean and std read from the builder or from the returned module."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.core.errors import ModelError
from viewer.engine.models.custom import custom_spec
from viewer.engine.models.weights import load_model

TINY = """
import torch
from torch import nn


class Tiny(nn.Module):
    def __init__(self, on_module):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4, 3)
        self.register_buffer("unused", torch.zeros(1))
        for key, value in on_module.items():
            setattr(self, key, value)

    def forward(self, x):
        assert x.shape[-2:] == (16, 16), x.shape  # the declared input size, not the 224 default
        return self.fc(self.conv(x).mean((2, 3)))


def build():
    return Tiny(ON_MODULE)

ON_MODULE = {on_module!r}
for _key, _value in {on_builder!r}.items():
    setattr(build, _key, _value)
"""


def model_file(tmp_path: Path, on_module: dict, on_builder: dict) -> str:
    path = tmp_path / "tiny.py"
    path.write_text(TINY.format(on_module=on_module, on_builder=on_builder))
    return f"{path}:build"


DECLARED = {"categories": ["zero", "one", "two"], "input_size": (1, 16, 16), "mean": (0.1,), "std": (0.3,)}


@pytest.mark.parametrize("where", ["module", "builder"])
def test_attributes_are_read_from_the_builder_or_the_returned_module(tmp_path, where) -> None:
    on_module, on_builder = (DECLARED, {}) if where == "module" else ({}, DECLARED)
    loaded = load_model(None, "none", model_file=model_file(tmp_path, on_module, on_builder), device="cpu")
    assert loaded.categories == ("zero", "one", "two")
    assert loaded.input.shape == (1, 16, 16) and loaded.spec.input == loaded.input
    assert loaded.input.mean == (0.1,) and loaded.input.std == (0.3,)


def test_the_module_completes_what_the_builder_leaves_unset(tmp_path) -> None:
    on_builder = {"input_size": (1, 16, 16)}
    on_module = {"classes": ["a", "b", "c"], "mean": [0.2], "std": [0.4]}
    loaded = load_model(None, "none", model_file=model_file(tmp_path, on_module, on_builder), device="cpu")
    assert loaded.categories == ("a", "b", "c")
    assert (loaded.input.shape, loaded.input.mean, loaded.input.std) == ((1, 16, 16), (0.2,), (0.4,))


def test_the_same_values_on_both_sides_are_no_conflict(tmp_path) -> None:
    on_module = {**DECLARED, "input_size": [1, 16, 16], "categories": ("zero", "one", "two")}
    loaded = load_model(None, "none", model_file=model_file(tmp_path, on_module, DECLARED), device="cpu")
    assert loaded.input.shape == (1, 16, 16)


@pytest.mark.parametrize(
    ("key", "other", "said"),
    [
        (
            "mean",
            (0.5,),
            "mean is set on the function build and on the module it returns, with different values "
            "((0.1,) vs (0.5,)); keep one.",
        ),
        ("categories", ["x", "y", "z"], "categories is set on the function build and on the module it returns"),
    ],
)
def test_a_conflict_between_builder_and_module_is_one_clear_sentence(tmp_path, key, other, said) -> None:
    with pytest.raises(ModelError) as caught:
        load_model(None, "none", model_file=model_file(tmp_path, {**DECLARED, key: other}, DECLARED), device="cpu")
    message = str(caught.value)
    assert message.startswith(f"tiny.py: {said}"), message
    assert message.endswith("; keep one.") and "\n" not in message


def test_a_tensor_named_mean_on_the_module_is_not_taken_for_preprocessing(tmp_path) -> None:
    path = tmp_path / "own_norm.py"
    path.write_text(
        "import torch\nfrom torch import nn\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.register_buffer('mean', torch.tensor([0.9, 0.9, 0.9]).view(1, 3, 1, 1))\n"
        "        self.fc = nn.Linear(3, 2)\n"
        "    def forward(self, x):\n"
        "        return self.fc((x - self.mean).mean((2, 3)))\n\n"
        "def build():\n    return Net()\n"
    )
    loaded = load_model(None, "none", model_file=f"{path}:build", device="cpu")
    assert loaded.input.mean == (0.485, 0.456, 0.406)  # the default, not the buffer the network applies itself


def test_custom_spec_alone_reads_the_builder_only(tmp_path) -> None:
    spec = custom_spec(model_file(tmp_path, DECLARED, {}))
    assert spec.input.shape == (3, 224, 224) and spec.categories == ()
