"""Outputs made in shared memory: a job's large arrays written where the window will read them, never copied.

A capture of every layer of a ResNet-50 is 50 MB of float16 arrays. Copied into a message's segment after the
job, they cost the engine a second set of fresh pages (the kernel zeroes each one: about 30 ms for 50 MB on a
2-core machine) and a copy; made in an arena, the job's own conversion to float16 writes them into the segment
that the message then names as it is.

- The engine's loop opens :func:`arenas` around each job whose client reads this machine's shared memory; a job
  asks :func:`new_arena` for room of a size it knows (``None`` where there is no such client, no ``/dev/shm``,
  or not enough room in it: the job then makes its arrays in ordinary memory, and they cross as before).
- The encoder (:mod:`viewer.core.wire.codec`) names an array that lies in an open arena of the current job by its
  offset there, instead of copying it; that arena is then spent: the window unlinks its name as it maps it, as
  for any message's segment, and an arena's arrays sent again later (an engine cache) are copied as usual.
- An arena that no message named is unlinked when its job ends. The engine's arrays keep their mapping alive
  (the file's pages are freed once both sides have dropped theirs).

The room is reserved with ``posix_fallocate``: a full ``/dev/shm`` (a container's is 64 MB by default) refuses
the arena at once, where pages touched beyond its size would kill the engine with SIGBUS.
"""

from __future__ import annotations

import contextlib
import contextvars
import mmap
import os
import secrets
from collections.abc import Iterator
from multiprocessing import resource_tracker

import numpy as np

from viewer.core.wire.shared import ALIGN, SEGMENT_PREFIX, SHM_FOLDER

__all__ = ["Arena", "arena_slot", "arenas", "new_arena"]


class Arena:
    """``nbytes`` of one new shared-memory segment, handed out by :meth:`empty` at aligned offsets."""

    def __init__(self, nbytes: int) -> None:
        self.name = f"{SEGMENT_PREFIX}{os.getpid()}_{secrets.token_hex(8)}"
        self.size = max(int(nbytes), ALIGN)
        self.sent = False  # named by a message: the receiver unlinks it
        self._used = 0
        path = SHM_FOLDER / self.name
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            os.ftruncate(fd, self.size)
            self._mapping = mmap.mmap(fd, self.size)
        except BaseException:
            os.unlink(path)
            raise
        finally:
            os.close(fd)
        # As multiprocessing.shared_memory does: the tracker (shared with the window) unlinks it if both die.
        resource_tracker.register(f"/{self.name}", "shared_memory")
        self._start = np.frombuffer(self._mapping, np.uint8, count=1).__array_interface__["data"][0]

    def empty(self, shape: tuple[int, ...], dtype: np.dtype[np.generic] | type) -> np.ndarray | None:
        """A C-contiguous array of the arena, or None when it has no room left (or was spent)."""
        dtype = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        start = -(-self._used // ALIGN) * ALIGN
        if self.sent or start + count * dtype.itemsize > self.size:
            return None
        self._used = start + count * dtype.itemsize
        return np.frombuffer(self._mapping, dtype, count=count, offset=start).reshape(shape)

    def offset_of(self, array: np.ndarray) -> int | None:
        """Where ``array`` starts in the arena, if it is a C-contiguous array lying wholly in it."""
        if not array.flags.c_contiguous:
            return None
        offset = array.__array_interface__["data"][0] - self._start
        return offset if offset >= 0 and offset + array.nbytes <= self._used else None

    def discard(self) -> None:
        """Unlink the segment unless a message named it (the engine's arrays keep their mapping)."""
        if not self.sent:
            self.sent = True
            with contextlib.suppress(OSError):
                os.unlink(SHM_FOLDER / self.name)
            with contextlib.suppress(Exception):
                resource_tracker.unregister(f"/{self.name}", "shared_memory")


_OPEN: contextvars.ContextVar[list[Arena] | None] = contextvars.ContextVar("viewer_wire_arenas", default=None)


@contextlib.contextmanager
def arenas(enabled: bool = True) -> Iterator[None]:
    """Around one job: :func:`new_arena` works inside (when ``enabled``: its client reads this machine's shared
    memory), and the arenas no message named are unlinked on exit. A job nested inside gets its own."""
    opened: list[Arena] | None = [] if enabled and SHM_FOLDER.is_dir() else None
    token = _OPEN.set(opened)
    try:
        yield
    finally:
        _OPEN.reset(token)
        for arena in opened or ():
            arena.discard()


def new_arena(nbytes: int) -> Arena | None:
    """An arena of ``nbytes`` for the current job, or None (see the module docstring)."""
    opened = _OPEN.get()
    if opened is None or nbytes <= 0:
        return None
    try:
        arena = Arena(nbytes)
    except OSError:  # no room in /dev/shm: ordinary memory
        return None
    opened.append(arena)
    return arena


def arena_slot(array: np.ndarray) -> tuple[Arena, int] | None:
    """The open arena of the current job that ``array`` lies in, and its offset there."""
    for arena in _OPEN.get() or ():
        if not arena.sent:
            offset = arena.offset_of(array)
            if offset is not None:
                return arena, offset
    return None
