"""The window's one job runner: jobs named by the GUI, run by the engine, delivered on the GUI thread.

``submit(kind, "job_name", *args, model=..., on_result=..., ...)`` sends the engine's job of that name (a key of
its job table, ``viewer.engine.jobs:JOBS``; a :class:`~viewer.core.job_names.JobName`) through an
:class:`~viewer.gui.client.EngineClient` and returns a :class:`~viewer.gui.jobs.tickets.Ticket`, a
``concurrent.futures.Future``. A newer job of a :class:`~viewer.gui.jobs.tickets.JobKind` supersedes the older one
(except ``OPEN``: one drop must not cancel another's loading): a superseded job is dropped if still queued,
stopped at its next step if running, and its result never delivered. :meth:`JobRunner.withdraw` stops jobs the
state no longer wants without a "cancelled"; :meth:`JobRunner.cancel` is the user's Cancel, the only one that
emits ``cancelled``. The handlers bound to a ticket run on the GUI thread, only for a job neither superseded nor
stopped. The client's callbacks arrive on its link thread and are bounced here through queued signals.
Priorities are the job policy's (:mod:`viewer.gui.jobs.policy`), applied by the engine's scheduler, which also
runs better-priority jobs between two steps of a long one. An idle engine starts the first job it reads: the
state asks for what the user waits for first (a model's top-k before its graph's trace).

The engine is where :mod:`viewer.gui.jobs.engine_choice` says: a child process (the default), a ``viewer engine
--listen`` server, or a thread of this process (``--engine thread``, for debugging and the tests).

Failures become :class:`~viewer.gui.jobs.tickets.JobError`: a user error is its sentence, an
:class:`~viewer.gui.client.EngineBug` a bug with the engine's traceback as details, and the engine's death "the
engine stopped: <why>; restarted." for each job it took with it, said once through ``message`` as well.

The out-of-memory policy runs in the engine (only it sees the exception): this runner forwards each ticket's
``low_memory`` keyword arguments, the engine's notes come back through ``message``, and
:meth:`JobRunner.forget_gpu_fallbacks` is sent to the engine.

No repaint gate and no lowered thread priority here: when the engine was a worker thread of this process, its
Python held the GIL that every one of the repaint's calls into Python needs, so the worker waited before each job
until the GUI thread had shown the last result, and ran niced. The engine's Python runs under its own GIL in
another process; in this process only the link thread decodes messages, briefly. What still competes is the CPU,
which a local engine yields by its priority (:mod:`viewer.engine.server.runtime`).
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from viewer.core.errors import ViewerError
from viewer.core.network.choice import ModelChoice
from viewer.core.progress import Progress
from viewer.gui.client import EngineBug, EngineClient, EngineFuture, EngineStopped
from viewer.gui.client.engine_client import DEFAULT_JOBS
from viewer.gui.jobs.policy import priority
from viewer.gui.jobs.tickets import (
    ErrorHandler,
    JobCancelled,
    JobError,
    JobKind,
    LiveTickets,
    ResultHandler,
    Stop,
    Ticket,
    describe_error,
)
from viewer.gui.runtime import collector

__all__ = ["EngineTicket", "JobRunner", "job_error"]


class EngineTicket(Ticket):
    """A :class:`Ticket` whose stop also cancels its job in the engine."""

    future: EngineFuture | None = None
    death: int | None = None  # which engine's death failed it (the client's count of engines), if one did

    def stop(self, reason: Stop) -> bool:
        stopping = super().stop(reason)
        future = self.future
        if future is not None:
            future.cancel()  # queued or running there: the engine drops it or stops it at its next step
        return stopping


def job_error(error: BaseException, *, restarts: bool = True) -> JobError:
    """How a job's failure in the engine is shown (see the module docstring)."""
    if isinstance(error, EngineStopped):
        text = str(error).rstrip(".")
        if text.startswith("the engine stopped:"):
            text += "; restarted" if restarts else "; the next job connects again"
        return JobError(text + ".", "", False, error)
    if isinstance(error, EngineBug):
        return JobError(str(error), error.details, True, error)
    if isinstance(error, ViewerError):
        return JobError(str(error), "", False, error)
    return describe_error(error)  # the window's own bug (an argument that may not cross, say)


