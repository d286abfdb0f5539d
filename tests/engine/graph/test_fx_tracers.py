"""The engine's torch.fx traces leave nothing holding the model: it is freed by its last reference going, with the
cyclic collector off (the GUI's worker cache then never needs a full collection when it evicts a model)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from torch import nn
from torchvision.models import feature_extraction

from viewer.engine.activations import capture
from viewer.engine.fx_tracers import forgetting_feature_extractor_tracers, symbolic_trace
from viewer.engine.graph.trace import trace_graph
from viewer.engine.heatmap.convolutionize import convolutionize
from viewer.engine.images import load_image, preprocess
from viewer.engine.models.weights import LoadedModel, load_model


@pytest.fixture()
def no_cyclic_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _capture_a_convolution(loaded: LoadedModel, shared_data: Path) -> None:
    image = load_image(shared_data / "images" / "kitten.jpg")
    layer = next(name for name, module in loaded.model.named_modules() if isinstance(module, nn.Conv2d))
    activations = capture(loaded, preprocess(image, loaded.input, "weights").unsqueeze(0), [layer])
    assert activations[layer].method == "fx"  # the feature extractor ran, not the hooks


USES: dict[str, Callable[[LoadedModel, Path], object]] = {
    "feature extraction": _capture_a_convolution,
    "convolutionize": lambda loaded, _: convolutionize(loaded.model, loaded.input.shape),
    "graph trace": lambda loaded, _: trace_graph(loaded.model, loaded.input.shape),
    "symbolic_trace": lambda loaded, _: symbolic_trace(loaded.model),
}


@pytest.mark.parametrize("use", list(USES))
def test_a_traced_model_is_freed_by_its_last_reference(use: str, shared_data: Path, no_cyclic_collector: None) -> None:
    torch.manual_seed(0)
    loaded = load_model("squeezenet1_1", "none", device="cpu")
    USES[use](loaded, shared_data)
    model = weakref.ref(loaded.model)
    del loaded
    assert model() is None


def test_symbolic_trace_gives_the_same_graph_as_torch_fx() -> None:
    model = load_model("resnet18", "none", device="cpu").model
    ours, theirs = symbolic_trace(model), torch.fx.symbolic_trace(model)
    assert isinstance(ours, torch.fx.GraphModule) and ours.code == theirs.code
    batch = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(ours(batch), model(batch))


def test_torchvisions_tracer_is_its_own_again_after_the_block() -> None:
    original = feature_extraction.NodePathTracer
    model = load_model("lenet5", "none", device="cpu").model
    with forgetting_feature_extractor_tracers():
        extractor = feature_extraction.create_feature_extractor(model, return_nodes=["features.0"])
    assert feature_extraction.NodePathTracer is original
    assert list(extractor(torch.randn(1, 1, 28, 28))) == ["features.0"]
