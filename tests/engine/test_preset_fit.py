"""Presets that do not fit the weights: the reasons, and the LeNet-5 accuracies they quote, measured."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from viewer.core.images.idx import read_idx
from viewer.core.lecture.tta import tta_resize_size
from viewer.core.network.preset_fit import (
    DIGITS,
    LENET_ACCURACY,
    preset_reason,
    tta_reason,
    unfit_reasons,
)
from viewer.engine.images import preprocess, ten_crop_views
from viewer.engine.inference import average_views
from viewer.engine.models.weights import load_model

IMAGENET = {"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}


def test_mirroring_digits_is_marked_and_nothing_else_is() -> None:
    lenet = {"model": "lenet5", "weights": "MNIST", "pretrained": True, "categories": DIGITS}
    assert tta_reason(**lenet) == (
        "TTA mirrors each view, and a mirrored digit is another shape: LeNet-5's held-out "
        "accuracy drops from 99.15 % to 95.40 % (93.10 % averaging logits)."
    )
    assert "digit classifier" in tta_reason(**{**lenet, "model": "mnist.py:net", "weights": "/tmp/w.pt"})
    assert tta_reason(**{**lenet, "pretrained": False, "weights": "none"}) is None  # random init: nothing to lose
    assert tta_reason(model="alexnet", weights="IMAGENET1K_V1", pretrained=True, categories=("tench",) * 1000) is None


def test_standardising_for_mean_std_weights_is_marked_junk() -> None:
    alexnet = {"model": "alexnet", "weights": "IMAGENET1K_V1", "pretrained": True, "categories": ("tench",), **IMAGENET}
    reason = preset_reason("standardize", **alexnet)
    assert reason.startswith("These weights were trained on inputs normalised with mean (0.485, 0.456, 0.406)")
    assert reason.endswith("so the scores can be junk (the weights preset gives them what they were trained on).")
    assert preset_reason("weights", **alexnet) is None and preset_reason("full", **alexnet) is None
    assert preset_reason("standardize", **{**alexnet, "pretrained": False, "weights": "none"}) is None
    lenet = {
        "model": "lenet5",
        "weights": "MNIST",
        "pretrained": True,
        "categories": DIGITS,
        "mean": (0.1307,),
        "std": (0.3081,),
    }
    assert preset_reason("standardize", **lenet).endswith("drops from 99.15 % to 67.85 %.")
    assert len(unfit_reasons("standardize", True, **lenet)) == 2 and unfit_reasons("weights", False, **lenet) == []


@pytest.fixture(scope="module")
def held_out(shared_data):
    images = read_idx(shared_data / "mnist/t10k-images-idx3-ubyte.gz")[8000:]
    labels = read_idx(shared_data / "mnist/t10k-labels-idx1-ubyte.gz")[8000:]
    return [Image.fromarray(image, "L") for image in images], torch.from_numpy(labels.astype(np.int64))


def test_the_quoted_lenet_accuracies_are_measured(held_out) -> None:
    lenet = load_model("lenet5", device="cpu")
    images, labels = held_out
    with torch.inference_mode():
        plain = lenet.model(torch.stack([preprocess(i, lenet.input) for i in images])).argmax(1)
        standardised = lenet.model(torch.stack([preprocess(i, lenet.input, "standardize") for i in images])).argmax(1)
        short_side = tta_resize_size("paper", lenet.input.resize_size, lenet.input.crop_size)  # the default: 32
        views = torch.cat([ten_crop_views(i, lenet.input, resize=short_side)[0] for i in images])
        views = lenet.model(views).view(len(images), 10, -1)
    by_probs = torch.stack([average_views(v, "probs")[1] for v in views]).argmax(1)
    by_logits = torch.stack([average_views(v, "logits")[1] for v in views]).argmax(1)
    measured = {
        name: int((predicted == labels).sum()) / len(labels)
        for name, predicted in (
            ("weights", plain),
            ("standardize", standardised),
            ("tta probs", by_probs),
            ("tta logits", by_logits),
        )
    }
    assert measured == LENET_ACCURACY  # counts out of 2000: exact
