"""Large arrays between the window and a local engine: through ``multiprocessing.shared_memory``, not the pipe.

The sender copies the array into a new segment and sends its name; the receiver copies it out, closes and
unlinks it at once, so a segment lives only while its message is in flight. If a side dies with a message in
flight, the segment stays registered with the resource tracker, which a spawned engine shares with the window's
process (``multiprocessing`` hands the tracker to spawned children), and the tracker unlinks what is left when
the last of them exits: nothing outlives the session. The receiver only ever opens names of this module's form,
so a forged message cannot make it open, or unlink, another program's segment.
"""

from __future__ import annotations

import os
import re
import secrets
from multiprocessing import shared_memory

import numpy as np

__all__ = ["SEGMENT_PREFIX", "discard", "put", "take"]

SEGMENT_PREFIX = "vwire_"
_SEGMENT = re.compile(rf"^{SEGMENT_PREFIX}\d+_[0-9a-f]{{16}}$")


def put(array: np.ndarray) -> str:
    """Copy ``array`` (C-contiguous, not empty) into a new segment; its name."""
    name = f"{SEGMENT_PREFIX}{os.getpid()}_{secrets.token_hex(8)}"
    segment = shared_memory.SharedMemory(name=name, create=True, size=array.nbytes)
    try:
        np.ndarray(array.shape, array.dtype, buffer=segment.buf)[...] = array
    except BaseException:
        segment.close()
        segment.unlink()
        raise
    segment.close()
    return name


def take(name: str, dtype: np.dtype[np.generic], shape: tuple[int, ...]) -> np.ndarray:
    """The array in segment ``name``, copied out; the segment is unlinked. ``ValueError`` if it cannot be."""
    if not isinstance(name, str) or not _SEGMENT.match(name):
        raise ValueError(f"{name!r} is not a segment name of the wire")
    try:
        segment = shared_memory.SharedMemory(name=name)
    except OSError as error:
        raise ValueError(f"shared-memory segment {name} is gone ({error.strerror or error})") from None
    try:
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes > segment.size:
            raise ValueError(f"shared-memory segment {name} holds {segment.size} bytes, not {nbytes}")
        view = np.ndarray(shape, dtype, buffer=segment.buf)
        array = view.copy()
        del view  # the segment's buffer cannot be closed while a view of it is alive
    finally:
        segment.close()
        segment.unlink()
    return array


def discard(names: list[str]) -> None:
    """Unlink segments whose message was never sent (the connection broke)."""
    for name in names:
        try:
            segment = shared_memory.SharedMemory(name=name)
        except OSError:
            continue
        segment.close()
        segment.unlink()
