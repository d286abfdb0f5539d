"""The points of the lecture's accuracy-versus-cost chart: plain data that the engine fills and the GUI draws."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LECTURE_FAMILIES", "LECTURE_NETWORKS", "ZooPoint"]

# The lecture's sequence; the networks it shows by name are labelled on the chart.
LECTURE_FAMILIES = ("LeNet", "AlexNet", "VGG", "Network in Network", "GoogLeNet / Inception", "ResNet", "ResNeXt")
LECTURE_NETWORKS = ("alexnet", "vgg16", "vgg19", "googlenet", "resnet18", "resnet50", "resnet152", "resnext50_32x4d")


@dataclass(frozen=True)
class ZooPoint:
    """One network with ImageNet weights: top-1 accuracy against cost, and its lecture family."""

    name: str
    family: str
    acc1: float
    acc5: float | None
    gmacs: float
    params: int
    lecture: bool  # labelled on the chart
    latency_ms: float | None = None  # measured on this device, where measured

    @property
    def label(self) -> str:
        return f"{self.name}: {self.acc1:.1f} % top-1, {self.gmacs:.2f} GMACs, {self.params / 1e6:.1f} M params"
