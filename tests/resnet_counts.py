"""Parameter counts read from torchvision's real ResNet blocks (built on the meta device: no weights, no memory).

What the lecture's formulas (``viewer.core.lecture.counts``) are checked against, counted here from the modules
themselves rather than from the data-flow graph the viewer reads them from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn
from torchvision import models
from torchvision.models.resnet import BasicBlock

__all__ = ["BlockCounts", "basic_block_counts", "block_counts", "meta_resnet", "signed_amounts"]


@dataclass(frozen=True)
class BlockCounts:
    """One residual block: the module's parameters, the lecture's count and the three differences between them."""

    real: int  # every parameter of the module, shortcut included
    lecture: int  # (k·k·C_in + 1)·C_out over the residual path's convolutions: a bias per filter
    bias: int  # the module's convolution biases minus the lecture's
    batchnorm: int  # the residual path's BatchNorm scales and shifts
    shortcut: int  # the projection on the shortcut (``downsample``), 0 for an identity


def meta_resnet(name: str) -> nn.Module:
    """torchvision's ``name`` as ``torchvision.models.get_model`` builds it, on the meta device."""
    with torch.device("meta"):
        return models.get_model(name)


def block_counts(block: nn.Module) -> BlockCounts:
    """The counts of a torchvision ``BasicBlock`` or ``Bottleneck``: its own convolutions and BatchNorms are the
    residual path, its ``downsample`` the shortcut."""
    convs = [child for child in block.children() if isinstance(child, nn.Conv2d)]
    norms = [child for child in block.children() if isinstance(child, nn.BatchNorm2d)]
    downsample = getattr(block, "downsample", None)
    lecture = sum(
        (conv.kernel_size[0] * conv.kernel_size[1] * conv.in_channels + 1) * conv.out_channels for conv in convs
    )
    biases = sum(conv.bias.numel() for conv in convs if conv.bias is not None)
    return BlockCounts(
        real=sum(parameter.numel() for parameter in block.parameters()),
        lecture=lecture,
        bias=biases - sum(conv.out_channels for conv in convs),
        batchnorm=sum(parameter.numel() for norm in norms for parameter in norm.parameters()),
        shortcut=sum(parameter.numel() for parameter in downsample.parameters()) if downsample is not None else 0,
    )


def basic_block_counts(channels: int) -> BlockCounts:
    """A torchvision ``BasicBlock`` at ``channels`` channels in and out (the lecture's 256: why the bottleneck)."""
    with torch.device("meta"):
        return block_counts(BasicBlock(channels, channels))


def signed_amounts(text: str) -> list[int]:
    """``"no convolution bias (−128), BatchNorm's scale and shift (+256)"`` → ``[-128, 256]``."""
    return [
        int(amount.replace("\u2212", "-").replace(",", "")) for amount in re.findall(r"\(([+\u2212][\d,]+)\)", text)
    ]
