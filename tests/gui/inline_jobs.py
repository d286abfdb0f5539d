"""A job table that a test fills with its own functions (``inline_jobs:JOBS``), for a runner whose engine runs
on a thread of the test process (:func:`tests.gui.conftest.inline_runner`): the scheduler reads the table when a
job is submitted, so the functions may share events and lists with the test. :func:`wait_queued` waits until the
engine has queued a job (its submit crossed the connection), for tests of what the queue does with it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["JOBS", "TABLE", "record_queued", "wait_queued"]

TABLE = "inline_jobs:JOBS"
JOBS: dict[str, Callable[..., Any]] = {}
_queued: list[str] = []
_changed = threading.Condition()


def record_queued(name: str) -> None:
    """Called by the engine's scheduler (patched by the fixture) as it queues a job."""
    with _changed:
        _queued.append(name)
        _changed.notify_all()


def wait_queued(name: str, timeout: float = 30.0) -> bool:
    """Whether the engine queued a job of that name within ``timeout`` seconds."""
    with _changed:
        return _changed.wait_for(lambda: name in _queued, timeout)


def clear() -> None:
    JOBS.clear()
    with _changed:
        _queued.clear()
