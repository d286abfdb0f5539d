"""Choices the CLI and the GUI share, so that ``viewer classify photo.jpg`` and the app agree out of the box."""

from __future__ import annotations

__all__ = ["DEFAULT_MODEL"]

# MobileNetV2 rather than ResNet-18: its pretrained weights are a 14 MB download (ResNet-18's are 45 MB), which
# matters on a student's first, possibly slow or metered, connection; it classifies in a few ms on a laptop CPU,
# so the first prediction lands at once; and it is the network of the README's screenshots. The lecture's own
# networks (LeNet-5 to ResNeXt) are one pick away in the model menu and `--model`.
DEFAULT_MODEL = "mobilenet_v2"
