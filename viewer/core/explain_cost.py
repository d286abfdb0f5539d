"""What an expensive explanation will cost, said before it runs (no torch, no Qt).

Occlusion runs one forward pass per patch position, integrated gradients a forward and a backward pass per step:
hundreds of passes, minutes on a laptop's CPU. The Explain tab runs them only when asked, and says beforehand
how many passes they take and about how long, from the forward time of the network measured on the same input
(a backward pass costs about twice a forward one). Batches make the passes cheaper per image than the single
pass that was measured, so the time is an upper estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from viewer.core.errors import ModelError
from viewer.core.options import IG_STEPS, OCCLUSION_PATCH, OCCLUSION_STRIDE

__all__ = ["COSTLY_METHODS", "CostEstimate", "check_occlusion", "estimate_cost", "occlusion_origins"]

COSTLY_METHODS = ("occlusion", "ig")  # run only when asked (the job policy's ``explain-costly``)
BACKWARD_OVER_FORWARD = 2.0  # a backward pass costs about twice the forward one


def occlusion_origins(length: int, patch: int, stride: int) -> list[int]:
    """Patch origins along one axis: 0, stride, … and, if those miss the end, one flush with it."""
    if patch > length:
        return [0]
    origins = list(range(0, length - patch + 1, stride))
    if origins[-1] != length - patch:
        origins.append(length - patch)
    return origins


def check_occlusion(size: tuple[int, int], patch: int, stride: int) -> None:
    """Refuse, with one sentence, a patch and stride whose map over an input of ``size`` (width, height) would
    mean nothing, rather than draw it.

    A patch at least as long as a side has one position along it: the map cannot vary that way (over a square
    input it is one constant). A stride longer than the patch leaves pixels between two patches that no patch
    covers, whose value would read 0, "no drop", though they were never occluded. :func:`occlusion_sweep` itself
    takes both (its arithmetic stays right); this is the check of what a user asks of an explanation.
    """
    width, height = size
    if patch < 1 or stride < 1:
        raise ModelError(f"occlusion: patch ({patch}) and stride ({stride}) must be at least one pixel.")
    if patch >= min(width, height):
        short = "height" if height <= width else "width"
        what = "be one value everywhere" if patch >= max(width, height) else f"not vary along its {short}"
        raise ModelError(
            f"occlusion: a {patch}-pixel patch is not smaller than the {width}×{height} network input, so the map "
            f"would {what}; use a patch of at most {min(width, height) - 1} pixels."
        )
    origins = (occlusion_origins(side, patch, stride) for side in size)
    if any(later - earlier > patch for axis in origins for earlier, later in pairwise(axis)):
        raise ModelError(
            f"occlusion: a stride of {stride} pixels is longer than the {patch}-pixel patch, so some pixels would "
            f"never be occluded and read 0; use a stride of at most {patch} pixels."
        )


@dataclass(frozen=True)
class CostEstimate:
    """How many passes a method takes on one input, and about how long (seconds, an upper estimate)."""

    method: str
    passes: int
    seconds: float

    @property
    def text(self) -> str:
        what = "forward passes" if self.method == "occlusion" else "forward and backward passes"
        return f"{self.passes} {what}, up to about {_duration(self.seconds)}"

    @property
    def short(self) -> str:
        """What a button has room for: "≤ 25 s"."""
        return f"≤ {_duration(self.seconds)}"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "a second"
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    return f"{seconds / 60:.1f} min"


def estimate_cost(
    method: str, input_size: tuple[int, int], forward_ms: float, options: Mapping[str, object]
) -> CostEstimate:
    """The cost of ``method`` with ``options`` on an input of ``input_size`` (width, height) pixels, for a network
    whose single forward pass at that size took ``forward_ms``."""
    if method == "occlusion":
        patch, stride = _positive(options, "patch", OCCLUSION_PATCH), _positive(options, "stride", OCCLUSION_STRIDE)
        width, height = input_size
        passes = len(occlusion_origins(height, patch, stride)) * len(occlusion_origins(width, patch, stride)) + 1
        return CostEstimate(method, passes, passes * forward_ms / 1e3)
    if method == "ig":
        steps = _positive(options, "steps", IG_STEPS)
        return CostEstimate(method, steps, steps * forward_ms * (1 + BACKWARD_OVER_FORWARD) / 1e3)
    raise ValueError(f"{method!r} is not one of the costly methods {COSTLY_METHODS}")


def _positive(options: Mapping[str, object], name: str, default: int) -> int:
    value = options.get(name, default)
    return max(1, int(value)) if isinstance(value, int | float | str) else default
