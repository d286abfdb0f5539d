"""The worker's model cache: one copy per model choice, the least recently used evicted, a model file keyed once."""

from __future__ import annotations

from viewer.core.network.choice import ModelChoice
from viewer.engine.jobs.models import ModelCache


def test_a_choice_is_built_once_and_the_least_recently_used_goes_first():
    cache = ModelCache(size=2)
    lenet, nin, mnist = (
        ModelChoice("lenet5", "none", None, "cpu"),
        ModelChoice("nin", "none", None, "cpu"),
        ModelChoice("lenet5", "MNIST", None, "cpu"),
    )
    first = cache.get(lenet)
    assert cache.get(lenet) is first and lenet in cache and first.name == "lenet5" and not first.pretrained
    cache.get(nin)
    cache.get(lenet)  # used again: now nin is the least recently used
    cache.get(mnist)
    assert cache.keys() == [lenet, mnist] and nin not in cache
    assert cache.get(lenet) is first  # kept all along
    cache.clear()
    assert cache.keys() == []


def test_a_model_file_is_one_key_whatever_network_name_comes_with_it(shared_data):
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "cifar_resnet.py"
    weights = str(shared_data / "weights" / "resnet20-12fca82f.th")
    named = ModelChoice("resnet18", weights, f"{fixture}:resnet20", "cpu")  # the picker's network stays set
    cache = ModelCache(size=2)
    loaded = cache.get(named)
    assert cache.get(ModelChoice(None, weights, f"{fixture}:resnet20", "cpu")) is loaded
    assert cache.keys() == [named.key()] and cache.keys()[0].model is None and named in cache


def test_the_same_weights_under_another_recipe_are_another_model():
    cache = ModelCache(size=3)
    plain = ModelChoice("lenet5", "none", None, "cpu")
    wider = ModelChoice("lenet5", "none", None, "cpu", recipe="resize=40,crop=32")
    first, second = cache.get(plain), cache.get(wider)
    assert first is not second and cache.keys() == [plain, wider]
    assert first.recipe.resize != 40 and (second.recipe.resize, second.input.resize_size) == (40, 40)
    assert cache.get(ModelChoice("lenet5", "none", None, "cpu", recipe="resize=40,crop=32")) is second
