"""LeNet-5 exactly as the lecture prints it (1x28x28 MNIST input, 10 classes)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MNIST_MEAN", "MNIST_STD", "LeNet5"]

# The usual MNIST statistics (torchvision's MNIST examples use the same values).
MNIST_MEAN = (0.1307,)
MNIST_STD = (0.3081,)


class LeNet5(nn.Module):
    """Conv 1→6 5x5, pool, Conv 6→16 5x5, pool, Linear 256→120→84→10.

    With a 28x28 input the feature map before the classifier is 16x4x4 = 256, which is why the
    first linear layer has 256 inputs.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(256, 120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(x, 1)
        logits: torch.Tensor = self.classifier(x)
        return logits
