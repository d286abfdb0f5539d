"""The optimised image of a channel: a picture made to excite one unit as much as it can (issue 23).

Olah et al. (2017, "Feature Visualization", Distill) optimise an image, from noise, to maximise one channel's mean
activation (or one class logit): the image is a decorrelated, Fourier-parameterised one and each step sees it
jittered, scaled and rotated at random, so that what survives is what the channel looks for, not the adversarial
high-frequency pattern plain gradient ascent finds. The engine (:mod:`viewer.engine.optimise`) returns this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["OptimisedImage", "unit_title"]


def unit_title(layer: str, channel: int, channel_name: str = "") -> str:
    """How a unit is named in messages: "features.10 channel 7", "class 1 (goldfish)" for the output."""
    unit = f"{layer} channel {channel}" if layer else f"class {channel}"
    return f"{unit} ({channel_name})" if channel_name else unit


@dataclass
class OptimisedImage:
    """One channel's optimised image, how it got there and what it was made with (enough to make it again)."""

    image: np.ndarray  # uint8 (H, W, 3) RGB at the network's input size (a grey network's three channels equal)
    network: str  # the network's name
    weights: str  # the weights' label, as every view names them
    layer: str  # the module whose output is maximised ("" for the network's output: a class logit)
    channel: int  # the channel (or, after a Linear, the element: the class index for the output)
    channel_name: str  # the class's name when ``channel`` is a class logit, else ""
    # The objective (the channel's mean over its map; the element itself for a vector) at every step, as the
    # optimiser saw it: on that step's jittered, scaled and rotated image.
    values: np.ndarray  # float32 (steps,)
    start_value: float  # the objective on the first image (the parameterisation's noise), untransformed
    end_value: float  # the objective on ``image`` itself (8-bit, untransformed), as the network sees the PNG
    seed: int
    steps: int
    # The method's settings (learning rate, decay power, jitter, scales, angles, colour decorrelation...) and the
    # preprocessing the image was normalised with inside the optimisation; JSON-able.
    settings: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    seconds: float = 0.0  # of the optimisation (this run; 0 when it was not timed)

    @property
    def title(self) -> str:
        """The unit it excites, as messages name it (:func:`unit_title`)."""
        return unit_title(self.layer, self.channel, self.channel_name)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of ``image``."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    def provenance(self) -> dict[str, Any]:
        """Everything needed to make this image again, JSON-able (an export can embed it)."""
        return {
            "kind": "optimised_image",
            "network": self.network,
            "weights": self.weights,
            "layer": self.layer,
            "channel": self.channel,
            "channel_name": self.channel_name,
            "seed": self.seed,
            "steps": self.steps,
            "size": list(self.size),
            "start_value": self.start_value,
            "end_value": self.end_value,
            "settings": self.settings,
            "device": self.device,
        }
