"""Network in Network (Lin, Chen & Yan, 2013), CIFAR-10 configuration of the paper.

Three "mlpconv" blocks (a k×k convolution followed by two 1×1 convolutions, each with ReLU), max/average
pooling and dropout between them, and global average pooling of 10 class maps instead of any
fully-connected layer. No pretrained weights exist for it: it is always random-init here.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MlpConv", "NetworkInNetwork"]


class MlpConv(nn.Sequential):
    """A k×k convolution and two 1×1 convolutions (a tiny MLP slid over the image), each with ReLU."""

    def __init__(self, in_channels: int, widths: tuple[int, int, int], kernel_size: int, padding: int) -> None:
        first, second, third = widths
        super().__init__(
            nn.Conv2d(in_channels, first, kernel_size=kernel_size, padding=padding),
            nn.ReLU(inplace=True),
            nn.Conv2d(first, second, kernel_size=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(second, third, kernel_size=1),
            nn.ReLU(inplace=True),
        )


class NetworkInNetwork(nn.Module):
    """NiN for 3x32x32 inputs: the last mlpconv emits one map per class, averaged globally."""

    def __init__(self, num_classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            MlpConv(3, (192, 160, 96), kernel_size=5, padding=2),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            nn.Dropout(dropout),
            MlpConv(96, (192, 192, 192), kernel_size=5, padding=2),
            nn.AvgPool2d(kernel_size=3, stride=2, ceil_mode=True),
            nn.Dropout(dropout),
            MlpConv(192, (192, 192, num_classes), kernel_size=3, padding=1),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        return torch.flatten(x, 1)
