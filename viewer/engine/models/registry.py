"""One place that knows every network: the lecture's seed networks and torchvision's classification zoo.

Everything torchvision already publishes (parameter counts, GMACs, accuracies, categories, the input
size and normalisation of each weights entry) is read from its weights API, never retyped. The only
hand-written facts are the family/paper table below, which torchvision's metadata does not carry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import torchvision
from torch import nn
from torchvision import models as tv_models

from viewer.core.errors import ModelError
from viewer.core.network.input import InputSpec
from viewer.core.network.spec import NetworkSpec
from viewer.core.resources import bundled_path
from viewer.engine.zoo import V1_OF, LeNet5, NetworkInNetwork
from viewer.engine.zoo.lenet import MNIST_MEAN, MNIST_STD
from viewer.engine.zoo.resnet_v1 import BLOCKS, V1_WEIGHTS_NOTE, v1_builder, v1_macs

__all__ = [
    "FAMILY_ORDER",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ModelSpec",
    "build_model",
    "build_pretrained",
    "get_spec",
    "list_specs",
    "torchvision_weights",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

# (name prefix, family, paper) in the lecture's order, then the rest of the zoo: FAMILY_ORDER, how pickers
# group networks, follows this table. The longest matching prefix names a network's family.
_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("lenet", "LeNet", "LeCun et al., Gradient-based learning applied to document recognition (1998)"),
    ("alexnet", "AlexNet", "Krizhevsky, Sutskever & Hinton, ImageNet classification with deep CNNs (2012)"),
    ("vgg", "VGG", "Simonyan & Zisserman, Very deep convolutional networks (2014)"),
    ("nin", "Network in Network", "Lin, Chen & Yan, Network in network (2013)"),
    ("googlenet", "GoogLeNet / Inception", "Szegedy et al., Going deeper with convolutions (2014)"),
    ("inception", "GoogLeNet / Inception", "Szegedy et al., Rethinking the Inception architecture (2015)"),
    ("resnet", "ResNet", "He et al., Deep residual learning for image recognition (2015)"),
    ("resnext", "ResNeXt", "Xie et al., Aggregated residual transformations (2016)"),
    ("wide_resnet", "Wide ResNet", "Zagoruyko & Komodakis, Wide residual networks (2016)"),
    ("densenet", "DenseNet", "Huang et al., Densely connected convolutional networks (2016)"),
    ("squeezenet", "SqueezeNet", "Iandola et al., SqueezeNet (2016)"),
    ("shufflenet", "ShuffleNet", "Ma et al., ShuffleNet V2 (2018)"),
    ("mobilenet_v2", "MobileNet", "Sandler et al., MobileNetV2 (2018)"),
    ("mobilenet_v3", "MobileNet", "Howard et al., Searching for MobileNetV3 (2019)"),
    ("mnasnet", "MnasNet", "Tan et al., MnasNet (2018)"),
    ("efficientnet_v2", "EfficientNet", "Tan & Le, EfficientNetV2 (2021)"),
    ("efficientnet", "EfficientNet", "Tan & Le, EfficientNet (2019)"),
    ("regnet", "RegNet", "Radosavovic et al., Designing network design spaces (2020)"),
    ("convnext", "ConvNeXt", "Liu et al., A ConvNet for the 2020s (2022)"),
    ("vit", "Vision Transformer", "Dosovitskiy et al., An image is worth 16x16 words (2020)"),
    ("swin", "Swin Transformer", "Liu et al., Swin Transformer (2021)"),
    ("maxvit", "MaxViT", "Tu et al., MaxViT (2022)"),
)
FAMILY_ORDER: tuple[str, ...] = (*tuple(dict.fromkeys(family for _, family, _ in _FAMILIES)), "Custom")


@dataclass(frozen=True)
class ModelSpec(NetworkSpec):
    """A network's :class:`NetworkSpec` and the function that builds it (which never leaves the engine)."""

    builder: Callable[..., nn.Module] | None = field(default=None, repr=False, compare=False)


