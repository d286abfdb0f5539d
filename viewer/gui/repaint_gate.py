"""The repaint gate: the worker waits, with a bound, until the GUI thread has shown what it was told.

Showing a result or a job's start means many short calls from Qt into Python (slots, pyqtgraph's paint and
boundingRect), and each needs the GIL. When the worker went straight on with Python-heavy work (fx tracing, a
summary), the GUI thread waited for the GIL at each of those calls: a repaint that takes 5 ms on an idle machine
took 40-60 ms (``viewer bench --only gui``). So before each job the worker opens a *passage*
(:meth:`RepaintGate.open_passage`), tells the GUI thread (a queued signal), and waits (:meth:`RepaintGate.wait`)
until the GUI thread has marked it shown (:meth:`RepaintGate.mark_posted`), at most ``timeout`` seconds.

"Shown" is measured with low-priority posted events: showing a result queues three generations of posted
events (the slots queue scene updates, those queue layout requests, and layouts queue repaints), so the
"shown" notice is re-posted behind each generation (one event type per remaining hop). With fewer hops the worker
often resumed before the repaint. Passages end in the order they began: each hop queues behind the same hop of
older passages.
"""

from __future__ import annotations

import collections
import threading

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt

__all__ = ["HOPS", "RepaintGate"]

HOPS = 3
_HOP_EVENTS = [QEvent.Type(QEvent.registerEventType()) for _ in range(HOPS)]


class RepaintGate(QObject):
    """Counts passages opened by the worker and marked shown by the GUI thread; see the module docstring."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._condition = threading.Condition()
        self._opened = 0  # passages opened (worker thread)
        self._shown_upto = 0  # the last passage the GUI thread has shown
        self._in_flight: collections.deque[int] = collections.deque()  # passages whose hops are posted (GUI)
        self._closed = False

    # --- worker thread ------------------------------------------------------------------------------
    def open_passage(self) -> int:
        """A new passage's number, to hand to the GUI thread (which calls :meth:`mark_posted` with it)."""
        with self._condition:
            self._opened += 1
            return self._opened

    def wait(self, number: int, timeout: float) -> bool:
        """Block until passage ``number`` is shown, the gate is closed, or ``timeout`` s; True if shown."""
        with self._condition:
            self._condition.wait_for(lambda: self._shown_upto >= number or self._closed, timeout=timeout)
            return self._shown_upto >= number

    # --- GUI thread ---------------------------------------------------------------------------------
    def mark_posted(self, number: int) -> None:
        """Passage ``number`` is being shown now: it counts as shown once its hops have gone through."""
        self._in_flight.append(number)
        self._post(HOPS - 1)

    def shown_upto(self) -> int:
        """The last passage marked shown."""
        with self._condition:
            return self._shown_upto

    def close(self) -> None:
        """Release every waiting worker for good (the app is exiting)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def _post(self, hops_left: int) -> None:
        # Low priority: handled after the events of normal priority (and the repaints) queued before it.
        QCoreApplication.postEvent(self, QEvent(_HOP_EVENTS[hops_left]), Qt.EventPriority.LowEventPriority.value)

    def event(self, event: QEvent) -> bool:
        if event.type() in _HOP_EVENTS:
            hops_left = _HOP_EVENTS.index(event.type())
            if hops_left:
                self._post(hops_left - 1)
            else:
                with self._condition:
                    self._shown_upto = max(self._shown_upto, self._in_flight.popleft())
                    self._condition.notify_all()
            return True
        return super().event(event)
