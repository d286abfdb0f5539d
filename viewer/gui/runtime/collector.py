"""The window process's cyclic garbage collection: on the GUI thread only, and the full one while the app is idle.

Two reasons, both measured on the 2-core VM:

- **The thread.** Python runs its cyclic collector on whichever thread allocates when a threshold is crossed: in the
  window's process also the engine client's link thread, which decodes results (and the engine's own thread under
  ``--engine thread``). A collection there may free a cycle holding Qt objects (a closed window's wrappers) on the
  wrong thread, which crashes Qt: the GUI tests' event loop segfaulted so. Automatic collection is therefore off,
  and a timer on the GUI thread collects by CPython's own thresholds (as pyqtgraph's ``GarbageCollector`` does).
- **The full collection.** The window's process holds about 100,000 objects (Qt's wrappers, numpy, pyqtgraph); one
  full collection walks them all in about 45 ms, holding the GIL: a visible stall, above the 25 ms that the
  200-switch soak allows. CPython (and pyqtgraph's collector, by its count alone) would run one every few seconds
  of activity. Here the young generations are collected every ``INTERVAL_MS`` by their thresholds (under 10 ms),
  and the oldest only once every job runner has been idle for ``IDLE_S`` (nobody is waiting for a result), or at
  the latest ``MAX_DELAY_S`` after the last one, so that cycles cannot pile up under constant use.

Hand-written rather than pyqtgraph's collector, which has no notion of idle.
"""

from __future__ import annotations

import gc
import time
import weakref
from typing import Protocol

from PySide6.QtCore import QObject, QTimer

__all__ = ["IDLE_S", "INTERVAL_MS", "MAX_DELAY_S", "GuiThreadCollector", "install", "unwatch", "watch"]

INTERVAL_MS = 100
IDLE_S = 1.0
MAX_DELAY_S = 60.0


class Busy(Protocol):
    def is_busy(self) -> bool: ...


_installed: GuiThreadCollector | None = None


def install(parent: QObject) -> GuiThreadCollector:
    """The app's collector (``create_application``: one per app)."""
    global _installed
    if _installed is None:
        _installed = GuiThreadCollector(parent)
    return _installed


def watch(source: Busy) -> None:
    """The app's full collections wait while ``source.is_busy()`` (a job runner): its results are awaited."""
    if _installed is not None:
        _installed.watch(source)


def unwatch(source: Busy) -> None:
    """``source`` awaits nothing any more (a runner shut down)."""
    if _installed is not None:
        _installed.unwatch(source)


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects on the GUI thread (see the module docstring). One per app."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.full_collections = 0
        self._idle_since: float | None = None
        self._last_full = time.monotonic()
        self._watched: weakref.WeakSet[Busy] = weakref.WeakSet()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def watch(self, source: Busy) -> None:
        self._watched.add(source)

    def unwatch(self, source: Busy) -> None:
        self._watched.discard(source)

    def check(self) -> None:
        young, middle, old = gc.get_count()
        if young > self.thresholds[0]:
            gc.collect(0)
            if middle > self.thresholds[1]:
                gc.collect(1)
        now = time.monotonic()
        if any(source.is_busy() for source in list(self._watched)):
            self._idle_since = None
            overdue = now - self._last_full >= MAX_DELAY_S
        else:
            self._idle_since = self._idle_since if self._idle_since is not None else now
            overdue = now - self._idle_since >= IDLE_S
        if overdue and old > 0:  # something reached the oldest generation since the last full collection
            gc.collect(2)
            self.full_collections += 1
            self._last_full = now
