"""The engine's connections: one session per client, over TCP (``viewer engine --listen``) or to the window.

A session's reader thread reads the client's messages while the job loop runs: ``submit`` queues a request,
``cancel`` cancels one of this client's jobs (never another's), ``bye`` or the connection's end cancels all of
them. Every connection must answer the token's challenge before anything else
(:func:`viewer.core.wire.channel.offer_challenge`); a wrong token gets one sentence, the connection is closed,
the refusal is logged and the engine keeps serving the others.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from viewer import __version__
from viewer.core.images.refs import IMAGE_GONE, HeldImages
from viewer.core.network.choice import ModelChoice
from viewer.core.wire import WireError
from viewer.core.wire.channel import Channel, Refused, connect, framed, offer_challenge
from viewer.engine.server import runtime
from viewer.engine.server.scheduler import Request, Scheduler, load_jobs

__all__ = ["DEFAULT_JOBS", "ORPHAN_EXIT_S", "Session", "TcpServer", "run_engine_thread", "run_local_engine"]

log = logging.getLogger(__name__)

DEFAULT_JOBS = "viewer.engine.jobs:JOBS"
ORPHAN_EXIT_S = 5.0  # a local engine whose window is gone exits this long after, even if a job is stuck in C
_client_ids = itertools.count(1)


class Session:
    """One client's connection: its reader loop (:meth:`serve`) and where its jobs' messages go (:meth:`send`)."""

    def __init__(self, channel: Channel, scheduler: Scheduler, client_id: int) -> None:
        self.channel = channel
        self.scheduler = scheduler
        self.client_id = client_id
        self.shares_memory = channel.shm_min_bytes is not None
        self.images = HeldImages()  # the images this window sent, which it names by reference afterwards

    def send(self, message: dict[str, Any]) -> None:
        self.channel.send(message)

    def serve(self) -> str:
        """Read until the client leaves; every job it left is cancelled. Why it ended."""
        try:
            while True:
                message = self.channel.recv()
                op = message["op"]
                if op == "submit":
                    self._submit(message)
                elif op == "cancel":
                    job = message.get("job")
                    if isinstance(job, int):
                        self.scheduler.cancel(self.client_id, job)
                elif op == "forget":
                    self.scheduler.forget_gpu_fallbacks(self.client_id)
                elif op == "bye":
                    return "the client said goodbye"
                else:
                    raise WireError(f"unknown message {op!r}")
        except (EOFError, OSError):
            return "the connection closed"
        except WireError as error:
            log.warning("client %d sent a malformed message: %s", self.client_id, error)
            return f"a malformed message ({error})"
        finally:
            self.scheduler.cancel(self.client_id)
            self.scheduler.forget_gpu_fallbacks(self.client_id)
            self.channel.close()

    def _submit(self, message: dict[str, Any]) -> None:
        job, name = message.get("job"), message.get("name")
        args, kwargs = message.get("args", ()), message.get("kwargs", {})
        model, models = message.get("model"), message.get("models", ())
        priority, kind = message.get("priority", 0), message.get("kind", "")
        low_memory = message.get("low_memory", {})
        if not isinstance(job, int):
            raise WireError("a submit without a job number")
        if not (
            isinstance(name, str)
            and isinstance(args, (list, tuple))
            and isinstance(kwargs, dict)
            and all(isinstance(key, str) for key in kwargs)
            and (model is None or isinstance(model, ModelChoice))
            and isinstance(models, (list, tuple))
            and all(isinstance(choice, ModelChoice) for choice in models)
            and type(priority) is int
            and isinstance(kind, str)
            and isinstance(low_memory, dict)
            and all(isinstance(key, str) for key in low_memory)
        ):
            self.send({"op": "error", "job": job, "message": "Bug: a malformed job request.", "details": "",
                       "is_bug": True, "type": "WireError"})  # fmt: skip
            return
        try:
            args, kwargs = self.images.resolve(args, kwargs)  # the images named by reference, put back
        except LookupError as error:  # dropped for the budget: the window sends the job again, images in full
            self.send({"op": "error", "job": job, "message": f"{error}.", "details": "", "is_bug": False,
                       "type": IMAGE_GONE})  # fmt: skip
            return
        request = Request(self, job, name, tuple(args), kwargs, model, tuple(models), priority, kind, low_memory)
        self.scheduler.put(request)


def _welcome(client_id: int) -> dict[str, Any]:
    return {"client": client_id, "version": __version__, "pid": os.getpid(), "host": socket.gethostname()}


def run_local_engine(host: str, port: int, token: bytes, jobs: str, shm_min_bytes: int | None) -> None:
    """A local engine's process (spawned by the window's client): connect back, then serve that one client.

    When the window goes (its connection ends) the jobs are cancelled and the process exits; if a job is stuck
    in C past ``ORPHAN_EXIT_S``, it exits anyway, so that no engine outlives its window.
    """
    runtime.configure(local=True)  # before any other thread: they all inherit its priority
    logging.basicConfig(level=logging.WARNING, format="viewer engine: %(message)s")
    _serve_window(host, port, token, jobs, shm_min_bytes, in_process=False)
    os._exit(0)  # not sys.exit: the orphan timer must not keep a finished engine alive


def run_engine_thread(host: str, port: int, token: bytes, jobs: str, shm_min_bytes: int | None) -> None:
    """``viewer gui --engine thread``: the same loop and protocol on a thread of the window's own process.

    For debugging engine code in one process and for the GUI tests (a window's start costs no interpreter and
    no torch import); it changes no process-wide setting (:mod:`viewer.engine.server.runtime` is the engine
    process's) and ends when its window says goodbye.
    """
    _serve_window(host, port, token, jobs, shm_min_bytes, in_process=True)


def _serve_window(
    host: str, port: int, token: bytes, jobs: str, shm_min_bytes: int | None, *, in_process: bool
) -> None:
    channel = Channel(connect(host, port), shm_min_bytes=shm_min_bytes)
    offer_challenge(channel, token, _welcome(1))
    with contextlib.nullcontext() if in_process else runtime.quiet_imports():
        table = load_jobs(jobs)
    scheduler = Scheduler(table)
    session = Session(channel, scheduler, 1)

    def read() -> None:
        session.serve()
        scheduler.stop()
        if not in_process:
            threading.Timer(ORPHAN_EXIT_S, os._exit, (0,)).start()

    threading.Thread(target=read, name="engine-reader", daemon=True).start()
    scheduler.run()


class TcpServer:
    """``viewer engine --listen``: any number of clients, each token-checked, sharing one job loop."""

    def __init__(self, host: str, port: int, token: bytes, jobs: str = DEFAULT_JOBS) -> None:
        self.token = token
        runtime.configure(local=False)
        with runtime.quiet_imports():
            table = load_jobs(jobs)
        self.scheduler = Scheduler(table)
        self._socket = socket.create_server((host, port))
        self.address: tuple[str, int] = self._socket.getsockname()[:2]
        self._stopping = threading.Event()

    def serve_forever(self, ready: Callable[[str, int], object] | None = None) -> None:
        """Accept clients on a thread and run the job loop on this one, until :meth:`stop`."""
        threading.Thread(target=self._accept, name="engine-accept", daemon=True).start()
        if ready is not None:
            ready(*self.address)
        self.scheduler.run()

    def stop(self) -> None:
        self._stopping.set()
        self.scheduler.stop()
        with contextlib.suppress(OSError):  # wake the blocked accept() (closing the socket does not, on Linux)
            socket.create_connection(self.address, timeout=1).close()

    def _accept(self) -> None:
        with self._socket:
            while not self._stopping.is_set():
                try:
                    sock, peer = self._socket.accept()
                except OSError:
                    continue
                if self._stopping.is_set():
                    sock.close()
                    break
                threading.Thread(
                    target=self._serve_one, args=(framed(sock), peer), name="engine-client", daemon=True
                ).start()

    def _serve_one(self, connection: Connection, peer: tuple[str, int]) -> None:
        client_id = next(_client_ids)
        channel = Channel(connection)  # arrays inline: a remote client cannot see this machine's shared memory
        try:
            offer_challenge(channel, self.token, _welcome(client_id))
        except Refused as error:
            log.warning("refused a connection from %s:%s: %s", peer[0], peer[1], error)
            return
        log.info("client %d connected from %s:%s", client_id, *peer[:2])
        reason = Session(channel, self.scheduler, client_id).serve()
        log.info("client %d left: %s", client_id, reason)
