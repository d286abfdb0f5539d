"""Spreading a burst of view updates over event-loop turns, so that the window answers between them.

An image switch updates several views at once; each update queues its own repaint, and Qt handles every
repaint queued in one turn before it looks at its timers again. :class:`LaterTurns` runs each queued call in
a turn of its own, after the repaints queued before it (a zero-interval ``QTimer`` fires only once the posted
events are handled). ``viewer bench``'s 200-switch stall is the measure.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore

__all__ = ["LaterTurns"]


class LaterTurns(QtCore.QObject):
    """Calls run one per event-loop turn, oldest first; a newer call under a waiting key replaces it."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._calls: dict[str, Callable[[], None]] = {}
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_next)

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
