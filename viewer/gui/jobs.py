"""The one worker: a background thread that runs jobs one at a time and owns the model cache.

``submit(kind, job, *args, on_result=..., on_error=...)`` queues the job called ``job`` (a
:class:`~viewer.core.job_names.JobName`, looked up in the engine's table ``viewer.engine.jobs.JOBS``) with plain
arguments, ``fn(*args)``, and returns a :class:`Ticket`, a
``concurrent.futures.Future``. A newer submit of the same :class:`JobKind` supersedes the older one: a superseded
job is skipped if still queued, stopped at its next ``yield`` if it is a generator, and its result is dropped,
never delivered. Long jobs are generators (``viewer.core.progress``): they yield ``Progress`` and ``return`` their
result. The handlers bound to a submission run on the GUI thread, only if the job was neither superseded nor
stopped; ``cancelled`` is emitted only for the user's Cancel (:meth:`JobRunner.cancel`), never for a job the
state withdrew (:meth:`JobRunner.withdraw`) or a newer one superseded.

A job names the models it needs, typed, when it is submitted: ``model=choice`` runs ``fn(*args, loaded=<the
cached LoadedModel>)``; ``models=[choice, ...]`` runs ``fn(*args, load=<ModelLoader>)``, whose call builds (or
takes from the cache) one of the named models when the job's turn for it comes, so that a comparison of six
networks never holds more models than the cache does, and one that fails is that network's problem alone. Models
are built on the worker (downloading pretrained weights with progress), so torch is imported and models are
built only off the GUI thread. One thread (not a pool) because jobs that touch a model must not run concurrently.

Out of GPU memory, in this layer only: a job submitted with ``low_memory`` arguments is run again with them on
the GPU (a heatmap in smaller tiles), and otherwise, or if that fails too, on the CPU; that model stays on the CPU
until :meth:`JobRunner.forget_gpu_fallbacks`.

A plain daemon ``threading.Thread`` carries the jobs rather than a QThread: a job stuck in a long forward pass
can then never block the app's exit, and nothing is left to report "QThread destroyed while running". Results
cross into the GUI thread through queued Qt signals; before each job the worker waits for the GUI thread to show
what it was told (:mod:`viewer.gui.repaint_gate`).

This module and the model cache it owns are the only places of ``viewer.gui`` that touch ``viewer.engine``: the
lookup of a job's function in ``JOBS``, the cache of built models, and the collection after a window closed. They
move into the engine's process next (issue 21); the rest of the GUI names jobs and reads core results only.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from viewer.core.choice import ModelChoice
from viewer.core.errors import is_out_of_memory
from viewer.core.job_names import JobName
from viewer.core.progress import Progress

# The GUI's only imports of the engine (see the module docstring): torch-free at import, the jobs import it.
from viewer.engine.jobs import job as engine_job
from viewer.engine.jobs.models import MODEL_CACHE_SIZE, ModelCache, ModelKey, ModelLoader
from viewer.engine.jobs.session import collect_closed_window as engine_collect_closed_window
from viewer.gui.job_policy import priority
from viewer.gui.repaint_gate import RepaintGate
from viewer.gui.tickets import (
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

__all__ = [
    "ErrorHandler",
    "JobCancelled",
    "JobError",
    "JobKind",
    "JobName",
    "JobRunner",
    "ModelCache",
    "ModelKey",
    "ModelLoader",
    "Stop",
    "Ticket",
    "collect_closed_window",
    "describe_error",
]


# CFS weight 110 against the GUI thread's 1024: at 5 (335) the GUI thread still waited 1.6 s for a core over
# the 200-switch soak on the 2-core VM, at 10 0.6 s, and its longest stalls fell with it.
WORKER_NICENESS = 10
# How long the worker waits for the GUI thread to show a job's start (see repaint_gate).
DELIVERY_WAIT_S = 0.25
# Jobs that start without waiting for the GUI thread to show their start: the user waits for their result (the
# top-k) and it is a forward pass, C++ that leaves the GIL to the repaint (``viewer bench``: drop and picker →
# top-k). A model's build keeps the wait: a second pick made while the first one's start is shown cancels the
# first before it builds anything.
_STARTS_AT_ONCE = frozenset({JobKind.CLASSIFY})


def _lower_this_threads_priority() -> None:
    """Let the GUI thread win the CPU over the worker (Linux, where priority is per thread).

    On a machine with few cores the worker's torch threads would otherwise keep the GUI thread waiting for a
    core while it repaints. Threads started from here (torch's OpenMP team for this thread) inherit the
    priority; when nothing else runs the worker still gets every core.
    """
    if sys.platform != "linux":
        return
    try:
        thread_id = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread_id, os.getpriority(os.PRIO_PROCESS, thread_id) + WORKER_NICENESS)
    except OSError:  # not allowed here (a sandbox): run at normal priority
        pass


def collect_closed_window() -> None:
    """A window was deleted: let the engine collect what the import-time freeze kept of it (same process today)."""
    engine_collect_closed_window()


def _default_torch_modes() -> contextlib.AbstractContextManager[object]:
    """torch's per-thread modes as a job starts with them (gradients on, inference mode off), whatever the job
    suspended around it holds at its yield; nothing to do before torch is imported."""
    torch = sys.modules.get("torch")
    if torch is None:
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    stack.enter_context(torch.inference_mode(False))
    stack.enter_context(torch.enable_grad())
    return stack


@dataclass
class _Call:
    """What a ticket runs: ``fn(*args, **kwargs)`` with the models it named (see the module docstring)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    model: ModelChoice | None = None
    models: tuple[ModelChoice, ...] = field(default_factory=tuple)

    def needed(self) -> list[ModelChoice]:
        return ([self.model] if self.model is not None else []) + list(self.models)

    def on_cpu(self, only: set[ModelChoice] | None = None) -> _Call:
        """The same call with its models (those in ``only``, when given) moved to the CPU."""

        def moved(choice: ModelChoice) -> ModelChoice:
            return choice.on_cpu() if only is None or choice in only else choice

        model = None if self.model is None else moved(self.model)
        return replace(self, model=model, models=tuple(moved(choice) for choice in self.models))


class JobRunner(LiveTickets, QObject):
    """Runs submitted jobs on one background thread; see the module docstring for the rules."""

    started = Signal(object)  # Ticket
    progress = Signal(object, object)  # Progress, Ticket
    returned = Signal(object, object)  # result, Ticket (after its on_result handler ran)
    errored = Signal(object, object)  # JobError, Ticket (after its on_error handler ran)
    cancelled = Signal(object)  # Ticket: cancelled by the user (not superseded, not withdrawn)
    finished = Signal(object)  # Ticket: ended with any outcome, superseded ones included
    message = Signal(str)  # notes such as "GPU out of memory: ran on the CPU instead"
    idle = Signal()  # nothing queued or running any more

    # Raw signals emitted on the worker thread, received in the GUI thread (queued) and filtered there.
    _raw_started = Signal(object, int)  # Ticket, its passage of the repaint gate
    _raw_progress = Signal(object, object)
    _raw_done = Signal(object, int)  # Ticket (its future is done), the repaint gate's passage for its delivery
    _raw_message = Signal(str)

    def __init__(self, parent: QObject | None = None, *, cache_size: int = MODEL_CACHE_SIZE) -> None:
        super().__init__(parent)
        self.cache = ModelCache(cache_size)
        self.gate = RepaintGate(self)
        self._queue: queue.PriorityQueue[tuple[int, int, Ticket | None]] = queue.PriorityQueue()
        self._calls: dict[int, _Call] = {}
        self._numbers = itertools.count(1)
        self._latest: dict[JobKind, Ticket] = {}
        self._live: list[Ticket] = []  # submitted, not delivered (GUI-thread view)
        self._closed = False
        self._cpu_instead: set[ModelChoice] = set()  # models that ran out of GPU memory: run on the CPU for now
        self._raw_started.connect(self._on_started, Qt.ConnectionType.QueuedConnection)
        self._raw_progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._raw_done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._raw_message.connect(self.message, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._work, name="viewer-jobs", daemon=True)
        self._thread.start()

    # --- GUI-thread API -----------------------------------------------------------------------------
    def submit(
        self,
        kind: JobKind,
        job: JobName | str | Callable[..., Any],
        *args: Any,
        model: ModelChoice | None = None,
        models: Sequence[ModelChoice] = (),
        on_result: ResultHandler | None = None,
        on_error: ErrorHandler | None = None,
        description: str = "",
        low_memory: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Ticket:
        """Queue the job ``job(*args, **kwargs)``; supersedes the queued or running job of the same ``kind``.

        ``job`` is a job's name (the GUI's way: a key of ``viewer.engine.jobs.JOBS``, whose function runs); a plain
        callable runs as it is (tests and in-process tools only: it cannot cross to the engine's process).

        ``model``: ``fn`` also gets ``loaded=`` that model (built or cached on the worker); ``models``: ``fn``
        gets ``load=`` a :class:`ModelLoader` of those, built one at a time as the job asks. ``on_result(result)``
        / ``on_error(JobError)`` run on the GUI thread when it is delivered; ``low_memory`` are keyword arguments
        to retry with on the GPU after it ran out of memory.
        """
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        kind = JobKind(kind)
        fn = job if callable(job) else engine_job(job)  # an unknown name fails here, before superseding anything
        ticket = Ticket(kind, next(self._numbers), description, on_result, on_error, low_memory)
        if kind is not JobKind.OPEN:  # one drop must not supersede another one's loading
            previous = self._latest.get(kind)
            if previous is not None:
                previous.stop(Stop.SUPERSEDED)
            self._latest[kind] = ticket
        self._live.append(ticket)
        self._calls[ticket.number] = _Call(fn, args, dict(kwargs), model, tuple(models))
        self._queue.put((priority(kind), ticket.number, ticket))
        return ticket

    def forget_gpu_fallbacks(self) -> None:
        """Let models that ran out of GPU memory try the GPU again (the user chose a model or device anew)."""
        self._cpu_instead = set()  # one assignment: the worker sees the old set or the new one, never half

    def loaded_models(self, timeout: float = 60.0) -> list[ModelChoice]:
        """The keys of the cached models, least recently used first (read while the runner is idle: the worker
        changes the cache; ``timeout`` only for the engine runner's API)."""
        del timeout
        return self.cache.keys()

    def loaded_model_bytes(self, timeout: float = 60.0) -> int:
        """The bytes of those models' tensors, held in this process (read while idle, as :meth:`loaded_models`)."""
        del timeout
        return self.cache.nbytes()

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel everything and stop the thread; True if it stopped within ``timeout`` seconds."""
        if self._closed:
            return not self._thread.is_alive()
        self._closed = True
        for ticket in self._live:
            ticket.stop(Stop.SHUTDOWN)
        self.gate.close()  # a worker waiting for the GUI thread must not delay the exit
        self._queue.put((-1, 0, None))
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --- GUI thread: deliveries, superseded and stopped jobs never reach the handlers ---------------
    @Slot(object, int)
    def _on_started(self, ticket: Ticket, passage: int) -> None:
        if not self._closed and not ticket.stop_requested:
            self.started.emit(ticket)
        if passage:  # 0: a job that resumes after urgent ones ran (nothing waits for it to be shown)
            self.gate.mark_posted(passage)

    @Slot(object, object)
    def _on_progress(self, item: Progress, ticket: Ticket) -> None:
        if not self._closed and not ticket.stop_requested:
            self.progress.emit(item, ticket)

    @Slot(object, int)
    def _on_done(self, ticket: Ticket, passage: int) -> None:
        if self._closed:
            return
        self._deliver(ticket)
        if passage:
            self.gate.mark_posted(passage)  # after the handlers: their repaints are what the worker waits for

    def _deliver(self, ticket: Ticket) -> None:
        if ticket in self._live:
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
                described = describe_error(error)
                if ticket.on_error is not None:
                    ticket.on_error(described)
                self.errored.emit(described, ticket)
        except Exception:
            sys.excepthook(*sys.exc_info())
        finally:
            self.finished.emit(ticket)
            if not self._live:
                self.idle.emit()

    # --- worker thread ------------------------------------------------------------------------------
    def _emit(self, signal: Any, *args: Any) -> None:
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the QObject is gone (app exiting): nothing left to tell
            signal.emit(*args)

    def _work(self) -> None:
        _lower_this_threads_priority()
        while True:
            _priority, _number, ticket = self._queue.get()
            if ticket is None:
                return
            self._process(ticket)

    def _process(self, ticket: Ticket) -> None:
        """Run one dequeued ticket and hand its outcome to the GUI thread."""
        call = self._calls.pop(ticket.number)
        if not ticket.set_running_or_notify_cancel():  # stopped while queued
            self._emit(self._raw_done, ticket, 0)
            return
        passage = self.gate.open_passage()
        self._emit(self._raw_started, ticket, passage)
        if ticket.kind not in _STARTS_AT_ONCE:
            self.gate.wait(passage, DELIVERY_WAIT_S)
        began = time.perf_counter()
        try:
            result = self._run(ticket, call)
        except BaseException as error:
            ticket.set_exception(JobCancelled() if ticket.stop_requested else error)
        else:
            if ticket.stop_requested:
                ticket.set_exception(JobCancelled())
            else:
                ticket.elapsed_ms = (time.perf_counter() - began) * 1e3 - ticket.nested_ms
                ticket.set_result(result)
        # The next job waits until the GUI thread has shown this one's result (and has submitted what
        # follows from it, which may come first: see job_policy).
        passage = self.gate.open_passage()
        self._emit(self._raw_done, ticket, passage)
        if not ticket.stop_requested:  # a stopped job shows nothing: the next one (what replaced it) need not wait
            self.gate.wait(passage, DELIVERY_WAIT_S)

    def _run_urgent(self, running: Ticket) -> None:
        """Between two steps of ``running``, run the queued jobs of a better priority (the top-k of a new model
        while a comparison runs, say), then say that ``running`` goes on. One thread still runs one job at a
        time: the urgent ones run here, nested, and ``running`` resumes where it yielded."""
        ran, began = False, time.perf_counter()
        while not running.stop_requested:  # a job withdrawn meanwhile hosts nothing: it ends at once
            with self._queue.mutex:  # a peek: only this thread takes from the queue
                head = self._queue.queue[0] if self._queue.queue else None
            if head is None or head[0] >= priority(running.kind):
                break
            _priority, _number, ticket = self._queue.get_nowait()
            if ticket is None:  # shutting down: leave the sentinel for the main loop
                self._queue.put((-1, 0, None))
                return
            with _default_torch_modes():
                self._process(ticket)
            ran = True
        if ran:
            running.nested_ms += (time.perf_counter() - began) * 1e3
            if not running.stop_requested:
                self._emit(self._raw_started, running, 0)  # the status bar names the running job again

    def _run(self, ticket: Ticket, call: _Call) -> Any:
        """``call`` with the one out-of-memory policy (see the module docstring)."""
        fallen_back = self._cpu_instead
        if fallen_back:
            call = call.on_cpu(only=fallen_back)
        on_gpu = [choice for choice in call.needed() if choice.device != "cpu"]
        retries: list[tuple[str, dict[str, Any]]] = []
        if on_gpu and ticket.low_memory:
            retries.append(("retried with less memory", {**call.kwargs, **ticket.low_memory}))
        while True:
            try:
                return self._call(ticket, call)
            except JobCancelled:
                raise
            except Exception as error:
                if not (is_out_of_memory(error) and on_gpu):
                    raise
                self._release_gpu_memory()
                if retries:
                    note, kwargs = retries.pop(0)
                    call = replace(call, kwargs=kwargs)
                    self._emit(self._raw_message, f"{ticket.description}: GPU out of memory, {note}.")
                    continue
                # Later jobs of the same model go to the CPU directly: trying the GPU again would reload the
                # model there (the cache was just emptied) only to run out of memory again.
                fallen_back.update(on_gpu)
                self._emit(
                    self._raw_message,
                    f"{ticket.description}: GPU out of memory, ran on the CPU instead "
                    "(and will for this model until you choose a model or device again).",
                )
                call = call.on_cpu()
                on_gpu = []

    def _release_gpu_memory(self) -> None:
        self.cache.clear()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:
            pass

    def _call(self, ticket: Ticket, call: _Call) -> Any:
        def download_progress(done: int, total: int) -> bool:
            self._emit(self._raw_progress, Progress(done, total, "Downloading weights"), ticket)
            return not ticket.stop_requested

        def get(choice: ModelChoice) -> Any:
            if ticket.stop_requested:  # before building a model nobody wants any more
                raise JobCancelled
            return self.cache.get(choice, download_progress)

        kwargs = dict(call.kwargs)
        if call.model is not None:
            kwargs["loaded"] = get(call.model)
        if call.models:
            kwargs["load"] = ModelLoader(call.models, get)
        if ticket.stop_requested:
            raise JobCancelled
        outcome = call.fn(*call.args, **kwargs)
        if not inspect.isgenerator(outcome):
            return outcome
        try:  # a generator: progress at each yield (where it may be stopped), its result returned
            while True:
                try:
                    step = next(outcome)
                except StopIteration as end:
                    return end.value
                if ticket.stop_requested:
                    raise JobCancelled
                self._emit(self._raw_progress, step, ticket)
                self._run_urgent(ticket)
                if ticket.stop_requested:
                    raise JobCancelled
        finally:
            outcome.close()