def family_of(name: str) -> tuple[str, str]:
    """The (family, paper) of a network name; unknown names are "Custom"."""
    matches = [entry for entry in _FAMILIES if name.startswith(entry[0])]
    if not matches:
        return "Custom", ""
    _, family, paper = max(matches, key=lambda entry: len(entry[0]))
    return family, paper


def torchvision_weights(name: str, weights: str) -> tv_models.WeightsEnum:
    """The torchvision weights enum member ``weights`` (``"DEFAULT"`` allowed) of model ``name``.

    ``name`` may be a v1 ResNet (``resnet50_v1``): its weights are those of torchvision's ``resnet50``.
    """
    enum = tv_models.get_model_weights(V1_OF.get(name, name))
    try:
        return enum[weights] if weights != "DEFAULT" else enum.DEFAULT
    except KeyError:
        known = ", ".join(member.name for member in enum)
        raise ModelError(f"{name} has no weights named {weights!r} (known: {known}, none, or a file).") from None


def input_spec_of(weights: tv_models.WeightsEnum) -> InputSpec:
    """The input a torchvision weights entry expects, read from its own ``transforms()``."""
    transform = weights.transforms()
    return InputSpec(
        channels=3,
        crop_size=int(transform.crop_size[0]),
        resize_size=int(transform.resize_size[0]),
        mean=tuple(float(v) for v in transform.mean),
        std=tuple(float(v) for v in transform.std),
        interpolation=transform.interpolation.value,
    )


def _torchvision_builder(name: str) -> Callable[..., nn.Module]:
    # Random-init models are built the way the DEFAULT weights build them, so that a summary of a random
    # model has the same shape and totals as the pretrained one: GoogLeNet drops its auxiliary heads for
    # inference, Inception-v3 keeps them (its DEFAULT num_params counts them).
    # ViTs are sized by their weights (vit_h_14's DEFAULT SWAG weights are 518 px, not the builder's 224).
    defaults: dict[str, Any] = {}
    if name == "googlenet":
        defaults = {"aux_logits": False, "init_weights": True}
    elif name == "inception_v3":
        defaults = {"aux_logits": True, "init_weights": True}
    elif name.startswith("vit_"):
        defaults = {"image_size": tv_models.get_model_weights(name).DEFAULT.meta["min_size"][0]}

    def build(**kwargs: Any) -> nn.Module:
        model: nn.Module = tv_models.get_model(name, weights=None, **{**defaults, **kwargs})
        return model

    return build


def _torchvision_spec(name: str) -> ModelSpec:
    enum = tv_models.get_model_weights(name)
    default = enum.DEFAULT
    meta = default.meta
    family, paper = family_of(name)
    metrics: dict[str, float] = next(iter(meta.get("_metrics", {}).values()), {})
    return ModelSpec(
        name=name,
        family=family,
        paper=paper,
        source="torchvision",
        input=input_spec_of(default),
        categories=tuple(meta["categories"]),
        weights=tuple(member.name for member in enum),
        default_weights=default.name,
        num_params=int(meta["num_params"]),
        gmacs=float(meta["_ops"]) if "_ops" in meta else None,
        accuracy={k: float(v) for k, v in metrics.items()},
        builder=_torchvision_builder(name),
        variant="v1.5" if name in BLOCKS else "",
    )


def _v1_spec(name: str, base: ModelSpec) -> ModelSpec:
    """He et al.'s original ResNet beside torchvision's: the same parameters and weights, fewer MACs.

    Its MACs are measured (torchvision publishes those of v1.5 only); its accuracy is left out, because
    torchvision measured its weights on v1.5 only.
    """
    return replace(
        base,
        name=name,
        gmacs=v1_macs(BLOCKS[base.name]) / 1e9,
        accuracy={},
        builder=v1_builder(base.name),
        weights_of=base.name,
        weights_note=V1_WEIGHTS_NOTE,
        variant="v1, He et al.",
    )


