"""The window's side of the engine: start a local engine (or reach a remote one), submit jobs, get Futures.

No torch and no Qt here (a test proves it in a fresh interpreter). One thread per client, the link, owns the
connection: it starts the local engine (a ``spawn`` child; the engine never shares this process's memory),
reads every message and resolves the Futures; callbacks (``on_progress``, ``on_started``) run on it, so the GUI
bounces them to its own thread. When the engine dies (end of the connection, the process's exit) the jobs it had
fail with "the engine stopped: <reason>" and a local engine is started again at once; jobs submitted meanwhile
wait for it. :meth:`EngineClient.close` stops a local engine within two seconds even mid-job or hung in C: it
says goodbye, then terminates, then kills.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import secrets
import socket
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from viewer.core.images.refs import IMAGE_GONE, SentImages
from viewer.core.job_names import ENGINE_RSS_BYTES, LOADED_MODEL_BYTES, LOADED_MODELS, QUERY_PRIORITY
from viewer.core.network.choice import ModelChoice
from viewer.core.progress import Progress
from viewer.core.wire import WireError
from viewer.core.wire.channel import Channel, Refused, answer_challenge, connect, framed
from viewer.gui.client.futures import EngineFuture, EngineStopped, deliver, fail
from viewer.gui.client.processes import has_ended, stop_process, why_it_ended

__all__ = ["DEFAULT_JOBS", "SHM_MIN_BYTES", "EngineClient"]

log = logging.getLogger(__name__)

DEFAULT_JOBS = "viewer.engine.jobs:JOBS"
SHM_MIN_BYTES = 1 << 14  # arrays of 16 KiB or more cross to a local engine through shared memory (see below)
START_TIMEOUT_S = 120.0  # a spawned engine's interpreter start on a loaded 2-core machine


class EngineClient:
    """A local engine (``EngineClient()``), a remote one (``EngineClient(address=(host, port), token=...)``), or
    the same loop on a thread of this process (``EngineClient(in_thread=True)``: ``--engine thread``, for
    debugging and the GUI tests; it imports torch here)."""

    def __init__(
        self,
        *,
        address: tuple[str, int] | None = None,
        token: bytes | None = None,
        jobs: str = DEFAULT_JOBS,
        shm_min_bytes: int | None = SHM_MIN_BYTES,
        in_thread: bool = False,
    ) -> None:
        if address is not None and not token:
            raise ValueError("a remote engine needs its token")
        if address is not None and in_thread:
            raise ValueError("an engine is remote or on a thread of this process, not both")
        self.address = address
        self.in_thread = in_thread
        self.jobs = jobs
        self.shm_min_bytes = None if address is not None else shm_min_bytes
        self._token = token
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._unsent: list[EngineFuture] = []  # submitted while no engine was connected
        self._sent: dict[int, EngineFuture] = {}  # sent to the engine now connected, not finished
        self._channel: Channel | None = None
        self._send_order = threading.Lock()
        self._images_channel: Channel | None = None  # the connection that _images_sent counts for
        self._images_sent = SentImages()  # the images that connection's engine holds (viewer.core.images.refs)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._closed = False
        self._wake = threading.Event()
        self.connected = threading.Event()
        self.welcome: dict[str, Any] = {}
        self.starts = 0  # how many engines were connected (a restart adds one)
        # Told on the link thread when a connected engine ends (not when closed): its number and the sentence.
        self.on_stopped: Callable[[int, str], object] | None = None
        self._link = threading.Thread(target=self._run_link, name="engine-link", daemon=True)
        self._link.start()
        # Before multiprocessing's own exit handler, which would wait for a non-daemonic engine forever.
        atexit.register(_close_at_exit, weakref.ref(self))

    # --- any thread --------------------------------------------------------------------------------
    def submit(
        self,
        name: str,
        *args: Any,
        model: ModelChoice | None = None,
        models: Sequence[ModelChoice] = (),
        priority: int = 0,
        kind: str = "",
        on_progress: Callable[[Progress], object] | None = None,
        on_started: Callable[[EngineFuture], object] | None = None,
        on_note: Callable[[str], object] | None = None,
        low_memory: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> EngineFuture:
        """Run the engine's job ``name(*args, **kwargs)`` (with ``loaded=`` ``model``, or ``load=`` ``models``).

        ``low_memory``: keyword arguments the engine retries the job with on the GPU after it ran out of memory;
        ``on_note`` gets the engine's notes about the job (such as that retry), on the link thread.
        """
        job = next(self._numbers)
        message = {"op": "submit", "job": job, "name": name, "args": list(args), "kwargs": kwargs, "model": model,
                   "models": list(models), "priority": int(priority), "kind": str(kind),
                   "low_memory": dict(low_memory or {})}  # fmt: skip
        future = EngineFuture(self, job, message, on_progress, on_started, on_note)
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine client is closed")
            channel = self._channel
            if channel is None:
                self._unsent.append(future)
                self._wake.set()
                return future
            self._sent[job] = future
        self._send(channel, future)
        return future

    def close(self, timeout: float = 2.0) -> bool:
        """Fail what is pending, stop the engine (goodbye, then terminate, then kill); True once it is gone."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closed:
                return self._process is None or has_ended(self._process)
            self._closed = True
            channel, process = self._channel, self._process
            pending = [*self._unsent, *self._sent.values()]
            self._unsent, self._sent = [], {}
        self._wake.set()
        for future in pending:
            fail(future, EngineStopped("the engine stopped: the window closed it."))
        if channel is not None:
            with contextlib.suppress(OSError, EOFError, ValueError):
                channel.send({"op": "bye"})
            channel.shutdown()
        gone = True
        if process is not None:
            gone = stop_process(process, deadline)
        self._link.join(max(0.0, deadline - time.monotonic()))
        return gone

    def forget_gpu_fallbacks(self) -> None:
        """Let this client's models that ran out of GPU memory try the GPU again (an engine started later has
        none to forget)."""
        with self._lock:
            channel = self._channel
        if channel is not None:
            with contextlib.suppress(OSError, EOFError, ValueError):
                channel.send({"op": "forget"})

    def loaded_models(self, timeout: float | None = None) -> list[ModelChoice]:
        """The keys of the models cached in the engine, least recently used first; waits for the answer (between
        two jobs, or two steps of one: read it while the engine is idle). Raises ``EngineStopped`` and ``TimeoutError``
        as a job's Future does."""
        answer = self.submit(LOADED_MODELS, priority=QUERY_PRIORITY, kind="query").result(timeout)
        return list(answer)

    def loaded_model_bytes(self, timeout: float | None = None) -> int:
        """The bytes of those models' parameters and buffers, in the engine's memory (as :meth:`loaded_models`)."""
        return int(self.submit(LOADED_MODEL_BYTES, priority=QUERY_PRIORITY, kind="query").result(timeout))

    def engine_rss_bytes(self, timeout: float | None = None) -> int:
        """The engine process's resident memory (as :meth:`loaded_models`; this process's own under ``in_thread``)."""
        return int(self.submit(ENGINE_RSS_BYTES, priority=QUERY_PRIORITY, kind="query").result(timeout))

    @property
    def pid(self) -> int | None:
        """The local engine's process id, while one runs."""
        process = self._process
        return process.pid if process is not None and not has_ended(process) else None

    # --- the link thread ---------------------------------------------------------------------------
    def _run_link(self) -> None:
        while not self._closed:
            try:
                channel, process = self._open()
            except Exception as error:  # no engine: the jobs waiting for one fail, the next submit tries again
                with self._lock:
                    waiting, self._unsent = self._unsent, []
                where = "could not start" if self.address is None else f"at {_where(self.address)} could not be reached"
                for future in waiting:
                    fail(future, EngineStopped(f"the engine {where}: {error}"))
                self._wait_for_work()
                continue
            with self._lock:
                if self._closed:
                    channel.shutdown()
                    channel.close()
                    if process is not None:
                        stop_process(process, time.monotonic() + 1.0)
                    return
                self._channel, self._process = channel, process
                waiting, self._unsent = self._unsent, []
                self._sent.update((future.job, future) for future in waiting)
                self.starts += 1
            self.connected.set()
            for future in waiting:
                self._send(channel, future)
            reason = self._read(channel)
            self.connected.clear()
            with self._lock:
                self._channel = None
                lost, self._sent = list(self._sent.values()), {}
            channel.close()
            reason = why_it_ended(process) if process is not None else reason
            for future in lost:
                fail(future, EngineStopped(f"the engine stopped: {reason}."))
            if not self._closed:
                log.warning("the engine stopped: %s", reason)
                if self.on_stopped is not None:
                    try:
                        self.on_stopped(self.starts, f"the engine stopped: {reason}.")
                    except Exception:  # a callback's bug must not end the link
                        log.exception("telling that the engine stopped")
                if process is None:  # a remote engine or one on a thread: reconnect when there is work again
                    self._wait_for_work()

    def _wait_for_work(self) -> None:
        while not self._closed:
            with self._lock:
                if self._unsent:
                    return
                self._wake.clear()
            self._wake.wait()

    def _open(self) -> tuple[Channel, multiprocessing.process.BaseProcess | None]:
        if self.address is not None:
            channel = Channel(connect(*self.address))
            assert self._token is not None
            try:
                self.welcome = answer_challenge(channel, self._token)
            except BaseException:
                channel.close()
                raise
            return channel, None
        return self._start_local()

    def _start_local(self) -> tuple[Channel, multiprocessing.process.BaseProcess | None]:
        """A local engine that connects back to a listener of this process (a spawned child, or a thread here,
        which a lost connection then starts again at the next job, as a remote engine is reached again)."""
        # torch-free: the job table is imported there
        from viewer.engine.server.serve import run_engine_thread, run_local_engine

        token = secrets.token_bytes(32)
        with socket.create_server(("127.0.0.1", 0)) as listener:
            host, port = listener.getsockname()[:2]
            args = (host, port, token, self.jobs, self.shm_min_bytes)
            process: multiprocessing.process.BaseProcess | None = None
            if self.in_thread:
                threading.Thread(target=run_engine_thread, args=args, name="viewer-engine", daemon=True).start()
            else:
                context = multiprocessing.get_context("spawn")
                # Not daemonic: a daemonic process may not start its own (a DataLoader's workers); close() ends it.
                process = context.Process(target=run_local_engine, args=args, name="viewer-engine")
                process.start()
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                remaining = deadline - time.monotonic()
                waited: list[socket.socket | int] = [listener] if process is None else [listener, process.sentinel]
                ready = multiprocessing.connection.wait(waited, max(0.0, remaining))
                if listener in ready:
                    sock, _peer = listener.accept()
                    channel = Channel(framed(sock), shm_min_bytes=self.shm_min_bytes)
                    try:
                        self.welcome = answer_challenge(channel, token)
                    except (Refused, WireError, TimeoutError, OSError, EOFError):
                        channel.close()  # somebody else on this machine, or the engine died meanwhile
                        continue
                    return channel, process
                if ready or remaining <= 0:
                    if process is not None:
                        stop_process(process, time.monotonic() + 1.0)
                    why = (
                        why_it_ended(process)
                        if ready and process is not None
                        else f"it did not answer in {START_TIMEOUT_S:g} s"
                    )
                    raise EngineStopped(why)

    def _send(self, channel: Channel, future: EngineFuture) -> None:
        message = future.message
        try:
            # One at a time from here to the wire: the engine must meet an image in full before its references.
            with self._send_order:
                if channel is not self._images_channel:  # a new connection: its engine holds no image yet
                    self._images_channel, self._images_sent = channel, SentImages()
                args, kwargs = self._images_sent.shrink(message["args"], message["kwargs"])
                try:
                    channel.send({**message, "args": args, "kwargs": kwargs})
                except WireError:
                    self._images_sent = SentImages()  # not sent: what it counted as held is not
                    raise
        except WireError as error:  # an argument of a type that may not cross: the caller's bug
            with self._lock:
                self._sent.pop(future.job, None)
            future.set_exception(error)
        except (OSError, EOFError, ValueError):
            pass  # the engine is gone: the link fails the job when it sees the end

    def cancel_job(self, future: EngineFuture) -> None:
        """Tell the engine a job is no longer wanted (a job not sent yet is simply dropped)."""
        with self._lock:
            if future in self._unsent:
                self._unsent.remove(future)
                return
            channel = self._channel if future.job in self._sent else None
        if channel is not None:
            with contextlib.suppress(OSError, EOFError, ValueError):
                channel.send({"op": "cancel", "job": future.job})

    def _read(self, channel: Channel) -> str:
        """Deliver the engine's messages until the connection ends; why it ended."""
        while True:
            try:
                message = channel.recv()
            except (EOFError, OSError):
                return (
                    "the connection to it closed"
                    if self.address is None
                    else f"the connection to {_where(self.address)} closed"
                )
            except WireError as error:
                log.error("the engine sent a malformed message: %s", error)
                channel.shutdown()
                return f"it sent a malformed message ({error})"
            if message.get("type") == IMAGE_GONE and self._resend_in_full(channel, message.get("job")):
                continue
            with self._lock:
                future = self._sent.get(message.get("job"))  # type: ignore[arg-type]
                if future is not None and message["op"] in ("result", "error", "cancelled"):
                    del self._sent[future.job]
            if future is not None:
                deliver(future, message)

    def _resend_in_full(self, channel: Channel, job: object) -> bool:
        """The engine no longer holds an image the job named (it keeps a bounded number of bytes): count nothing as
        held on this connection and send the job again, its images in full; once per job. False: not done."""
        with self._lock:
            future = self._sent.get(job) if isinstance(job, int) else None
            if future is None or future.resent:
                return False
            future.resent = True
        with self._send_order:
            self._images_sent = SentImages()
        self._send(channel, future)
        return True


def _where(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


def _close_at_exit(client: weakref.ref[EngineClient]) -> None:
    alive = client()
    if alive is not None:
        alive.close()
