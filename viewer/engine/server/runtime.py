"""The engine process's own runtime settings, applied once as it starts (:func:`configure`, :func:`quiet_imports`).

The window's process has four process-wide tweaks today; each is kept here only if its reason holds in a process
that runs jobs and shows nothing:

- **Lower CPU priority** (``viewer.gui.jobs.WORKER_NICENESS``): *kept, for a local engine.* The window and its
  engine still share the machine's cores, and on a 2-core machine the engine's torch threads would keep the GUI
  thread waiting for a core while it repaints, exactly as the in-process worker did. It is set before any other
  thread of the engine exists, so every one (the reader, torch's OpenMP team) inherits it (on Linux the
  priority is per thread). Not for ``viewer engine --listen``: on its own server no window waits for a core.
- **Collector frozen after torch's import** (``viewer.engine.jobs.session.quiet_imports``, the one the first job uses
  too, so the freeze happens once): *kept.* Importing torch creates millions of long-lived objects that each full
  collection would walk again (up to 200 ms holding the GIL); here such a pause stalls the job loop and delays every
  cancel, no longer a repaint, and is still worth avoiding. The window's caveat (a closed window's objects frozen out
  of the collector's sight) has no counterpart: the engine holds no windows, and models built later are never frozen.
- **GIL switch interval of 0.05 ms** (``viewer.gui.app.GIL_SWITCH_INTERVAL_S``): *dropped.* It shortened the GUI
  thread's wait for the GIL that the in-process worker held. No GUI thread shares this interpreter: the job loop's
  only company is the session readers, which block on their sockets and need the GIL just to decode a message;
  at the default 5 ms a cancel waits one interval at most, while 0.05 ms would make the job loop hand the GIL
  over a hundred times more often for nothing.
- **Patched ``nn.Module.register_parameter`` / ``register_buffer``** (``viewer.engine.meta``) and **the swapped
  torchvision weights loader** (``viewer.engine.weights``): *nothing to apply.* Both are scoped context managers
  inside the engine's own code, so they already run in this process with the jobs, one job at a time on the job
  loop's thread; the other threads here (the readers) never build a module or load weights, so the swaps are
  safer here than in the window's process.
"""

from __future__ import annotations

import contextlib
import os

from viewer.engine.jobs.session import quiet_imports

__all__ = ["ENGINE_NICENESS", "configure", "quiet_imports"]

# The window's worker's niceness (``viewer.gui.jobs.WORKER_NICENESS``, measured there on the 2-core VM): the GUI
# thread's CFS weight 1024 against the engine's 110.
ENGINE_NICENESS = 10


def configure(*, local: bool) -> None:
    """The engine's process-wide settings; call first thing in the engine's main thread (see the docstring)."""
    if local:
        _lower_priority()


def _lower_priority() -> None:
    nice = getattr(os, "nice", None)  # none on Windows
    if nice is None:
        return
    with contextlib.suppress(OSError):  # not allowed here (a sandbox): run at normal priority
        nice(ENGINE_NICENESS)
