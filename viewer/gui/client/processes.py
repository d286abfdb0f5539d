"""The local engine's process as the client sees it: whether it has ended, why, and how to stop it for good."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import signal
import time

__all__ = ["has_ended", "stop_process", "why_it_ended"]


def why_it_ended(process: multiprocessing.process.BaseProcess) -> str:
    """Why ``process`` ended, as the window's notice says it ("it was killed by SIGKILL")."""
    process.join(1.0)  # the connection can end a moment before the exit status is known
    code = process.exitcode
    if code is None:
        return "the connection to it closed"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"it was killed by {signal.Signals(-code).name}"
        return f"it was killed by signal {-code}"
    return f"it exited with status {code}"


def stop_process(process: multiprocessing.process.BaseProcess, deadline: float) -> bool:
    """Wait for ``process`` to end on its own, then terminate it, then kill it; True once it is gone."""
    for stop, share in ((None, 0.4), (process.terminate, 0.5), (process.kill, 1.0)):
        if stop is not None:
            stop()
        process.join(max(0.1, (deadline - time.monotonic()) * share))
        if has_ended(process):
            return True
    return False


def has_ended(process: multiprocessing.process.BaseProcess) -> bool:
    """Whether ``process`` has ended. Its exit status may have been collected by this client's other thread (the
    death watch joins it too, and of two threads waiting for one child only one gets its status: the other's
    ``is_alive()`` then stays True for a process that is gone); its sentinel, a pipe that the child's exit
    closes, says so either way."""
    return not process.is_alive() or bool(multiprocessing.connection.wait([process.sentinel], 0))
