"""The one worker: a background thread that runs jobs one at a time and owns the model cache.

``submit(kind, fn, *args)`` queues ``fn(*args)`` and returns a :class:`Ticket`. A newer submit of the same
kind supersedes the older one: a superseded job is skipped if still queued, stopped at its next ``yield``
if it is a generator, and its result is dropped, never delivered. Long jobs are generators (napari's
pattern): every yielded progress object (anything with ``step`` and ``total``) is reported, the last
other value is the result.

Arguments that are :class:`ModelKey` are replaced, on the worker, by the cached ``LoadedModel`` (built on
first use, downloading pretrained weights with progress), so torch is imported and models are built only
off the GUI thread. One thread (not a pool) because jobs that touch a model must not run concurrently.

A plain daemon ``threading.Thread`` carries the jobs rather than a QThread: a job stuck in a long forward
pass can then never block the app's exit, and nothing is left to report "QThread destroyed while
running". Results cross into the GUI thread through queued Qt signals. Before running a job the worker
announces its start and waits, briefly and with a bound, until the GUI thread has shown it (``_announce``):
the GUI thread's repaints then do not queue for the GIL behind the job's Python.
"""

from __future__ import annotations

import collections
import inspect
import itertools
import os
import queue
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal, Slot

from viewer.engine.errors import ViewerError, is_out_of_memory  # errors.py imports nothing heavy
from viewer.gui.model_cache import MODEL_CACHE_SIZE, ModelCache, ModelKey  # re-exported: jobs name them

__all__ = ["DownloadProgress", "JobError", "JobRunner", "ModelCache", "ModelKey", "Ticket"]


@dataclass(eq=False)
class Ticket:
    """One submitted job. ``cancel()`` is safe from any thread."""

    kind: str
    number: int
    description: str = ""
    _cancelled: threading.Event = field(default_factory=threading.Event, repr=False)

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


@dataclass(frozen=True)
class JobError:
    """How a failed job is shown: one sentence, and for bugs the traceback as details."""

    message: str
    details: str = ""
    is_bug: bool = False
    error_type: str = ""


@dataclass(frozen=True)
class DownloadProgress:
    """Progress of a weights download (bytes), shaped like the engine's other progress objects."""

    step: int
    total: int
    message: str = "Downloading weights"


def describe_error(error: BaseException) -> JobError:
    """A ``ViewerError`` is the user's to fix (its sentence); anything else is a bug (with traceback)."""
    if isinstance(error, ViewerError):
        return JobError(str(error), "", False, type(error).__name__)
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    text = str(error).splitlines()[0] if str(error) else ""
    message = f"Bug: {type(error).__name__}{': ' + text[:200] if text else ''} (details show the traceback)."
    return JobError(message, details, True, type(error).__name__)


class _Cancelled(Exception):
    pass


def _on_cpu(args: tuple, kwargs: dict, only: set[ModelKey] | None = None) -> tuple[tuple, dict]:
    """The arguments with their ``ModelKey``s (those in ``only``, when given) moved to the CPU."""

    def moved(value: Any) -> Any:
        if isinstance(value, ModelKey) and (only is None or value in only):
            return replace(value, device="cpu")
        return value

    return tuple(moved(a) for a in args), {k: moved(v) for k, v in kwargs.items()}


WORKER_NICENESS = 5
# How long the worker waits for the GUI thread to show a job's start (see _announce).
DELIVERY_WAIT_S = 0.25
# Showing a result queues three generations of posted events: the slots queue scene updates, those queue
# layout requests, and layouts queue repaints. The "shown" notice is re-posted behind each generation (one
# event type per remaining hop); with fewer hops the worker often resumed before the repaint.
_SHOWN_HOPS = [QEvent.Type(QEvent.registerEventType()) for _ in range(3)]


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


