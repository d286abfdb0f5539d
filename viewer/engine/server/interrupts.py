"""A cancelled job stops inside its forward pass, at the next module's call, not only at its next step.

A job's steps are as long as its work allows: a batch of occlusion patches (sized to about 50 ms, longer on a
busy machine), one scale of a dense heatmap over a large image (seconds on a CPU), a graph's trace, one network
of a comparison. The window withdraws a job the moment its input is no longer shown, and the model the user
picked instead waited for the rest of that step. While a job of the loop runs, a global forward pre-hook
(``torch.nn.modules.module.register_module_forward_pre_hook``) looks at the innermost running request's
``cancelled`` flag before each module is called, and raises :class:`Interrupted` if it is set: the wait is one
module's forward, not one step's.

- It is a ``BaseException``: job code says ``except Exception`` where a fallback is legitimate (a network that
  cannot be convolutionized, a trace that needs real values), and a cancellation must never look like a failure
  there.
- It acts on the loop's thread only (the in-process engine shares its process with the window's tests) and on
  the innermost request (a job nested between two steps of a cancelled one runs on; the outer one stops at its
  next module after).
- It is registered while a job runs and removed after, so a process holding no job has no global hook; its
  cost while registered is a flag check per module call (mobilenet_v2, 213 modules: within the noise of a
  38 ms forward on this 2-core machine).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any, Protocol

__all__ = ["Interrupted", "Interrupts"]


class Interrupted(BaseException):
    """Raised inside a cancelled job's forward pass (a ``BaseException``: see the module docstring)."""


class _Cancellable(Protocol):
    cancelled: threading.Event


class Interrupts:
    """The loop's running requests, innermost last, and the hook that stops the innermost once cancelled."""

    def __init__(self) -> None:
        self._running: list[_Cancellable] = []
        self._thread: int | None = None
        self._handle: Any = None  # torch.utils.hooks.RemovableHandle while a job runs

    @contextlib.contextmanager
    def watching(self, request: _Cancellable) -> Iterator[None]:
        """Within: ``request``'s forward passes stop at a module's call once it is cancelled."""
        if not self._running:
            self._install()
        self._running.append(request)
        try:
            yield
        finally:
            self._running.pop()
            if not self._running:
                self._uninstall()

    def _install(self) -> None:
        torch = sys.modules.get("torch")
        if torch is None:  # never imported for this: a job that needs torch imports it, and its next job is watched
            return
        self._thread = threading.get_ident()
        self._handle = torch.nn.modules.module.register_module_forward_pre_hook(self._check)

    def _uninstall(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _check(self, _module: object, _args: object) -> None:
        if threading.get_ident() != self._thread or not self._running:
            return
        if self._running[-1].cancelled.is_set():
            raise Interrupted
