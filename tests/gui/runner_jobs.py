"""The job table of the engine runner's tests (``runner_jobs:JOBS``), run in a spawned engine.

This engine builds no real model: its model cache hands a job the choice it was given (``loaded=`` is the
:class:`ModelChoice`, on the device the engine's out-of-memory policy chose), so that the policy can be tested
without torch or a GPU. The patch applies to the process that imports this module, so only the engine may:
the tests name the table (``TABLE``) and never import it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

from viewer.core.errors import ImageError
from viewer.core.network.choice import ModelChoice
from viewer.core.progress import Progress
from viewer.engine.jobs.models import ModelCache


def _the_choice(self: Any, choice: ModelChoice, progress: Any = None) -> ModelChoice:
    return choice


ModelCache.get = _the_choice  # type: ignore[method-assign]


class OutOfMemoryError(RuntimeError):
    """Named as torch's: the engine recognises it by its name (``viewer.core.errors.is_out_of_memory``)."""


def echo(*args: Any, **kwargs: Any) -> Any:
    return {"args": args, "kwargs": kwargs, "pid": os.getpid()}


def spin(steps: int, pause_s: float = 0.02) -> Iterator[Progress]:
    """A long job: ``steps`` steps, each a short wait (stopped between them)."""
    for step in range(steps):
        time.sleep(pause_s)
        yield Progress(step + 1, steps, "spinning")
    return steps


def hang() -> None:
    """A job stuck "in C" that ignores SIGTERM: only a kill ends it."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(3600)


def user_error(name: str) -> None:
    raise ImageError(f"{name}: not an image file (no known image header).")


def bug() -> float:
    return 1 / 0


def gpu_hungry(*, loaded: ModelChoice, smaller: bool = False, fits_smaller: bool = False) -> dict[str, Any]:
    """Out of GPU memory unless on the CPU, or run ``smaller`` when that ``fits_smaller``."""
    if loaded.device != "cpu" and not (smaller and fits_smaller):
        raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    return {"device": loaded.device, "smaller": smaller}


JOBS: dict[str, Callable[..., Any]] = {
    "echo": echo,
    "spin": spin,
    "hang": hang,
    "user_error": user_error,
    "bug": bug,
    "gpu_hungry": gpu_hungry,
}
