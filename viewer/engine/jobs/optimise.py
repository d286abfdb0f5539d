"""The optimised-image job: the picture that excites one channel most (Olah et al. 2017; issue 23).

A generator, as every long job: progress after each step of the optimisation, where the runner may cancel (nothing
is kept); the :class:`~viewer.core.results.optimised.OptimisedImage` returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from viewer.core.progress import Job
from viewer.core.results.optimised import OptimisedImage

if TYPE_CHECKING:
    from viewer.engine.models.weights import LoadedModel

__all__ = ["optimised_image"]


def optimised_image(
    loaded: LoadedModel,
    layer: str,
    channel: int,
    *,
    steps: int = 256,
    size: int | None = None,
    seed: int = 0,
) -> Job[OptimisedImage]:
    """The image that maximises ``channel`` of ``layer`` ("" for the output: a class logit) after ``steps`` steps,
    ``size`` pixels a side (None: the network's input size), drawn from ``seed``."""
    from viewer.engine.optimise.job import optimise_channel

    return (yield from optimise_channel(loaded, layer, channel, steps=steps, size=size, seed=seed))
