"""BatchNorm folded into the convolutions of the dense network: same class maps, the model left untouched."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from viewer.engine.heatmap.convolutionize import convolutionize
from viewer.engine.heatmap.dense import dense_network
from viewer.engine.heatmap.fold import PackedConv2d, fold_batchnorm
from viewer.engine.models.registry import build_model
from viewer.engine.models.weights import load_model


def _randomise_batchnorms(model: nn.Module, seed: int) -> None:
    """Statistics far from the identity, so that a wrong fold shows in the logits."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                size = module.num_features
                module.running_mean.copy_(torch.randn(size, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(size, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(size, generator=generator) * 0.1)


@pytest.mark.parametrize(("name", "batchnorms"), [("mobilenet_v2", 52), ("resnet18", 20)])
def test_folded_network_gives_the_unfolded_logits(name: str, batchnorms: int) -> None:
    torch.manual_seed(0)
    model = build_model(name).eval()
    _randomise_batchnorms(model, seed=1)
    fcn = convolutionize(model, (3, 224, 224))
    before = {key: value.clone() for key, value in model.state_dict().items()}
    folded = fold_batchnorm(fcn)
    assert folded.folded == batchnorms
    assert not any(isinstance(module, nn.BatchNorm2d) for module in folded.module.modules())
    # The model and the converted network keep their BatchNorms and their values.
    assert sum(isinstance(module, nn.BatchNorm2d) for module in model.modules()) == batchnorms
    assert sum(isinstance(module, nn.BatchNorm2d) for module in fcn.modules()) == batchnorms
    assert all(torch.equal(before[key], value) for key, value in model.state_dict().items())
    image = torch.randn(1, 3, 256, 288, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        for batch in (image, image.contiguous(memory_format=torch.channels_last)):
            expected, got = fcn(batch), folded.module(batch)
            assert got.shape == expected.shape and got.shape[-2:] == (8, 9)
            assert (got - expected).abs().max().item() <= 1e-4 * max(1.0, expected.abs().max().item())


def test_convolutions_are_packed_with_their_activation_and_give_the_same_map() -> None:
    torch.manual_seed(0)
    fcn = convolutionize(build_model("alexnet").eval(), (3, 224, 224))
    folded = fold_batchnorm(fcn)
    assert folded.folded == 0 and folded.sources == ()  # no BatchNorm in AlexNet
    packed = [m for m in folded.module.modules() if isinstance(m, PackedConv2d)]
    assert len(packed) == 5 and all(m.attr == "relu" for m in packed)  # each convolution with its ReLU
    relus = [
        n
        for n in folded.module.graph.nodes
        if n.op == "call_module" and "ReLU" in type(folded.module.get_submodule(str(n.target))).__name__
    ]
    assert len(relus) == 2  # fc6's and fc7's stay in the graph
    assert not any(isinstance(m, PackedConv2d) for m in fcn.modules())  # the converted network is untouched
    image = torch.randn(1, 3, 288, 320, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        for batch in (image, image.contiguous(memory_format=torch.channels_last)):
            expected, got = fcn(batch), folded.module(batch)
            assert got.shape == expected.shape and got.shape[-2:] == (3, 4)
            assert (got - expected).abs().max().item() <= 1e-4 * max(1.0, expected.abs().max().item())
    with torch.no_grad():  # outside inference mode, with gradients: the plain path, same values
        assert torch.allclose(folded.module(image), fcn(image), atol=1e-4)


def test_a_batchnorm_changed_in_place_is_folded_again() -> None:
    torch.manual_seed(0)
    loaded = load_model("resnet18", "none", device="cpu", seed=0)
    first = dense_network(loaded).folded
    assert dense_network(loaded).folded is first  # cached while the weights stay
    with torch.no_grad():
        loaded.model.get_submodule("bn1").running_var.mul_(4.0)
    dense = dense_network(loaded)
    assert dense.folded is not first and dense.folded.is_current()
    image = torch.randn(1, 3, 224, 256, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        expected, got = dense.fcn(image), dense.folded.module(image)
    assert (got - expected).abs().max().item() <= 1e-4 * max(1.0, expected.abs().max().item())
