"""The convolutionized network is built once per loaded model and dies with it (counts, no timing).

Tracing a network with torch.fx and propagating shapes takes about a second for MobileNetV2, so a heatmap
must not pay it again for a model it has already converted; and the cache must not outlive the worker's
model cache, or every model a user ever loaded would stay in memory through its dense copy.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

import viewer.engine.heatmap.convolutionize as convolutionize_module
from viewer.engine.heatmap import dense as heatmap
from viewer.engine.heatmap.dense import run_heatmap
from viewer.engine.jobs.models import ModelCache, ModelKey

LENET = ModelKey("lenet5", "default", None, "cpu")


@pytest.fixture
def traces(monkeypatch) -> list[str]:
    """The class names of the models ``convolutionize`` traces from now on."""
    traced: list[str] = []
    original = convolutionize_module.symbolic_trace

    def counting(root, *args, **kwargs):
        traced.append(type(root).__name__)
        return original(root, *args, **kwargs)

    monkeypatch.setattr(convolutionize_module, "symbolic_trace", counting)
    return traced


def test_a_second_heatmap_on_the_same_loaded_model_does_not_trace_again(traces, shared_data: Path) -> None:
    cache = ModelCache(size=2)
    digit = shared_data / "mnist/mnist_3.png"
    run_heatmap(cache.get(LENET), digit)
    assert len(traces) == 1
    run_heatmap(cache.get(LENET), digit, scales=(2.0,))  # the cached model, other options
    run_heatmap(cache.get(LENET), digit, offsets=True)
    assert len(traces) == 1
    cache.get(ModelKey("lenet5", "none", None, "cpu"))  # another model: its own network, once
    run_heatmap(cache.get(ModelKey("lenet5", "none", None, "cpu")), digit)
    run_heatmap(cache.get(ModelKey("lenet5", "none", None, "cpu")), digit)
    assert len(traces) == 2


def test_the_dense_network_dies_with_the_model_the_model_cache_evicts(traces, shared_data: Path) -> None:
    cache = ModelCache(size=1)
    loaded = cache.get(LENET)
    run_heatmap(loaded, shared_data / "mnist/mnist_3.png")
    model = weakref.ref(loaded.model)
    network = weakref.ref(heatmap.dense_network(loaded).fcn)
    del loaded
    cache.get(ModelKey("lenet5", "none", None, "cpu"))  # evicts the first model
    gc.collect()
    assert model() is None and network() is None
    assert len(traces) == 1
