"""Spreading a burst of view updates over event-loop turns, so that the window answers between them.

An image switch updates several views at once; each update queues its own repaint, and Qt handles every
repaint queued in one turn before it looks at its timers again. :class:`LaterTurns` runs each queued call in
a turn of its own, after the repaints queued before it (a zero-interval ``QTimer`` fires only once the posted
events are handled). ``viewer bench``'s 200-switch stall is the measure.

Most results arrive while their tab is behind another: :class:`DrawWhenShown` keeps a hidden view's drawing
until the view is shown, so that nobody's GUI-thread time goes into pictures nobody sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Literal, TypeVar

from PySide6 import QtCore, QtWidgets

from viewer.core.progress import Job

__all__ = ["DrawWhenShown", "LaterTurns", "StepsInTurns", "next_turn_timer"]

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


class DrawWhenShown(QtCore.QObject):
    """Draws a view now if it is visible, else once when it is next shown: one view's "the picture is stale".

    ``request()`` after each change of what the view shows; ``draw`` is then called at once while the view is
    visible, or once, however many requests came, after the view's next Show event. ``when_shown="next turn"``
    (the default) draws a turn after the Show, so that the tab switch paints first and the GUI thread's work
    is two short stretches instead of one long one; ``"now"`` draws in the Show event itself, before the first
    paint, for views that must never be seen empty or out of date (a cheap ``setImage``, a table's rows).

    The Show comes from an event filter on the view alone, installed only while a drawing waits: a filter
    written in Python is called, with the GIL, for every event of what it watches, so an application-wide one
    (docs/gui.md, "How it is built") or one left on a visible view would send its paints through Python.
    The helper is the view's child and goes with it.
    """

    def __init__(
        self,
        view: QtWidgets.QWidget,
        draw: Callable[[], None],
        *,
        when_shown: Literal["next turn", "now"] = "next turn",
    ) -> None:
        super().__init__(view)
        self._view = view
        self._draw = draw
        self._stale = False  # a drawing waits; the filter is installed exactly while it does
        self._later = when_shown == "next turn"
        self._timer = next_turn_timer(self, self._draw_if_shown)

    def request(self) -> None:
        """What the view shows changed: draw it now if the view is visible, else when it is next shown."""
        if self._view.isVisible():
            self._run()
        elif not self._stale:
            self._stale = True
            self._view.installEventFilter(self)

    def pending(self) -> bool:
        """Whether a drawing waits for the view to be shown (or for the turn after it was)."""
        return self._stale

    def cancel(self) -> None:
        """Forget a waiting drawing (what it would draw is gone)."""
        self._timer.stop()
        if self._stale:
            self._stale = False
            self._view.removeEventFilter(self)

    def flush(self) -> None:
        """Draw now if a drawing waits, visible or not: someone reads the picture (an export, a test)."""
        if self._stale:
            self._run()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        # getattr: a view deleted later (deleteLater) whose Python side the collector has already cleared sends
        # its last events to this helper with its attributes gone.
        if getattr(self, "_stale", False) and event.type() == QtCore.QEvent.Type.Show and watched is self._view:
            if self._later:
                self._timer.start()
            else:
                self._run()
        return False  # the view handles its Show as always

    def _draw_if_shown(self) -> None:
        if self._stale and self._view.isVisible():  # hidden again within the turn: drawn at the next Show
            self._run()

    def _run(self) -> None:
        self.cancel()  # first: a drawing that asks for another (through the view's own setters) is not undone
        self._draw()
