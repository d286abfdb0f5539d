"""What a network expects as input: channels, sizes and the normalisation its weights were trained with.

A plain value (no torch): the engine's registry fills it from torchvision's weights metadata, and results that
the window holds (``Prediction.input_spec``) carry it across the process boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InputSpec"]


@dataclass(frozen=True)
class InputSpec:
    """What a network expects: channels and size, plus the preprocessing its weights were trained with."""

    channels: int
    crop_size: int
    resize_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: str = "bilinear"

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.crop_size, self.crop_size)
