"""The same answers on a CUDA GPU as on the CPU, plain numpy results, and a real out-of-memory fallback.

Marked ``gpu`` and skipped without CUDA (this project's CI machine has none): run with ``-m gpu`` on a machine
with a GPU.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from viewer.engine.activations import capture
from viewer.engine.heatmap.dense import run_heatmap
from viewer.engine.images import load_image, preprocess
from viewer.engine.inference import classify
from viewer.engine.models.weights import load_model

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


@pytest.fixture(scope="module")
def weights(shared_data: Path) -> str:
    return str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth")


@pytest.fixture(scope="module")
def on_gpu(weights: str):
    return load_model("mobilenet_v2", weights, device="cuda")


@pytest.fixture(scope="module")
def on_cpu(weights: str):
    return load_model("mobilenet_v2", weights, device="cpu")


def test_auto_picks_the_gpu() -> None:
    assert load_model("lenet5", "none", device="auto").device.type == "cuda"


def test_classify_names_the_photos_as_on_the_cpu(on_gpu, on_cpu, shared_data: Path) -> None:
    paths = [str(shared_data / "images" / n) for n in ("tv_dog2.jpg", "sk_coffee.png", "tv_dog1.jpg")]
    gpu, cpu = classify(paths, on_gpu, tta=True), classify(paths, on_cpu, tta=True)
    assert [p.topk[0].name for p in gpu] == ["German shepherd", "espresso", "Pembroke"]
    for g, c in zip(gpu, cpu, strict=True):
        assert g.device.startswith("cuda") and isinstance(g.logits, np.ndarray)
        np.testing.assert_allclose(g.probs, c.probs, atol=2e-3)
        assert g.seen.dtype == np.uint8


def test_activations_come_back_as_numpy_equal_to_the_cpu(on_gpu, on_cpu, shared_data: Path) -> None:
    batch = preprocess(load_image(shared_data / "images" / "tv_dog2.jpg"), on_cpu.input).unsqueeze(0)
    layers = ["features.0.0", "features.18"]
    gpu, cpu = capture(on_gpu, batch.cuda(), layers), capture(on_cpu, batch, layers)
    for name in layers:
        assert isinstance(gpu[name].array, np.ndarray)
        np.testing.assert_allclose(
            gpu[name].array.astype(np.float32), cpu[name].array.astype(np.float32), atol=0.05, rtol=0.02
        )


def test_dense_heatmap_matches_the_cpu(on_gpu, on_cpu, shared_data: Path) -> None:
    image = load_image(shared_data / "images" / "sk_coffee.png")
    gpu = run_heatmap(on_gpu, image, scales=(1.0, 1.4), offsets=True)
    cpu = run_heatmap(on_cpu, image, scales=(1.0, 1.4), offsets=True)
    assert gpu.class_name == cpu.class_name == "espresso" and isinstance(gpu.scores, np.ndarray)
    np.testing.assert_allclose(gpu.scores, cpu.scores, atol=2e-3)


def test_the_benchmark_runs_on_the_gpu() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "viewer", "bench", "--quick", "--only", "classify", "--device", "cuda"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert torch.cuda.get_device_name(0) in done.stdout and done.stdout.count("| classify") == 4
