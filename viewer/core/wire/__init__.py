"""What crosses between the window and the engine: messages, their encoding, and the connection that carries them.

Torch-free and Qt-free, so both processes use the same code: :mod:`codec` (the format, JSON header + raw array
buffers, never pickle, and its encoder), :mod:`decoding` (its reader), :mod:`allowed` (which classes a message may
name), :mod:`shared` (large arrays through shared memory to a local engine), :mod:`arena` (a job's large outputs
made in shared memory) and :mod:`channel` (framed messages over a socket, with the token's challenge).
"""

from __future__ import annotations

from viewer.core.wire.allowed import allow, is_allowed
from viewer.core.wire.codec import DTYPES, Encoded, WireError, encode
from viewer.core.wire.decoding import decode

__all__ = ["DTYPES", "Encoded", "WireError", "allow", "decode", "encode", "is_allowed"]
