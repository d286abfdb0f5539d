"""The engine process's own runtime settings, applied once as it starts (:func:`configure`, :func:`quiet_imports`).

When the engine was a worker thread of the window's process, that process had six process-wide tweaks. Each is
kept here only if its reason holds in a process that runs jobs and shows nothing; none is left in the window's:

- **Lower CPU priority** (the worker's niceness +10): *kept, for a local engine.* The window and its engine still
  share the machine's cores, and on a 2-core machine the engine's torch threads would keep the GUI thread waiting
  for a core while it repaints (measured on the 2-core VM with the worker: at +5 the GUI thread still waited 1.6 s
  for a core over the 200-switch soak, at +10 0.6 s). It is set before any other thread of the engine exists, so
  every one (the reader, torch's OpenMP team) inherits it (on Linux the priority is per thread). Not for ``viewer
  engine --listen``: on its own server no window waits for a core. In the window's process nothing is niced.
- **Collector off while torch is imported, then frozen** (:func:`quiet_imports`): *kept, done at the engine's
  start.* Importing torch creates millions of long-lived objects that each full collection would walk again (up to
  200 ms holding the GIL); here such a pause stalls the job loop and delays every cancel. The engine imports torch
  as it starts, while the window is being shown, rather than in its first job. The window's caveat (a closed
  window's objects frozen out of the collector's sight, which made a closed window collect by hand) has no
  counterpart: the engine holds no windows, and models built later are never frozen. The window's process
  neither disables nor freezes its collector.
- **GIL switch interval of 0.05 ms**: *dropped.* It shortened the GUI thread's wait for the GIL that the
  in-process worker held. No GUI thread shares this interpreter: the job loop's only company is the session
  readers, which block on their sockets and need the GIL just to decode a message; at the default 5 ms a cancel
  waits one interval at most, while 0.05 ms would make the job loop hand the GIL over a hundred times more often
  for nothing. The window's process keeps the default interval too: its only other thread, the engine client's
  link, decodes a message now and then.
- **The repaint gate** (the worker waited before each job until the GUI thread had shown the last result):
  *dropped.* It existed because the worker's Python held the GIL that the repaint needed.
- **Patched ``nn.Module.register_parameter`` / ``register_buffer``** (``viewer.engine.models.meta``) and **the swapped
  torchvision weights loader** (``viewer.engine.models.weights``): *nothing to apply.* Both are scoped context managers
  inside the engine's own code, so they already run in this process with the jobs, one job at a time on the job
  loop's thread; the other threads here (the readers) never build a module or load weights.

One setting is the engine's own: **tqdm's lock is a thread lock** (:func:`configure`). torch.fx's ``Interpreter``
makes a (disabled) tqdm bar at every run, and tqdm's first bar makes a ``multiprocessing`` lock: a semaphore
registered with the resource tracker that the window's process shares, which warned of it as "leaked" at every
exit of the app. Bars are only ever made on the job loop's thread here.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import threading
from collections.abc import Iterator

__all__ = ["ENGINE_NICENESS", "configure", "quiet_imports"]

# The GUI thread's CFS weight 1024 against the engine's 110 (see the docstring).
ENGINE_NICENESS = 10


def configure(*, local: bool) -> None:
    """The engine's process-wide settings; call first thing in the engine's main thread (see the docstring)."""
    if local:
        _lower_priority()
    _thread_lock_for_tqdm()


def _thread_lock_for_tqdm() -> None:
    with contextlib.suppress(ImportError):  # tqdm is torch's dependency, imported by torch.fx when it runs
        import tqdm  # type: ignore[import-untyped]

        tqdm.tqdm.set_lock(threading.RLock())


def _lower_priority() -> None:
    nice = getattr(os, "nice", None)  # none on Windows
    if nice is None:
        return
    with contextlib.suppress(OSError):  # not allowed here (a sandbox): run at normal priority
        nice(ENGINE_NICENESS)


# What the engine imports before it serves (torch's import is most of an engine's start).
PRELOADED = ("torch", "torchvision", "viewer.engine.models.registry", "viewer.engine.models.weights")


@contextlib.contextmanager
def quiet_imports(preload: tuple[str, ...] = PRELOADED) -> Iterator[None]:
    """Import ``preload`` and what the block imports with the collector off, then freeze it all out of later
    collections (``gc.freeze``: module-level objects live as long as the process). Once per process."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for name in preload:
            importlib.import_module(name)
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.freeze()
