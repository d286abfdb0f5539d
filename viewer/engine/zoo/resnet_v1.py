"""He et al.'s original ResNet-50/101/152 ("v1"), built from torchvision's ("v1.5") by moving one stride.

In the paper (He et al., 2015, Table 1) the first bottleneck block of conv3_x, conv4_x and conv5_x halves the
resolution with stride 2 on its first 1×1 convolution; torchvision (after Facebook's fb.resnet.torch) puts that
stride on the 3×3 convolution instead, which costs more MACs (the 3×3 then runs on the full-size map) and is a
little more accurate. The two differ in nothing else: every parameter has the same name and shape, so
torchvision's pretrained weights load into v1 unchanged, but they were trained for v1.5 and are only
approximately right for v1 (a different sampling grid in three blocks).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from torch import nn
from torchvision import models as tv_models
from torchvision.models.resnet import Bottleneck

from viewer.core.macs import macs_from_flops

__all__ = [
    "BLOCKS",
    "V1_OF",
    "V1_WEIGHTS_NOTE",
    "move_stride_to_first_conv",
    "resnet50_v1",
    "resnet101_v1",
    "resnet152_v1",
    "v1_builder",
    "v1_macs",
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
    build.__doc__ = (
        f"He et al.'s original {torchvision_name} (stride 2 on the first 1×1 convolution); "
        f"``weights``: a member of torchvision's {torchvision_name} weights enum, or None."
    )
    return build


resnet50_v1 = v1_builder("resnet50")
resnet101_v1 = v1_builder("resnet101")
resnet152_v1 = v1_builder("resnet152")

# The v1 network's name → the torchvision network whose builder and weights it shares.
V1_OF: dict[str, str] = {"resnet50_v1": "resnet50", "resnet101_v1": "resnet101", "resnet152_v1": "resnet152"}


# Bottleneck blocks per stage (conv2_x … conv5_x), the paper's Table 1 and torchvision's builders alike
# (tests/engine/zoo/test_resnet_v1.py checks them against the built networks).
BLOCKS: dict[str, tuple[int, int, int, int]] = {"resnet50": (3, 4, 6, 3), "resnet101": (3, 4, 23, 3),
                                                "resnet152": (3, 8, 36, 3)}  # fmt: skip


@functools.cache
def _twin_macs(size: int) -> tuple[int, tuple[int, ...]]:
    """MACs of a v1 ResNet with two blocks per stage, and of each stage's second block."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from torchvision.models.resnet import ResNet

    with torch.device("meta"):
        model = move_stride_to_first_conv(ResNet(Bottleneck, [2, 2, 2, 2]).eval())
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.empty(1, 3, size, size))
    per_module = counter.get_flop_counts()
    repeated = tuple(macs_from_flops(sum(per_module[f"ResNet.{stage}.1"].values())) for stage in ("layer1", *_STAGES))
    return macs_from_flops(counter.get_total_flops()), repeated  # `_ops` are MACs


def v1_macs(blocks: Sequence[int], size: int = 224) -> int:
    """Exact MACs of He et al.'s bottleneck ResNet with ``blocks`` per stage, on a ``size``² input.

    Every block after a stage's first has the same widths, map size and stride, so the count is that of a
    two-block-per-stage twin plus (n - 2) times each stage's second block: one small measurement on the meta
    device serves ResNet-50, 101 and 152, where counting ResNet-152 itself would add about a second to every
    start of the registry.
    """
    total, repeated = _twin_macs(size)
    return total + sum((count - 2) * block for count, block in zip(blocks, repeated, strict=True))