class JobRunner(QObject):
    """Runs submitted jobs on one background thread; see the module docstring for the rules."""

    started = Signal(object)  # Ticket
    progress = Signal(object, object)  # progress object (step, total, message), Ticket
    returned = Signal(object, object)  # result, Ticket
    errored = Signal(object, object)  # JobError, Ticket
    cancelled = Signal(object)  # Ticket: cancelled by the user (not superseded)
    finished = Signal(object)  # Ticket: ended with any outcome, superseded ones included
    message = Signal(str)  # notes such as "GPU out of memory: ran on the CPU instead"
    idle = Signal()  # nothing queued or running any more

    # Raw signals emitted on the worker thread, received in the GUI thread (queued) and filtered there.
    _raw_started = Signal(object, int)  # Ticket, number of this start (see _announce)
    _raw_progress = Signal(object, object)
    _raw_done = Signal(str, object, object)  # outcome, payload, Ticket
    _raw_message = Signal(str)

    def __init__(self, parent: QObject | None = None, *, cache_size: int = MODEL_CACHE_SIZE) -> None:
        super().__init__(parent)
        self.cache = ModelCache(cache_size)
        self._queue: queue.Queue[tuple | None] = queue.Queue()
        self._numbers = itertools.count(1)
        self._latest: dict[str, Ticket] = {}
        self._live: list[Ticket] = []  # submitted, not finished (GUI-thread view)
        self._closed = False
        self._shown = threading.Condition()  # guards _shown_upto
        self._shown_upto = 0  # the last job start the GUI thread has shown (see _announce)
        self._chains: collections.deque[int] = collections.deque()  # starts whose "shown" hops are in flight
        self._starts = 0  # job starts announced (worker thread)
        self._cpu_instead: set[ModelKey] = set()  # models that ran out of GPU memory: run on the CPU for now
        self._raw_started.connect(self._on_started, Qt.ConnectionType.QueuedConnection)
        self._raw_progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._raw_done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._raw_message.connect(self.message, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._work, name="viewer-jobs", daemon=True)
        self._thread.start()

    # --- GUI-thread API -----------------------------------------------------------------------------
    def submit(self, kind: str, fn: Callable[..., Any], *args: Any, description: str = "", **kwargs: Any) -> Ticket:
        """Queue ``fn(*args, **kwargs)``; supersedes the queued or running job of the same ``kind``."""
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        ticket = Ticket(kind, next(self._numbers), description or kind)
        previous = self._latest.get(kind)
        if previous is not None:
            previous.cancel()
        self._latest[kind] = ticket
        self._live.append(ticket)
        self._queue.put((ticket, fn, args, kwargs))
        return ticket

    def is_latest(self, ticket: Ticket) -> bool:
        return self._latest.get(ticket.kind) is ticket and not ticket.cancelled

    def cancel(self, kind: str | None = None) -> None:
        """Cancel the jobs of ``kind`` (all jobs when None); they stop at their next yield."""
        for ticket in list(self._live):
            if kind is None or ticket.kind == kind:
                ticket.cancel()

    def pending(self, kind: str | None = None) -> list[Ticket]:
        """Jobs submitted and not yet finished (in the GUI thread's view), optionally of one kind."""
        return [t for t in self._live if kind is None or t.kind == kind]

    def is_busy(self) -> bool:
        return bool(self._live)

    def forget_gpu_fallbacks(self) -> None:
        """Let models that ran out of GPU memory try the GPU again (the user chose a model or device anew)."""
        self._cpu_instead = set()  # one assignment: the worker sees the old set or the new one, never half

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel everything and stop the thread; True if it stopped within ``timeout`` seconds."""
        if self._closed:
            return not self._thread.is_alive()
        self._closed = True
        self.cancel()
        with self._shown:
            self._shown.notify_all()  # a worker waiting for the GUI thread must not delay the exit
        self._queue.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --- GUI-thread filters: superseded jobs never reach the public signals -------------------------
    @Slot(object, int)
    def _on_started(self, ticket: Ticket, number: int) -> None:
        if not self._closed and self.is_latest(ticket):
            self.started.emit(ticket)
        self._chains.append(number)
        self._post_shown(len(_SHOWN_HOPS) - 1)

    @Slot(object, object)
    def _on_progress(self, item: Any, ticket: Ticket) -> None:
        if not self._closed and self.is_latest(ticket):
            self.progress.emit(item, ticket)

    @Slot(str, object, object)
    def _on_done(self, outcome: str, payload: Any, ticket: Ticket) -> None:
        if self._closed:
            return
        deliver = self.is_latest(ticket)
        user_cancelled = ticket.cancelled and self._latest.get(ticket.kind) is ticket
        if ticket in self._live:
            self._live.remove(ticket)
        # Emit before the idle check so that a slot may submit follow-up jobs (then not idle yet).
        if outcome == "returned" and deliver:
            self.returned.emit(payload, ticket)
        elif outcome == "errored" and deliver:
            self.errored.emit(payload, ticket)
        elif outcome == "cancelled" and user_cancelled:
            self.cancelled.emit(ticket)
        self.finished.emit(ticket)
        if not self._live:
            self.idle.emit()

    def _post_shown(self, hops_left: int) -> None:
        # Low priority: handled after the events of normal priority (and the repaints) queued before it.
        QCoreApplication.postEvent(self, QEvent(_SHOWN_HOPS[hops_left]), Qt.EventPriority.LowEventPriority.value)

    def event(self, event: QEvent) -> bool:
        if event.type() in _SHOWN_HOPS:
            hops_left = _SHOWN_HOPS.index(event.type())
            if hops_left:
                self._post_shown(hops_left - 1)
            else:  # chains end in the order they began: each hop queues behind the same hop of older chains
                with self._shown:
                    self._shown_upto = max(self._shown_upto, self._chains.popleft())
                    self._shown.notify_all()
            return True
        return super().event(event)

    # --- worker thread ------------------------------------------------------------------------------
    def _emit(self, signal: Any, *args: Any) -> None:
        if self._closed:
            return
        try:
            signal.emit(*args)
        except RuntimeError:  # the QObject is gone (app exiting): nothing left to tell
            pass

    def _work(self) -> None:
        _lower_this_threads_priority()
        while True:
            entry = self._queue.get()
            if entry is None:
                return
            ticket, fn, args, kwargs = entry
            if ticket.cancelled or self._closed:
                self._emit(self._raw_done, "cancelled", None, ticket)
                continue
            self._announce(ticket)
            if ticket.cancelled or self._closed:  # while the GUI thread showed it: do not build its model
                self._emit(self._raw_done, "cancelled", None, ticket)
                continue
            try:
                result = self._run(ticket, fn, args, kwargs)
            except _Cancelled:
                self._emit(self._raw_done, "cancelled", None, ticket)
            except BaseException as error:
                if type(error).__name__ == "CancelledError" and ticket.cancelled:
                    self._emit(self._raw_done, "cancelled", None, ticket)
                else:
                    self._emit(self._raw_done, "errored", describe_error(error), ticket)
            else:
                self._emit(self._raw_done, "cancelled" if ticket.cancelled else "returned", result, ticket)

    def _announce(self, ticket: Ticket) -> None:
        """Tell the GUI thread that ``ticket`` starts, and let it show that (and the previous job's result,
        queued before) until its repaints are done, before running the job.

        Showing means many short calls from Qt into Python (slots, pyqtgraph's paint and boundingRect), and
        each needs the GIL. When the worker went straight on with Python-heavy work (fx tracing, a summary),
        the GUI thread waited for the GIL at each of those calls: a repaint that takes 5 ms on an idle
        machine took 40-60 ms (``viewer bench --only gui``). Waiting costs the worker those few milliseconds
        per job, and at most ``DELIVERY_WAIT_S`` when the GUI thread is busy elsewhere.
        """
        self._starts += 1
        number = self._starts
        self._emit(self._raw_started, ticket, number)
        with self._shown:
            self._shown.wait_for(lambda: self._shown_upto >= number or self._closed, timeout=DELIVERY_WAIT_S)

    def _run(self, ticket: Ticket, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        fallen_back = self._cpu_instead
        if fallen_back:
            args, kwargs = _on_cpu(args, kwargs, only=fallen_back)
        try:
            return self._call(ticket, fn, args, kwargs)
        except _Cancelled:
            raise
        except Exception as error:
            keys = [a for a in (*args, *kwargs.values()) if isinstance(a, ModelKey) and a.device != "cpu"]
            if not (is_out_of_memory(error) and keys):
                raise
            # The GPU ran out of memory: free what this job held and run it again on the CPU. Later jobs of
            # the same model go to the CPU directly: trying the GPU again would reload the model there (the
            # cache was just emptied) only to run out of memory again.
            self._release_gpu_memory()
            fallen_back.update(keys)
            self._emit(
                self._raw_message,
                f"{ticket.description}: GPU out of memory, ran on the CPU instead "
                "(and will for this model until you choose a model or device again).",
            )
            args, kwargs = _on_cpu(args, kwargs)
            return self._call(ticket, fn, args, kwargs)

    def _release_gpu_memory(self) -> None:
        self.cache.clear()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:
            pass

    def _call(self, ticket: Ticket, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        def download_progress(done: int, total: int) -> bool:
            self._emit(self._raw_progress, DownloadProgress(done, total), ticket)
            return not ticket.cancelled

        def resolve(value: Any) -> Any:
            return self.cache.get(value, download_progress) if isinstance(value, ModelKey) else value

        if ticket.cancelled:  # before building a model nobody wants any more
            raise _Cancelled
        args = tuple(resolve(a) for a in args)
        kwargs = {k: resolve(v) for k, v in kwargs.items()}
        if ticket.cancelled:
            raise _Cancelled
        outcome = fn(*args, **kwargs)
        if not inspect.isgenerator(outcome):
            return outcome
        result = None
        try:
            for item in outcome:
                if ticket.cancelled:
                    raise _Cancelled
                if hasattr(item, "step") and hasattr(item, "total"):
                    self._emit(self._raw_progress, item, ticket)
                else:
                    result = item
        finally:
            outcome.close()
        if ticket.cancelled:
            raise _Cancelled
        return result
