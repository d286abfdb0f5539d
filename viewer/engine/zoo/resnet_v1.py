"""He et al.'s original ResNet-50/101/152 ("v1"), built from torchvision's ("v1.5") by moving one stride.

In the paper (He et al., 2015, Table 1) the first bottleneck block of conv3_x, conv4_x and conv5_x halves the
resolution with stride 2 on its first 1×1 convolution; torchvision (after Facebook's fb.resnet.torch) puts that
stride on the 3×3 convolution instead, which costs more MACs (the 3×3 then runs on the full-size map) and is a
little more accurate. The two differ in nothing else: every parameter has the same name and shape, so
torchvision's pretrained weights load into v1 unchanged, but they were trained for v1.5 and are only
approximately right for v1 (a different sampling grid in three blocks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn
from torchvision import models as tv_models
from torchvision.models.resnet import Bottleneck

__all__ = [
    "V1_OF",
    "V1_WEIGHTS_NOTE",
    "move_stride_to_first_conv",
    "resnet50_v1",
    "resnet101_v1",
    "resnet152_v1",
    "stride_move_saving",
    "v1_builder",
]

# Shown wherever these networks' weights or costs are (picker label, `viewer models`, the weights label).
V1_WEIGHTS_NOTE = "weights trained for v1.5"

_STAGES = ("layer2", "layer3", "layer4")


def move_stride_to_first_conv(model: nn.Module) -> nn.Module:
    """``model`` (a torchvision bottleneck ResNet, changed in place) with the paper's stride placement.

    The stride of each downsampling block's 3×3 convolution moves to its first 1×1 convolution; padding and
    weights are untouched (a 1×1 convolution with stride 2 needs no padding), and the shortcut's own 1×1
    stride-2 projection already matches the paper.
    """
    for stage in _STAGES:
        first = getattr(model, stage)[0]
        if not isinstance(first, Bottleneck):
            raise TypeError(f"{stage}.0 is a {type(first).__name__}, not a torchvision Bottleneck")
        stride = first.conv2.stride
        first.conv1.stride, first.conv2.stride = stride, (1, 1)
    return model


def v1_builder(torchvision_name: str) -> Callable[..., nn.Module]:
    """A builder of the v1 form of torchvision's bottleneck ResNet ``torchvision_name``, weights optional."""

    def build(*, weights: tv_models.WeightsEnum | None = None, **kwargs: Any) -> nn.Module:
        # torchvision's own builder does everything weights need (num_classes from the categories, the
        # download, strict loading); the stride moves afterwards because it changes no parameter.
        return move_stride_to_first_conv(tv_models.get_model(torchvision_name, weights=weights, **kwargs))

    build.__name__ = f"{torchvision_name}_v1"
    build.__doc__ = (f"He et al.'s original {torchvision_name} (stride 2 on the first 1×1 convolution); "
                     f"``weights``: a member of torchvision's {torchvision_name} weights enum, or None.")
    return build


resnet50_v1 = v1_builder("resnet50")
resnet101_v1 = v1_builder("resnet101")
resnet152_v1 = v1_builder("resnet152")

# The v1 network's name → the torchvision network whose builder and weights it shares.
V1_OF: dict[str, str] = {"resnet50_v1": "resnet50", "resnet101_v1": "resnet101", "resnet152_v1": "resnet152"}


def stride_move_saving(size: int = 224) -> int:
    """MACs that the v1 placement saves over v1.5 on a ``size``² input, for any of ResNet-50/101/152.

    Only the first block of conv3_x, conv4_x and conv5_x changes (its first 1×1 convolution runs on the
    halved map), and those blocks are the same in the three depths, which differ only in how many blocks
    follow. So a ResNet with one block per stage, on the meta device, measures the saving in milliseconds,
    where measuring each full network would add a second to every start of the registry.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from torchvision.models.resnet import ResNet

    def macs(model: nn.Module) -> int:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.empty(1, 3, size, size))
        return counter.get_total_flops() // 2  # FLOPs count a multiply-add twice; torchvision's `_ops` are MACs

    with torch.device("meta"):
        model = ResNet(Bottleneck, [1, 1, 1, 1]).eval()
        before = macs(model)
        return before - macs(move_stride_to_first_conv(model))
