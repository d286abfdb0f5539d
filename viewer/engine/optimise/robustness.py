"""Transformation robustness (Olah et al. 2017): each step sees the image shifted, scaled and rotated at random.

A pattern that excites the channel only at one exact pixel alignment (the adversarial noise of plain gradient
ascent) does not survive random small transformations; one the channel really looks for does. Lucid's standard
transforms are a grey pad of 12 px, a jitter of 8 px, a scale in 0.90..1.10 (steps of 0.02), a rotation in
-10..10 degrees (0 five times as likely) and a jitter of 4 px, applied one after the other; here they are one
affine resampling (bilinear, grey where the image is not), so the network always gets its own input size: a
network whose head is a fixed Linear (LeNet-5) takes the result as it is, and one resampling blurs less than four.
The random choices come from the caller's seeded generator, so a seed gives the same steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["ANGLES", "JITTER", "PAD_VALUE", "SCALES", "RandomAffine"]

JITTER = 8  # pixels, each way: Lucid's pad and two jitters shift the image by about that much
SCALES = tuple(1 + (i - 5) / 50 for i in range(11))  # Lucid's: 0.90, 0.92, ..., 1.10
ANGLES = tuple(float(a) for a in (*range(-10, 11), 0, 0, 0, 0, 0))  # Lucid's, in degrees
PAD_VALUE = 0.5  # Lucid's grey where a transformed image shows beyond its edges


@dataclass(frozen=True)
class RandomAffine:
    """One random shift, scale and rotation per call, about the image's centre."""

    jitter: int = JITTER
    scales: Sequence[float] = SCALES
    angles: Sequence[float] = ANGLES

    def sample(self, generator: torch.Generator) -> tuple[float, float, float, float]:
        """(dx, dy in pixels, scale, angle in degrees), drawn from ``generator`` (on the CPU: no device sync)."""
        shift = torch.randint(-self.jitter, self.jitter + 1, (2,), generator=generator)
        scale = self.scales[int(torch.randint(len(self.scales), (1,), generator=generator))]
        angle = self.angles[int(torch.randint(len(self.angles), (1,), generator=generator))]
        return float(shift[0]), float(shift[1]), float(scale), float(angle)

    def __call__(self, image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``image`` (N, C, H, W) shifted, scaled and rotated at random; the same size, grey outside."""
        dx, dy, scale, angle = self.sample(generator)
        return affine(image, dx, dy, scale, angle)


def affine(image: torch.Tensor, dx: float, dy: float, scale: float, angle: float) -> torch.Tensor:
    """``image`` moved by (dx, dy) pixels, then scaled by ``scale`` and rotated by ``angle`` degrees about its
    centre; ``PAD_VALUE`` where the result shows beyond the image."""
    height, width = image.shape[-2:]
    radians = math.radians(angle)
    cos, sin = math.cos(radians) / scale, math.sin(radians) / scale
    # affine_grid maps each output position (normalised to [-1, 1]) to the input position it samples: the inverse
    # of the transformation, hence the division by the scale and the rotation by -angle. Normalised units differ
    # between the axes of a non-square image; the aspect factors keep the rotation a rotation in pixels.
    aspect = width / height
    theta = torch.tensor(
        [
            [cos, sin / aspect, -2.0 * dx / width],
            [-sin * aspect, cos, -2.0 * dy / height],
        ],
        dtype=image.dtype,
        device=image.device,
    )
    grid = F.affine_grid(theta.expand(image.shape[0], 2, 3), list(image.shape), align_corners=False)
    # grid_sample pads with zeros: sampling the image less the grey pads it with grey.
    moved = F.grid_sample(image - PAD_VALUE, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return moved + PAD_VALUE
