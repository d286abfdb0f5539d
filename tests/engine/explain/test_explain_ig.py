"""Integrated gradients: the number of steps asked for is the number used, and the map is Captum's."""

from __future__ import annotations

import pytest
import torch
from captum.attr import IntegratedGradients
from torch import nn

from viewer.core.progress import run_job
from viewer.engine.explain.ig import chunk_sizes, integrated_gradients


def _small_network() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2), nn.Tanh(),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, 5),
    ).eval()  # fmt: skip


def test_thirty_steps_are_split_exactly() -> None:
    assert chunk_sizes(30, 4) == [8, 8, 7, 7] and sum(chunk_sizes(30, 4)) == 30
    assert chunk_sizes(3, 4) == [1, 1, 1] and chunk_sizes(32, 4) == [8, 8, 8, 8]


@pytest.mark.parametrize("steps, chunks, internal", [(30, 4, 8), (30, 1, 30), (7, 3, 2), (28, 4, 8)])
def test_chunked_ig_equals_captums_with_the_same_steps(steps: int, chunks: int, internal: int) -> None:
    model = _small_network()
    torch.manual_seed(1)
    x = torch.randn(1, 3, 16, 16)
    baseline = torch.zeros_like(x)
    ours = run_job(
        integrated_gradients(model, x, baseline, 3, steps=steps, chunks=chunks, internal_batch_size=internal)
    )
    captum = IntegratedGradients(model).attribute(x, baselines=baseline, target=3, n_steps=steps)
    torch.testing.assert_close(ours, captum.detach(), rtol=1e-5, atol=1e-6)


def test_thirty_steps_are_not_twenty_eight() -> None:
    """The old chunking gave the 28-step map for 30: the maps of 28 and 30 steps differ, and 30 is Captum's 30."""
    model = _small_network()
    x = torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    baseline = torch.zeros_like(x)
    thirty = run_job(integrated_gradients(model, x, baseline, 1, steps=30))
    twenty_eight = IntegratedGradients(model).attribute(x, baselines=baseline, target=1, n_steps=28).detach()
    assert not torch.allclose(thirty, twenty_eight, rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(
        thirty, IntegratedGradients(model).attribute(x, baselines=baseline, target=1, n_steps=30).detach()
    )


def test_the_cli_records_the_steps_it_used(shared_data, mobilenet_args, capsys) -> None:
    import json

    from viewer.cli import main

    photo = str(shared_data / "images" / "sk_coffee.png")
    assert main(["explain", photo, "--method", "ig", "--steps", "30", *mobilenet_args, "--json"]) == 0
    parameters = json.loads(capsys.readouterr().out)["parameters"]
    assert (
        parameters["steps"] == 30 and sum(parameters["chunk_steps"]) == 30 and parameters["method"] == "gausslegendre"
    )
