"""Fifty cycles of loading different models and capturing activations, as the GUI's worker does them.

The worker's model cache stays bounded, capture leaves no hook behind, resident memory levels off after
the first cycles, and once the cache lets go every large tensor is freed.

torch.fx's ``Tracer.trace`` defines a recursive local function (``collect_tensor_attrs``) that closes over the
tracer, whose ``root`` is the model: a reference cycle that would keep every traced model until a full
collection. The engine empties its tracers once done (``viewer.engine.fx_tracers``), so an evicted model goes
with its last reference (``tests/engine/graph/test_fx_tracers.py`` checks it with the cyclic collector off).
"""

from __future__ import annotations

import gc
import os
import sys
import weakref
from pathlib import Path

import pytest
import torch
from torch import nn

from viewer.engine.activations import capture
from viewer.engine.images import load_image, preprocess
from viewer.engine.jobs.models import ModelCache, ModelKey  # the runner's cache (plain Python, no Qt)

MODELS = ("lenet5", "nin", "squeezenet1_1", "mobilenet_v3_small", "resnet18")  # five names, a cache of three
CYCLES = 50
LARGE = 10_000  # elements: every model here has weights this large; an image batch too


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _large_tensors() -> dict[int, torch.Tensor]:
    gc.collect()
    gc.collect()  # a second pass: weak-keyed caches drop their values only when the first pass frees the key
    return {id(o): o for o in gc.get_objects() if issubclass(type(o), torch.Tensor) and o.numel() >= LARGE}
    # (type(), not isinstance(): isinstance reads __class__, which warns on some of torch's lazy objects)


def _hooks(model: nn.Module) -> list[str]:
    return [
        name
        for name, module in model.named_modules()
        if module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads resident memory from /proc")
def test_fifty_load_and_capture_cycles_stay_bounded(shared_data: Path) -> None:
    torch.manual_seed(0)
    image = load_image(shared_data / "images" / "kitten.jpg")
    before = set(_large_tensors())
    cache = ModelCache(size=3)
    models: list[weakref.ref] = []
    resident: list[float] = []
    for cycle in range(CYCLES):
        loaded = cache.get(ModelKey(MODELS[cycle % len(MODELS)], "none", None, "cpu"))
        models.append(weakref.ref(loaded.model))
        # Evicted models are gone at once, not at some later cyclic collection (torch.fx leaves cycles).
        assert len({id(m) for m in (ref() for ref in models) if m is not None}) <= 3, cycle
        batch = preprocess(image, loaded.input, "weights").unsqueeze(0)
        convolutions = [name for name, m in loaded.model.named_modules() if isinstance(m, nn.Conv2d)]
        layer = convolutions[cycle % len(convolutions)]
        activations = capture(loaded, batch, [layer])
        assert list(activations) == [layer] and activations[layer].array.ndim == 3
        assert _hooks(loaded.model) == [] and not torch.nn.modules.module._global_forward_hooks
        assert len(cache.keys()) <= 3
        del loaded, batch, activations
        resident.append(_resident_mb())
    gc.collect()
    gc.collect()
    alive = [ref() for ref in models if ref() is not None]
    assert len({id(m) for m in alive}) <= 3  # only the cached models are left
    del alive
    # Resident memory levels off: the last cycles' peak stays near the early cycles' (a model kept per cycle
    # would add several hundred MB over these forty cycles).
    early, late = max(resident[5:15]), max(resident[-10:])
    assert late - early < 200, (early, late, [round(r) for r in resident])
    cache.clear()
    left = {key: tensor for key, tensor in _large_tensors().items() if key not in before}
    assert left == {}, [(tuple(t.shape), t.dtype) for t in left.values()][:5]
    assert all(ref() is None for ref in models)


def test_a_model_evicted_later_is_freed_even_when_a_cycle_holds_it() -> None:
    # fx tracing leaves cycles that hold a traced model; each eviction must free the model it evicts, the
    # second one as well as the first (a gc.freeze at the first eviction used to make the models cached
    # then uncollectable).
    cache = ModelCache(size=2)
    cache.get(ModelKey("lenet5", "none", None, "cpu"))
    second = cache.get(ModelKey("nin", "none", None, "cpu"))
    cycle: dict = {"model": second.model}
    cycle["self"] = cycle  # stands for fx's recursive closure, made while the model is cached
    alive = weakref.ref(second.model)
    cache.get(ModelKey("lenet5", "MNIST", None, "cpu"))  # evicts the first, the second and its cycle alive
    del second, cycle
    cache.get(ModelKey("squeezenet1_1", "none", None, "cpu"))  # evicts the second
    assert alive() is None
