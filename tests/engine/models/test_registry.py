"""The registry reads torchvision's metadata and adds the lecture's seed networks."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from viewer.core.errors import ModelError
from viewer.engine.models import registry

LECTURE_FAMILIES = ["LeNet", "AlexNet", "VGG", "Network in Network", "GoogLeNet / Inception", "ResNet", "ResNeXt"]


def test_every_torchvision_classifier_is_registered_with_its_metadata() -> None:
    names = torchvision.models.list_models(module=torchvision.models)
    specs = {spec.name: spec for spec in registry.list_specs()}
    assert set(names) <= set(specs)
    resnet50 = specs["resnet50"]
    meta = torchvision.models.get_model_weights("resnet50").DEFAULT.meta
    assert resnet50.num_params == meta["num_params"] == 25557032
    assert resnet50.gmacs == meta["_ops"]
    assert resnet50.default_weights == "IMAGENET1K_V2"
    assert resnet50.weights == ("IMAGENET1K_V1", "IMAGENET1K_V2")
    assert len(resnet50.categories) == 1000 and resnet50.categories[235] == "German shepherd"
    assert resnet50.accuracy["acc@1"] == pytest.approx(80.858)
    assert resnet50.input.shape == (3, 224, 224) and resnet50.input.resize_size == 232
    assert specs["inception_v3"].input.shape == (3, 299, 299)


def test_lecture_families_come_first_in_lecture_order() -> None:
    families = list(dict.fromkeys(spec.family for spec in registry.list_specs()))
    assert families[: len(LECTURE_FAMILIES)] == LECTURE_FAMILIES
    names = [spec.name for spec in registry.list_specs() if spec.family == "VGG"]
    assert names[:3] == ["vgg11", "vgg11_bn", "vgg13"]  # natural order, not 'vgg11, vgg13, ..., vgg11_bn'


@pytest.mark.parametrize("name, shape", [("lenet5", (1, 28, 28)), ("nin", (3, 32, 32))])
def test_seed_networks_measure_their_own_params_and_macs(name: str, shape: tuple[int, int, int]) -> None:
    spec = registry.get_spec(name)
    model = registry.build_model(name)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = model(torch.zeros(1, *shape))
    assert out.shape == (1, 10)
    assert spec.num_params == sum(p.numel() for p in model.parameters())
    assert spec.gmacs == pytest.approx(counter.get_total_flops() / 2e9)
    assert spec.input.shape == shape and len(spec.categories) == 10


def test_lenet5_is_exactly_the_lecture_printout() -> None:
    model = registry.build_model("lenet5")
    printed = [repr(m) for m in model.modules() if not list(m.children())]
    assert printed == [
        "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))",
        "ReLU(inplace=True)",
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
        "Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))",
        "ReLU(inplace=True)",
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
        "Linear(in_features=256, out_features=120, bias=True)",
        "ReLU(inplace=True)",
        "Linear(in_features=120, out_features=84, bias=True)",
        "ReLU(inplace=True)",
        "Linear(in_features=84, out_features=10, bias=True)",
    ]


def test_nin_has_mlpconv_blocks_and_no_fully_connected_layer() -> None:
    from viewer.engine.zoo import MlpConv

    model = registry.build_model("nin")
    assert sum(isinstance(m, MlpConv) for m in model.modules()) == 3
    assert not any(isinstance(m, torch.nn.Linear) for m in model.modules())
    assert registry.get_spec("nin").default_weights is None


def test_unknown_model_suggests_close_names() -> None:
    with pytest.raises(ModelError, match="resnet50"):
        registry.get_spec("resnet05")


def test_googlenet_is_built_like_its_default_weights() -> None:
    with torch.device("meta"):
        plain = registry.build_model("googlenet")
        with_aux = registry.build_model("googlenet", aux_logits=True)
    assert sum(p.numel() for p in plain.parameters()) == registry.get_spec("googlenet").num_params
    assert with_aux.aux1 is not None and plain.aux1 is None


def test_lenet5_reports_its_held_out_accuracy() -> None:
    assert registry.get_spec("lenet5").accuracy["acc@1"] >= 99.0
