"""Shared fixtures: the real test data beside the project, offscreen Qt, isolated settings and caches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the project's root: real photos, MNIST, CIFAR-10 and ImageNet weights."""
    if not (SHARED_DATA / "README.md").exists():
        pytest.fail(f"the shared test data is missing: expected it at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_torch_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or fill the user's real weights cache, or reach the network for weights."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path_factory.getbasetemp() / "torch_home"))
    monkeypatch.setenv("VIEWER_WEIGHTS_URL_BASE", "http://127.0.0.1:9/")  # port 9 (discard): fails at once


@pytest.fixture()
def mobilenet_args(shared_data: Path) -> list[str]:
    """CLI options for the shared real ImageNet MobileNetV2 weights on the CPU."""
    return [
        "--model",
        "mobilenet_v2",
        "--weights",
        str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth"),
        "--device",
        "cpu",
    ]
