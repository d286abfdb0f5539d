"""The engine's job loop: requests of every client, run one at a time by priority, cancelled between steps (and
inside a forward pass: :mod:`~viewer.engine.server.interrupts`).

A job is a function of the job table, or a generator yielding :class:`~viewer.core.progress.Progress` that
returns its result. It runs on the thread that calls :meth:`Scheduler.run` (the engine's main thread); the
sessions' reader threads put requests and cancel them. Between two steps of a job, queued jobs of a better
priority run nested (the top-k of a new image while a comparison runs), as the window's worker did.

Out of GPU memory, here because only the engine sees the exception: a job submitted with ``low_memory``
keyword arguments is run again with them on the GPU (a heatmap in smaller tiles), and otherwise, or if that
fails too, on the CPU; that model then stays on the CPU for that client's jobs until it asks to forget
(:meth:`Scheduler.forget_gpu_fallbacks`, the window's "choose a model or device again"). Each step is told to
the client as a ``note``.

Besides the table's jobs the scheduler answers its own queries, requests like any other (queued by priority,
answered with a ``result``) that read the loop's state, which no job can see: ``engine.loaded_models``
(:data:`~viewer.core.job_names.LOADED_MODELS`) is the keys of the cached models, least recently used first, and
``engine.loaded_model_bytes`` the bytes of their tensors, ``engine.rss_bytes`` this process's resident memory.
They run on the loop's thread, so they read the cache between two jobs (or two steps), never while it changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import inspect
import itertools
import logging
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from viewer.core.errors import CancelledError, ViewerError, is_out_of_memory
from viewer.core.job_names import ENGINE_RSS_BYTES, LOADED_MODEL_BYTES, LOADED_MODELS
from viewer.core.network.choice import ModelChoice
from viewer.core.progress import Progress
from viewer.core.wire import WireError
from viewer.core.wire.arena import arenas
from viewer.engine.jobs.models import MODEL_CACHE_SIZE, ModelCache, ModelLoader
from viewer.engine.server.interrupts import Interrupted, Interrupts

__all__ = [
    "NOTE_CPU",
    "NOTE_RETRIED",
    "JobCancelled",
    "Request",
    "Scheduler",
    "Sender",
    "describe",
    "load_jobs",
]

log = logging.getLogger(__name__)

# The notes of the out-of-memory policy; the window puts the job's description before them.
NOTE_RETRIED = "GPU out of memory, retried with less memory."
NOTE_CPU = (
    "GPU out of memory, ran on the CPU instead (and will for this model until you choose a model or device again)."
)


class JobCancelled(Exception):
    """Raised inside the loop when a job's client cancelled it (or left)."""


class Sender(Protocol):
    """Where a request's messages go: its client's session."""

    client_id: int
    shares_memory: bool  # reads this machine's shared memory: the job's large outputs may be made there

    def send(self, message: dict[str, Any]) -> None: ...


@dataclass(eq=False)
class Request:
    """One job of one client, as the session read it."""

    sender: Sender
    job: int
    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    model: ModelChoice | None = None  # the job gets ``loaded=`` this model
    models: tuple[ModelChoice, ...] = ()  # the job gets ``load=`` a loader of these, built when it asks
    priority: int = 0
    kind: str = ""
    low_memory: dict[str, Any] = field(default_factory=dict)  # kwargs to retry with on the GPU when out of memory
    cancelled: threading.Event = field(default_factory=threading.Event)
    nested_s: float = 0.0  # time other jobs ran between two of its steps (not counted in its elapsed time)

    def needed(self) -> list[ModelChoice]:
        return ([self.model] if self.model is not None else []) + list(self.models)

    def on_cpu(self, only: set[ModelChoice] | None = None) -> Request:
        """The same request with its models (those in ``only``, when given) moved to the CPU."""

        def moved(choice: ModelChoice) -> ModelChoice:
            return choice.on_cpu() if only is None or choice in only else choice

        model = None if self.model is None else moved(self.model)
        return replace(self, model=model, models=tuple(moved(choice) for choice in self.models))


def load_jobs(path: str) -> Mapping[str, Callable[..., Any]]:
    """The job table named ``module:attr`` (the engine's own is ``viewer.engine.jobs:JOBS``)."""
    module_name, _, attr = path.partition(":")
    table = getattr(importlib.import_module(module_name), attr or "JOBS")
    if not isinstance(table, Mapping):
        raise TypeError(f"{path} is not a table of jobs")
    return table