def _seed_specs() -> list[ModelSpec]:
    lenet_family, lenet_paper = family_of("lenet5")
    nin_family, nin_paper = family_of("nin")
    return [
        ModelSpec(
            name="lenet5",
            family=lenet_family,
            paper=lenet_paper,
            source="seed",
            input=InputSpec(1, 28, 28, MNIST_MEAN, MNIST_STD),
            categories=tuple(str(digit) for digit in range(10)),
            weights=("MNIST",),
            default_weights="MNIST",
            **_measure(LeNet5, (1, 28, 28)),
            accuracy=_bundled_accuracy("lenet5_mnist.json"),
            builder=LeNet5,
        ),
        ModelSpec(
            name="nin",
            family=nin_family,
            paper=nin_paper,
            source="seed",
            input=InputSpec(3, 32, 32, IMAGENET_MEAN, IMAGENET_STD),
            categories=CIFAR10_CLASSES,
            weights=(),
            default_weights=None,  # the paper's weights were never published for PyTorch: random init only
            **_measure(NetworkInNetwork, (3, 32, 32)),
            builder=NetworkInNetwork,
        ),
    ]


def _measure(builder: Callable[[], nn.Module], shape: tuple[int, int, int]) -> dict[str, Any]:
    """Parameters and GMACs of a seed network (torchvision publishes these for its own models)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = builder().eval()
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.empty(1, *shape))
    # FlopCounterMode counts a multiply-add as two FLOPs; torchvision's `_ops` are MACs.
    return {"num_params": sum(p.numel() for p in model.parameters()), "gmacs": counter.get_total_flops() / 2e9}


def _bundled_accuracy(filename: str) -> dict[str, float]:
    """The held-out accuracy recorded by the script that trained a bundled weights file."""
    import json

    try:
        record = json.loads(bundled_path(filename).read_text())
        return {"acc@1": round(100 * float(record["held_out_accuracy"]), 2)}
    except (OSError, KeyError, ValueError):
        return {}


@functools.cache
def _all_specs() -> dict[str, ModelSpec]:
    specs = {spec.name: spec for spec in _seed_specs()}
    for name in tv_models.list_models(module=torchvision.models):
        specs[name] = _torchvision_spec(name)
    for name, base in V1_OF.items():
        specs[name] = _v1_spec(name, specs[base])
    return specs


def list_specs() -> list[ModelSpec]:
    """Every registered network, in the lecture's family order, then by name."""
    order = {family: index for index, family in enumerate(FAMILY_ORDER)}
    return sorted(_all_specs().values(), key=lambda s: (order.get(s.family, len(order)), _natural_key(s.name)))


def _natural_key(name: str) -> tuple[int | str, ...]:
    import re

    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def get_spec(name: str) -> ModelSpec:
    """The spec of ``name``, or a ``ModelError`` that suggests close names."""
    specs = _all_specs()
    if name in specs:
        return specs[name]
    import difflib

    close = difflib.get_close_matches(name, list(specs), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else " `viewer models` lists them."
    raise ModelError(f"Unknown model {name!r}.{hint}")


def build_pretrained(spec: ModelSpec, weights: tv_models.WeightsEnum) -> nn.Module:
    """``spec``'s network with torchvision's ``weights`` loaded by torchvision's own builder (strict).

    A v1 ResNet goes through torchvision's builder of its v1.5 twin too (same parameter names and
    shapes), then moves its strides.
    """
    if spec.weights_of:
        assert spec.builder is not None
        return spec.builder(weights=weights)
    model: nn.Module = tv_models.get_model(spec.name, weights=weights)
    return model


def build_model(name: str, **kwargs: Any) -> nn.Module:
    """A random-init model (in eval mode) built like its default weights build it.

    Build inside ``with torch.device("meta"):`` when only shapes matter.
    """
    spec = get_spec(name)
    assert spec.builder is not None
    return spec.builder(**kwargs).eval()
