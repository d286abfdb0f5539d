"""The bundled LeNet-5 weights: they load, they read real MNIST digits, and their recorded accuracy is true."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from viewer.core.images.idx import read_idx
from viewer.core.resources import bundled_path
from viewer.engine.images import load_image, preprocess
from viewer.engine.inference import classify
from viewer.engine.models.weights import load_model

HELD_OUT = slice(8000, 10000)  # never seen in training (scripts/train_lenet5.py trains on 0-7999)


@pytest.fixture(scope="module")
def lenet():
    return load_model("lenet5", device="cpu")


@pytest.fixture(scope="module")
def mnist_test(shared_data):
    folder = shared_data / "mnist"
    return read_idx(folder / "t10k-images-idx3-ubyte.gz"), read_idx(folder / "t10k-labels-idx1-ubyte.gz")


def test_default_weights_are_the_bundled_mnist_file(lenet):
    assert lenet.weights == "MNIST" and lenet.pretrained
    assert lenet.weights_sha256 is not None and len(lenet.weights_sha256) == 64
    assert lenet.categories == tuple("0123456789")
    assert bundled_path("lenet5_mnist.pt").stat().st_size < 250_000


def test_classifies_the_ten_shared_digits(lenet, shared_data):
    paths = [shared_data / "mnist" / f"mnist_{digit}.png" for digit in range(10)]
    predictions = classify([load_image(path) for path in paths], lenet, topk=1)
    assert [p.topk[0].name for p in predictions] == [str(digit) for digit in range(10)]
    assert all(p.topk[0].prob > 0.5 for p in predictions)


def test_engine_preprocessing_matches_the_training_inputs(lenet, shared_data, mnist_test):
    # The PNGs are MNIST test images; through load_image + preprocess they must become exactly the tensor
    # the training script builds from the IDX bytes (x / 255, then the MNIST mean/std), or the app would
    # feed the network something it was not trained on.
    images, _ = mnist_test
    mean, std = lenet.input.mean[0], lenet.input.std[0]
    for digit in (0, 7):
        png = np.asarray(load_image(shared_data / "mnist" / f"mnist_{digit}.png").image.convert("L"))
        index = int(np.flatnonzero((images == png).all(axis=(1, 2)))[0])
        expected = (torch.from_numpy(images[index].astype(np.float32)) / 255 - mean) / std
        seen = preprocess(load_image(shared_data / "mnist" / f"mnist_{digit}.png"), lenet.input)
        assert seen.shape == (1, 28, 28)
        torch.testing.assert_close(seen[0], expected, atol=1e-6, rtol=0)


def test_held_out_accuracy_is_at_least_99_percent_and_as_recorded(lenet, mnist_test):
    images, labels = mnist_test
    x = torch.from_numpy(images[HELD_OUT].astype(np.float32)).unsqueeze(1) / 255
    x = (x - lenet.input.mean[0]) / lenet.input.std[0]
    with torch.no_grad():
        predicted = lenet.model(x).argmax(1).numpy()
    accuracy = float((predicted == labels[HELD_OUT]).mean())
    record = json.loads(bundled_path("lenet5_mnist.json").read_text())
    assert record["held_out_range"] == [8000, 10000]
    assert {"seed", "epochs", "torch"} <= set(record)
    assert accuracy >= 0.99
    assert accuracy == pytest.approx(record["held_out_accuracy"], abs=1e-3)