def describe(error: BaseException) -> dict[str, Any]:
    """A failed job as its client shows it: a ``ViewerError``'s sentence, or for a bug a line and the traceback."""
    if isinstance(error, ViewerError):
        return {"message": str(error), "details": "", "is_bug": False, "type": type(error).__name__}
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    text = str(error).splitlines()[0] if str(error) else ""
    message = f"Bug: {type(error).__name__}{': ' + text[:200] if text else ''} (details show the traceback)."
    return {"message": message, "details": details, "is_bug": True, "type": type(error).__name__}


def _send(request: Request, message: dict[str, Any]) -> None:
    """To the request's client; a client gone is its session's business (it cancels its jobs)."""
    try:
        request.sender.send({"job": request.job, **message})
    except (OSError, EOFError):
        request.cancelled.set()


class Scheduler:
    """Runs the requests of every session one at a time; see the module docstring."""

    def __init__(self, jobs: Mapping[str, Callable[..., Any]], cache_size: int | None = None) -> None:
        self.jobs = jobs
        self._queue: queue.PriorityQueue[tuple[float, int, Request | None]] = queue.PriorityQueue()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._live: dict[tuple[int, int], Request] = {}  # (client, job): queued or running
        self._cache_size = cache_size
        self._cache: ModelCache | None = None
        # Per client: the models that ran out of GPU memory and run on the CPU until it asks to forget them.
        self._cpu_instead: dict[int, set[ModelChoice]] = {}
        self._interrupts = Interrupts()

    # --- any thread ------------------------------------------------------------------------------
    def put(self, request: Request) -> None:
        with self._lock:
            self._live[(request.sender.client_id, request.job)] = request
        self._queue.put((request.priority, next(self._numbers), request))

    def cancel(self, client_id: int, job: int | None = None) -> None:
        """Cancel one job of a client (all its jobs when ``job`` is None); never another client's."""
        with self._lock:
            for (client, number), request in self._live.items():
                if client == client_id and (job is None or number == job):
                    request.cancelled.set()

    def forget_gpu_fallbacks(self, client_id: int) -> None:
        """Let ``client_id``'s models that ran out of GPU memory try the GPU again."""
        with self._lock:
            self._cpu_instead.pop(client_id, None)

    def stop(self) -> None:
        """End :meth:`run` after the running job stops (every job is cancelled)."""
        with self._lock:
            for request in self._live.values():
                request.cancelled.set()
        self._queue.put((float("-inf"), 0, None))

    # --- the loop's thread -----------------------------------------------------------------------
    def run(self) -> None:
        while True:
            _priority, _number, request = self._queue.get()
            if request is None:
                return
            self._process(request)

    def _process(self, request: Request) -> None:
        with arenas(enabled=request.sender.shares_memory):  # the job's outputs made where its client reads them
            self._answer(request)

    def _answer(self, request: Request) -> None:
        try:
            if request.cancelled.is_set():
                _send(request, {"op": "cancelled"})
                return
            _send(request, {"op": "started"})
            began = time.perf_counter()
            try:
                with self._interrupts.watching(request):
                    result = self._run(request)
            except (JobCancelled, CancelledError, Interrupted):
                _send(request, {"op": "cancelled"})
                return
            except Exception as error:
                log.debug("job %s failed", request.name, exc_info=True)
                _send(request, {"op": "error", **describe(error)})
                return
            if request.cancelled.is_set():
                _send(request, {"op": "cancelled"})
                return
            elapsed_ms = (time.perf_counter() - began - request.nested_s) * 1e3
            try:
                _send(request, {"op": "result", "value": result, "elapsed_ms": elapsed_ms})
            except WireError as error:  # a result of a type that may not cross: the job's bug, said as one
                _send(request, {"op": "error", **describe(error)})
        finally:
            with self._lock:
                self._live.pop((request.sender.client_id, request.job), None)

    def loaded_models(self) -> list[ModelChoice]:
        """The keys of the cached models, least recently used first (the loop's thread only)."""
        return [] if self._cache is None else self._cache.keys()

    def loaded_model_bytes(self) -> int:
        """The bytes of the cached models' parameters and buffers (the loop's thread only)."""
        return 0 if self._cache is None else self._cache.nbytes()

    def _models(self) -> ModelCache:
        if self._cache is None:
            size = self._cache_size if self._cache_size is not None else MODEL_CACHE_SIZE
            self._cache = ModelCache(size)
        return self._cache

    def _run(self, request: Request) -> Any:
        """``request`` with the out-of-memory policy of the module docstring."""
        with self._lock:
            fallen_back = self._cpu_instead.setdefault(request.sender.client_id, set())
        call = request.on_cpu(only=fallen_back) if fallen_back else request
        on_gpu = [choice for choice in call.needed() if choice.device != "cpu"]
        retry = bool(on_gpu and request.low_memory)
        while True:
            try:
                return self._call(request, call)
            except (JobCancelled, CancelledError):
                raise
            except Exception as error:
                if not (is_out_of_memory(error) and on_gpu):
                    raise
                self._release_gpu_memory()
                if retry:
                    retry = False
                    call = replace(call, kwargs={**call.kwargs, **request.low_memory})
                    _send(request, {"op": "note", "text": NOTE_RETRIED})
                    continue
                # Later jobs of the same model go to the CPU directly: trying the GPU again would reload the
                # model there (the cache was just emptied) only to run out of memory again.
                fallen_back.update(on_gpu)
                _send(request, {"op": "note", "text": NOTE_CPU})
                call = call.on_cpu()
                on_gpu = []

    def _release_gpu_memory(self) -> None:
        if self._cache is not None:
            self._cache.clear()
        torch = sys.modules.get("torch")  # never imported for this: no torch, no GPU memory to give back
        if torch is not None:
            with contextlib.suppress(Exception):
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()

    def _call(self, request: Request, call: Request) -> Any:
        """Run ``request`` with the models and keyword arguments of ``call`` (itself, or moved by :meth:`_run`)."""
        if request.name == LOADED_MODELS:
            return self.loaded_models()
        if request.name == LOADED_MODEL_BYTES:
            return self.loaded_model_bytes()
        if request.name == ENGINE_RSS_BYTES:
            return resident_bytes()
        fn = self.jobs.get(request.name)
        if fn is None:
            raise ViewerError(f"this engine has no job {request.name!r} (is it another version of the viewer?).")

        def download_progress(done: int, total: int) -> bool:
            _send(request, {"op": "progress", "progress": Progress(done, total, "Downloading weights")})
            return not request.cancelled.is_set()

        def get(choice: ModelChoice) -> Any:
            if request.cancelled.is_set():  # before building a model nobody wants any more
                raise JobCancelled
            return self._models().get(choice, download_progress)

        kwargs = dict(call.kwargs)
        if call.model is not None:
            kwargs["loaded"] = get(call.model)
        if call.models:
            kwargs["load"] = ModelLoader(call.models, get)
        if request.cancelled.is_set():
            raise JobCancelled
        outcome = fn(*request.args, **kwargs)
        if not inspect.isgenerator(outcome):
            return outcome
        with contextlib.closing(outcome):
            while True:
                try:
                    step = next(outcome)
                except StopIteration as end:
                    return end.value
                if request.cancelled.is_set():
                    raise JobCancelled
                if isinstance(step, Progress):
                    _send(request, {"op": "progress", "progress": step})
                self._run_urgent(request)
                if request.cancelled.is_set():
                    raise JobCancelled

    def _run_urgent(self, running: Request) -> None:
        """Between two steps of ``running``, the queued jobs of a better priority, nested on this thread; then
        ``running`` is said to be started again (the window's status bar names the running job again)."""
        ran, began = False, time.perf_counter()
        while not running.cancelled.is_set():
            with self._queue.mutex:  # a peek: only this thread takes from the queue
                head = self._queue.queue[0] if self._queue.queue else None
            if head is None or head[2] is None or head[0] >= running.priority:
                break
            _priority, _number, request = self._queue.get_nowait()
            if request is not None:
                with _default_torch_modes():
                    self._process(request)
                ran = True
        if ran:
            running.nested_s += time.perf_counter() - began
            if not running.cancelled.is_set():
                _send(running, {"op": "started"})


def _default_torch_modes() -> contextlib.AbstractContextManager[object]:
    """torch's per-thread modes as a job starts with them, whatever the job suspended around it holds."""
    torch = sys.modules.get("torch")
    if torch is None:
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    stack.enter_context(torch.inference_mode(False))
    stack.enter_context(torch.enable_grad())
    return stack


def resident_bytes() -> int:
    """This process's resident memory, after the C allocator gave back what it holds free (its fragments would
    read as growth); 0 where /proc is not there to say."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0
