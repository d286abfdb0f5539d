"""Futures of engine jobs, and the delivery of the engine's messages to them.

Plain Python: no torch and no Qt. The link thread of :class:`~viewer.gui.client.engine_client.EngineClient`
calls :func:`deliver` for every message of a job; callbacks run on that thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from viewer.core import errors as core_errors
from viewer.core.progress import Progress

__all__ = ["EngineBug", "EngineFuture", "EngineStopped", "JobCanceller", "deliver", "fail"]

log = logging.getLogger(__name__)


class JobCanceller(Protocol):
    """What a future needs of its client: to tell the engine that a job is no longer wanted."""

    def cancel_job(self, future: EngineFuture) -> None: ...


class EngineStopped(RuntimeError):
    """The engine ended (or could not start) while the job was submitted; ``str()`` is the sentence to show."""


class EngineBug(RuntimeError):
    """A job failed with a bug in the engine: ``str()`` is one line, ``details`` the engine's traceback."""

    def __init__(self, message: str, details: str = "", type_name: str = "") -> None:
        super().__init__(message)
        self.details = details
        self.type_name = type_name


class EngineFuture(Future[Any]):
    """One submitted job. ``cancel()`` works until the result arrives: a running job stops at its next step."""

    def __init__(
        self,
        client: JobCanceller,
        job: int,
        message: dict[str, Any],
        on_progress: Callable[[Progress], object] | None,
        on_started: Callable[[EngineFuture], object] | None,
        on_note: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__()
        self.job = job
        self.name = str(message["name"])
        self.kind = str(message["kind"])
        self.message = message
        self.on_progress = on_progress
        self.on_started = on_started
        self.on_note = on_note
        self.started = threading.Event()
        self.resent = False  # sent again with its images in full (the engine no longer held one)
        self.elapsed_ms: float | None = None  # how long it ran in the engine, once done (nested jobs not counted)
        self._client = weakref.ref(client)

    def __repr__(self) -> str:
        return f"EngineFuture({self.name!r}, job={self.job}, state={self._state})"

    def cancel(self) -> bool:
        """Cancelled at once here (the Future never enters RUNNING); the engine is told to stop the job."""
        cancelled = super().cancel()
        client = self._client()
        if cancelled and client is not None:
            client.cancel_job(self)
        return cancelled


def deliver(future: EngineFuture, message: dict[str, Any]) -> None:
    """Hand one of the engine's messages about a job (started, progress, note, result, error) to its future."""
    op = message["op"]
    try:
        if op == "started":
            future.started.set()
            if future.on_started is not None and not future.done():
                future.on_started(future)
        elif op == "progress":
            if future.on_progress is not None and not future.done():
                future.on_progress(message["progress"])
        elif op == "note":
            if future.on_note is not None and not future.done():
                future.on_note(str(message.get("text", "")))
        elif op == "result":
            if not future.done():
                elapsed = message.get("elapsed_ms")
                future.elapsed_ms = float(elapsed) if isinstance(elapsed, (int, float)) else None
                future.set_result(message.get("value"))
        elif op == "error":
            fail(future, _error(message))
        elif op == "cancelled":
            Future.cancel(future)
    except Exception:  # a callback's bug must not end the link
        log.exception("delivering %s of %r", op, future)


def _error(message: dict[str, Any]) -> BaseException:
    """An ``error`` message as the exception a caller expects: the core's ``ViewerError`` class, or a bug."""
    text = str(message.get("message", "the engine failed."))
    type_name = str(message.get("type", ""))
    if message.get("is_bug"):
        return EngineBug(text, str(message.get("details", "")), type_name)
    cls = getattr(core_errors, type_name, None)
    if isinstance(cls, type) and issubclass(cls, core_errors.ViewerError):
        return cls(text)
    return core_errors.ViewerError(text)


def fail(future: Future[Any], error: BaseException) -> None:
    """Fail a future unless it is done (a result, or cancelled on another thread, won the race)."""
    if not future.done():
        with contextlib.suppress(Exception):  # done meanwhile (cancelled on another thread)
            future.set_exception(error)
