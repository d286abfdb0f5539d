"""The one progress type of every long job, and the protocol that carries a job's result.

A long engine job is a generator: it yields :class:`Progress` between steps (where the worker may cancel) and
``return``\\ s its result, so the result is ``StopIteration.value`` — the protocol of superqt's
``GeneratorWorker`` and of ``result = yield from sub_job(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Job", "Progress", "run_job", "time_left"]

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Progress:
    """``step`` of ``total`` units done (passes, files, bytes), with a sentence for the status bar."""

    step: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, max(0.0, self.step / self.total))


Job = Generator[Progress, None, ResultT]
"""A long job: yields progress, returns its result."""


def run_job(job: Job[ResultT], on_progress: Callable[[Progress], object] | None = None) -> ResultT:
    """Drive ``job`` to its end (reporting each step to ``on_progress``) and return its result."""
    while True:
        try:
            step = next(job)
        except StopIteration as stop:
            result: ResultT = stop.value
            return result
        if on_progress is not None:
            on_progress(step)


def time_left(done: int, total: int, begun: int, elapsed_s: float) -> str:
    """ ", 1:05 left" (or ", 1:02:05 left") at the rate of the steps since ``begun``; "" until there is a rate."""
    rate = (done - begun) / elapsed_s if elapsed_s > 0 else 0.0
    if rate <= 0 or done >= total:
        return ""
    minutes, seconds = divmod(round((total - done) / rate), 60)
    hours, minutes = divmod(minutes, 60)
    return f", {hours}:{minutes:02d}:{seconds:02d} left" if hours else f", {minutes}:{seconds:02d} left"
