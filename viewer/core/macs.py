"""Multiply-accumulates from FLOP counts, in one place.

``torch.utils.flop_counter.FlopCounterMode`` counts a multiply-add as two FLOPs; the lecture, torchinfo and fvcore
count MACs (one per multiply-add), and so does every cost this app shows.
"""

from __future__ import annotations

__all__ = ["FLOPS_PER_MAC", "macs_from_flops"]

FLOPS_PER_MAC = 2


def macs_from_flops(flops: int) -> int:
    """The MACs of ``flops`` counted by ``FlopCounterMode``."""
    return int(flops) // FLOPS_PER_MAC
