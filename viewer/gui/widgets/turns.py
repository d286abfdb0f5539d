"""Spreading a burst of view updates over event-loop turns, so that the window answers between them.

An image switch updates several views at once; each update queues its own repaint, and Qt handles every
repaint queued in one turn before it looks at its timers again. :class:`LaterTurns` runs each queued call in
a turn of its own, after the repaints queued before it (a zero-interval ``QTimer`` fires only once the posted
events are handled). ``viewer bench``'s 200-switch stall is the measure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6 import QtCore

from viewer.core.progress import Job

__all__ = ["LaterTurns", "StepsInTurns", "next_turn_timer"]

ResultT = TypeVar("ResultT")


def next_turn_timer(parent: QtCore.QObject, slot: Callable[[], None]) -> QtCore.QTimer:
    """A single-shot zero-interval timer calling ``slot``: ``start()`` runs it in a later event-loop turn, after
    the events posted before (a static ``QTimer.singleShot(0)`` is a posted event itself, run in the same turn)."""
    timer = QtCore.QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(0)
    timer.timeout.connect(slot)
    return timer


class LaterTurns(QtCore.QObject):
    """Calls run one per event-loop turn, oldest first; a newer call under a waiting key replaces it."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._calls: dict[str, Callable[[], None]] = {}
        self._timer = next_turn_timer(self, self._run_next)

    def call(self, key: str, function: Callable[[], None]) -> None:
        """Run ``function`` in a later turn (instead of a call still waiting under ``key``)."""
        self._calls.pop(key, None)
        self._calls[key] = function
        if not self._timer.isActive():
            self._timer.start()

    def pending(self) -> bool:
        """Whether calls are waiting."""
        return bool(self._calls)

    def _run_next(self) -> None:
        if not self._calls:
            return
        key = next(iter(self._calls))
        function = self._calls.pop(key)
        if self._calls:
            self._timer.start()
        function()


class StepsInTurns(QtCore.QObject, Generic[ResultT]):
    """Drives a job (a generator of progress that returns its result) one step per event-loop turn on the GUI
    thread: for GUI work that must be done here but not all at once (making a diagram's graphics items)."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._job: Job[ResultT] | None = None
        self._on_done: Callable[[ResultT], None] | None = None
        self._timer = next_turn_timer(self, self._step)

    def start(self, job: Job[ResultT], on_done: Callable[[ResultT], None]) -> None:
        """Run ``job`` in turns (instead of a job still running) and hand its result to ``on_done``."""
        self.cancel()
        self._job, self._on_done = job, on_done
        self._step()  # the first step now: the work starts in the turn that asked for it

    def finish(self) -> None:
        """Run the remaining steps at once (someone needs the result now)."""
        while self._job is not None:
            self._step()

    def cancel(self) -> None:
        self._timer.stop()
        if self._job is not None:
            self._job.close()
        self._job, self._on_done = None, None

    def _step(self) -> None:
        job, on_done = self._job, self._on_done
        if job is None or on_done is None:
            return
        try:
            next(job)
        except StopIteration as end:
            self._job, self._on_done = None, None
            on_done(end.value)
            return
        self._timer.start()
