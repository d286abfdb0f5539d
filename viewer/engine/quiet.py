"""Torch's own log lines silenced while the engine asks a question whose failure is its answer.

The engine runs networks on fake tensors (``FakeTensorMode``) to learn shapes without computing anything: does
this network take a non-square input, which is its last spatial stage, how large is its class map at this size.
A network that refuses the input raises there, and the caller turns that into the answer ("needs 28×28", "the
smallest image it takes is 223×223") or into one sentence for the user. Before raising, torch logs the failure
with its whole traceback at ERROR level on ``torch._subclasses.fake_tensor`` (about twenty ``E…`` lines on the
terminal ahead of the app's sentence, or a GUI's console filling up). :func:`quiet_torch_logs` drops the records
of those loggers, in the calling thread only and only while its block runs: a failure elsewhere, or in another
thread, is still logged, and stderr itself is never redirected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["QUIET_LOGGERS", "quiet_torch_logs"]

QUIET_LOGGERS = (
    # "failed while attempting to run meta for …" and "fake tensor raised TypeError", each with its traceback. The
    # fake modes here have no symbolic shapes, so torch.fx.experimental.symbolic_shapes has nothing to say.
    "torch._subclasses.fake_tensor",
)
"""The loggers that speak during a fake-tensor run: their records are what the caller's answer replaces."""

_state = threading.local()  # how deep the calling thread is in quiet blocks (a worker thread has its own)
_install_lock = threading.Lock()
_installed = False


class _WhileQuiet(logging.Filter):
    """Drops every record emitted by a thread that is inside a :func:`quiet_torch_logs` block."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_state, "depth", 0)


_FILTER = _WhileQuiet()


def _install() -> None:
    """Attach the filter once (a logger filter sees only its own logger's records, hence one per name)."""
    global _installed
    with _install_lock:
        if not _installed:
            for name in QUIET_LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
            _installed = True


@contextmanager
def quiet_torch_logs() -> Iterator[None]:
    """Within the block, this thread's records on :data:`QUIET_LOGGERS` are dropped; blocks nest."""
    _install()
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
