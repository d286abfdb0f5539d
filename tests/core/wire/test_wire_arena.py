"""A job's outputs made in shared memory (viewer.core.wire.arena): named by the message, not copied, and never
left behind."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from viewer.core.wire import decode, encode
from viewer.core.wire.arena import arenas, new_arena
from viewer.core.wire.shared import SHM_FOLDER

pytestmark = pytest.mark.skipif(not SHM_FOLDER.is_dir(), reason="POSIX shared memory is no folder here")


def _sections(data: bytes) -> list[dict]:
    length = struct.unpack(">I", data[4:8])[0]
    return json.loads(data[8 : 8 + length]).get("m", [])


def test_arrays_made_in_an_arena_cross_where_they_lie_beside_copied_ones() -> None:
    with arenas():
        arena = new_arena(1 << 16)
        assert arena is not None
        made = arena.empty((4, 100), np.float16)
        made[...] = np.arange(400).reshape(4, 100)
        small = arena.empty((3,), np.float32)
        small[...] = [1, 2, 3]
        copied = np.arange(5000, dtype=np.float32)  # ordinary memory: copied into the message's own segment
        encoded = encode({"made": made, "copied": copied, "small": small}, shm_min_bytes=1024, segment_min_bytes=0)
        assert arena.name in encoded.segments and len(encoded.segments) == 2
        sections = _sections(encoded.data)
        assert [section["n"] for section in sections][1] == arena.name
        assert [entry[0] for entry in sections[1]["a"]] == [0, 832]  # where they lie: 800 bytes, 64-byte aligned
        received = decode(encoded.data)
    assert np.array_equal(received["made"], made) and received["made"].dtype == np.float16
    assert np.array_equal(received["copied"], copied) and list(received["small"]) == [1, 2, 3]
    assert not (SHM_FOLDER / arena.name).exists()  # unlinked by the receiver as it mapped it
    made[0, 0] = 99  # the engine's array still works after the name is gone (its mapping lives on)
    assert made[0, 0] == 99


def test_a_spent_arena_is_copied_the_next_time_and_an_unsent_one_is_unlinked() -> None:
    with arenas():
        arena = new_arena(4096)
        assert arena is not None
        kept = arena.empty((256,), np.float32)
        kept[...] = 7
        decode(encode([kept], shm_min_bytes=1 << 20).data)
        again = encode([kept], shm_min_bytes=1 << 20)  # spent: its name is gone, so the array goes inline
        assert arena.name not in again.segments and _sections(again.data) == []
        assert np.array_equal(decode(again.data)[0], kept)
        unsent = new_arena(4096)
        assert unsent is not None and (SHM_FOLDER / unsent.name).exists()
    assert not (SHM_FOLDER / unsent.name).exists()  # its job ended and no message named it


def test_no_arena_outside_a_job_or_for_a_client_without_shared_memory() -> None:
    assert new_arena(4096) is None
    with arenas(enabled=False):
        assert new_arena(4096) is None
    with arenas():
        arena = new_arena(64)
        assert arena is not None
        assert arena.empty((1000,), np.float64) is None  # no room: the job makes it in ordinary memory
