"""What the engine tells of a weights file's recipe: the architecture's torchvision recipes to offer, and the
recipe a file would get without a request (what it says, or the network's default)."""

from __future__ import annotations

from viewer.engine.models.recipes import enum_recipes
from viewer.engine.models.registry import get_spec
from viewer.engine.models.weights import load_model


def test_the_recipes_of_an_architectures_torchvision_weights_are_offered() -> None:
    offered = {
        recipe.name: (recipe.resize, recipe.crop, recipe.interpolation)
        for recipe in enum_recipes(get_spec("mobilenet_v2"))
    }
    assert offered == {"IMAGENET1K_V1": (256, 224, "bilinear"), "IMAGENET1K_V2": (232, 224, "bilinear")}
    assert enum_recipes(get_spec("lenet5")) == ()  # not a torchvision network: explicit values only


def test_a_file_loaded_with_a_recipe_keeps_the_one_it_would_get_without(shared_data) -> None:
    weights = str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth")
    chosen = load_model("mobilenet_v2", weights, device="cpu", recipe="IMAGENET1K_V1")
    assert (chosen.recipe.resize, chosen.recipe.said_by) == (256, "--recipe") and chosen.input.resize_size == 256
    own = chosen.own_recipe
    assert own is not None and own.assumed and (own.name, own.resize) == ("IMAGENET1K_V2", 232)

    plain = load_model("lenet5", "MNIST", device="cpu")  # the weights' own: no request, the same recipe
    assert plain.own_recipe == plain.recipe and not plain.recipe.assumed
