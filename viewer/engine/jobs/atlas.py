"""The atlas job: each channel's strongest images over a folder of the engine's machine (issue 23).

A generator, as every long job: progress (images/s, time left) between batches, where the runner may cancel (the
pass then saves what it did, and the next one with the same key resumes); the
:class:`~viewer.core.results.atlas.Atlas` returned. A finished index is read without a single progress step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from viewer.core.progress import Job
from viewer.core.results.atlas import Atlas

if TYPE_CHECKING:
    from viewer.engine.models.weights import LoadedModel

__all__ = ["atlas"]


def atlas(
    folder: str,
    loaded: LoadedModel,
    layers: Sequence[str],
    *,
    top: int = 9,
    batch_size: int = 64,
    workers: int | None = None,
    index_dir: str | None = None,
) -> Job[Atlas]:
    """``layers``' top-``top`` images per channel over ``folder`` (recursively), with the index kept in ``index_dir``
    (None: the user's cache)."""
    from viewer.engine.atlas.job import atlas_pass

    # The engine process has threads (a reader per window): its decoding workers are forked from a fresh
    # forkserver, never from this process (a fork copies locks that other threads may hold).
    return (
        yield from atlas_pass(
            loaded,
            folder,
            layers,
            top=top,
            batch_size=batch_size,
            workers=workers,
            index_dir=index_dir,
            context="forkserver",
        )
    )