class JobRunner(LiveTickets, QObject):
    """Runs submitted jobs in the engine; see the module docstring for the rules."""

    started = Signal(object)  # Ticket
    progress = Signal(object, object)  # Progress, Ticket
    returned = Signal(object, object)  # result, Ticket (after its on_result handler ran)
    errored = Signal(object, object)  # JobError, Ticket (after its on_error handler ran)
    cancelled = Signal(object)  # Ticket: cancelled by the user (not superseded, not withdrawn)
    finished = Signal(object)  # Ticket: ended with any outcome, superseded ones included
    message = Signal(str)  # notes such as "GPU out of memory: ran on the CPU instead", the engine's restart
    idle = Signal()  # nothing queued or running any more

    # Emitted on the client's link thread, received in the GUI thread (queued) and filtered there.
    _raw_started = Signal(object)  # Ticket
    _raw_progress = Signal(object, object)  # Progress, Ticket
    _raw_done = Signal(object)  # Ticket (its future is done)
    _raw_message = Signal(str)
    _raw_death = Signal(int, str)  # the engine's number (the client's count), "the engine stopped: <why>."

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        client: EngineClient | None = None,
        jobs: str = DEFAULT_JOBS,
    ) -> None:
        """Over ``client`` (a remote engine's, say), or a local engine of the job table ``jobs`` started here."""
        super().__init__(parent)
        self.client = client if client is not None else EngineClient(jobs=jobs)
        collector.watch(self)  # no full collection while a result is awaited
        self._numbers = itertools.count(1)
        self._latest: dict[JobKind, Ticket] = {}
        self._live: list[Ticket] = []  # submitted, not delivered (GUI-thread view)
        self._closed = False
        self._last_death: int | None = None  # the engine whose death was already said through ``message``
        self._raw_started.connect(self._on_started, Qt.ConnectionType.QueuedConnection)
        self._raw_progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._raw_done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._raw_message.connect(self._on_message, Qt.ConnectionType.QueuedConnection)
        self._raw_death.connect(self._on_death, Qt.ConnectionType.QueuedConnection)
        # Said even when no job was running (an idle engine killed): the client tells each end of an engine.
        self.client.on_stopped = lambda number, text: self._emit(self._raw_death, number, text)

    # --- GUI-thread API -----------------------------------------------------------------------------
    def submit(
        self,
        kind: JobKind,
        name: str,
        *args: Any,
        model: ModelChoice | None = None,
        models: Sequence[ModelChoice] = (),
        on_result: ResultHandler | None = None,
        on_error: ErrorHandler | None = None,
        description: str = "",
        low_memory: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Ticket:
        """Queue the engine's job ``name(*args, **kwargs)``; supersedes the queued or running job of ``kind``.

        ``model``: the job also gets ``loaded=`` that model (built or cached in the engine); ``models``: ``load=``
        a loader of those. ``on_result(result)`` / ``on_error(JobError)`` run on the GUI thread when it is
        delivered; ``low_memory`` are keyword arguments the engine retries with on the GPU after it ran out of
        memory.
        """
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        kind = JobKind(kind)
        ticket = EngineTicket(kind, next(self._numbers), description, on_result, on_error, low_memory)
        if kind is not JobKind.OPEN:  # one drop must not supersede another one's loading
            previous = self._latest.get(kind)
            if previous is not None:
                previous.stop(Stop.SUPERSEDED)
            self._latest[kind] = ticket
        self._live.append(ticket)
        self._send(ticket, name, args, model, tuple(models), kwargs)
        return ticket

    def _send(
        self,
        ticket: EngineTicket,
        name: str,
        args: tuple[Any, ...],
        model: ModelChoice | None,
        models: tuple[ModelChoice, ...],
        kwargs: dict[str, Any],
    ) -> None:
        try:
            future = self.client.submit(
                name,
                *args,
                model=model,
                models=models,
                priority=priority(ticket.kind),
                kind=ticket.kind.value,
                on_started=lambda _future: self._started(ticket),
                on_progress=lambda item: self._emit(self._raw_progress, item, ticket),
                on_note=lambda text: self._emit(self._raw_message, f"{ticket.description}: {text}"),
                low_memory=ticket.low_memory,
                **kwargs,
            )
        except RuntimeError as error:  # the client is closed: a failure delivered like any other
            ticket.set_exception(error)
            self._raw_done.emit(ticket)
            return
        ticket.future = future
        future.add_done_callback(lambda done: self._ended(ticket, done))
        if ticket.stop_requested:  # stopped from another thread while it was being sent
            future.cancel()

    def forget_gpu_fallbacks(self) -> None:
        """Let models that ran out of GPU memory try the GPU again (the user chose a model or device anew)."""
        self.client.forget_gpu_fallbacks()

    def loaded_models(self, timeout: float = 60.0) -> list[ModelChoice]:
        """The keys of the models cached in the engine, least recently used first (asks it and waits: for tests
        and checks, read while the runner is idle)."""
        return self.client.loaded_models(timeout)

    def loaded_model_bytes(self, timeout: float = 60.0) -> int:
        """The bytes of those models' tensors, held in the engine's process (not this one's)."""
        return self.client.loaded_model_bytes(timeout)

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Cancel everything and stop the engine (goodbye, terminate, kill); True if it was gone in ``timeout`` s."""
        if self._closed:
            return self.client.close(timeout)
        self._closed = True
        collector.unwatch(self)
        for ticket in self._live:
            ticket.stop(Stop.SHUTDOWN)
        return self.client.close(timeout)

    # --- the client's link thread (or the GUI thread, for a job that failed or was cancelled at once) -------
    def _emit(self, signal: Any, *args: Any) -> None:
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the QObject is gone (app exiting): nothing left to tell
            signal.emit(*args)

    def _started(self, ticket: Ticket) -> None:
        if not (ticket.running() or ticket.done()):  # "started" comes again after nested jobs ran
            with contextlib.suppress(RuntimeError):  # finished meanwhile
                ticket.set_running_or_notify_cancel()
        self._emit(self._raw_started, ticket)

    def _ended(self, ticket: EngineTicket, future: Future[Any]) -> None:
        """The engine's outcome as the ticket's (a stopped job's is ``JobCancelled``, never delivered)."""
        if not ticket.done():
            with contextlib.suppress(Exception):  # cancelled meanwhile on the GUI thread: nothing to set
                if ticket.stop_requested or future.cancelled():
                    ticket.set_exception(JobCancelled())
                elif (error := future.exception()) is not None:
                    if isinstance(error, EngineStopped):  # told here, before the client starts the next engine
                        ticket.death = self.client.starts
                    ticket.set_exception(error)
                else:
                    ticket.elapsed_ms = getattr(future, "elapsed_ms", None)
                    ticket.set_result(future.result())
        self._emit(self._raw_done, ticket)

    # --- GUI thread: deliveries, superseded and stopped jobs never reach the handlers ---------------
    @Slot(object)
    def _on_started(self, ticket: Ticket) -> None:
        # Not ``ticket.done()``: a quick job's result is set on the link thread before this queued call runs, and
        # its start is still told (its delivery comes after, in order); ``_live``: not once delivered.
        if not self._closed and not ticket.stop_requested and ticket in self._live:
            self.started.emit(ticket)

    @Slot(object, object)
    def _on_progress(self, item: Progress, ticket: Ticket) -> None:
        if not self._closed and not ticket.stop_requested:
            self.progress.emit(item, ticket)

    @Slot(int, str)
    def _on_death(self, number: int, text: str) -> None:
        if not self._closed:
            self._say_death(number, job_error(EngineStopped(text), restarts=self.client.address is None).message)

    def _say_death(self, number: int, text: str) -> None:
        """One message per death of the engine, however many jobs it took with it."""
        if number != self._last_death:
            self._last_death = number
            self.message.emit(text)

    @Slot(str)
    def _on_message(self, text: str) -> None:
        if not self._closed:
            self.message.emit(text)

    @Slot(object)
    def _on_done(self, ticket: Ticket) -> None:
        if self._closed or ticket not in self._live:  # delivered once, even if both the link and a cancel said so
            return
        self._live.remove(ticket)
        if self._latest.get(ticket.kind) is ticket:
            del self._latest[ticket.kind]
        # Handlers run before the idle check, so that they may submit follow-up jobs (then not idle yet). A bug in
        # a handler goes to the app's error sink (sys.excepthook) like one in any slot, and the runner goes on.
        try:
            if ticket.stop_requested:
                if ticket.stopped_by is Stop.USER:
                    self.cancelled.emit(ticket)
            elif (error := ticket.exception()) is None:
                result = ticket.result()
                if ticket.on_result is not None:
                    ticket.on_result(result)
                self.returned.emit(result, ticket)
            else:
                described = job_error(error, restarts=self.client.address is None)
                if isinstance(ticket, EngineTicket) and ticket.death is not None:
                    self._say_death(ticket.death, described.message)
                if ticket.on_error is not None:
                    ticket.on_error(described)
                self.errored.emit(described, ticket)
        except Exception:
            sys.excepthook(*sys.exc_info())
        finally:
            self.finished.emit(ticket)
            if not self._live:
                self.idle.emit()
