"""The wire codec: what crosses between the window and the engine round-trips, and nothing else is accepted."""

from __future__ import annotations

import enum
import functools
import json
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from viewer.core.network.choice import ModelChoice
from viewer.core.progress import Progress
from viewer.core.wire import WireError, allow, decode, encode
from viewer.core.wire.codec import MAGIC
from viewer.core.wire.shared import ALIGN, SEGMENT_PREFIX


@allow
class Colour(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


@allow
@dataclass(frozen=True)
class Inner:
    name: str
    values: np.ndarray
    colour: Colour = Colour.RED


@allow
@dataclass
class Outer:
    inners: list[Inner]
    by_index: dict[int, Inner]
    shape: tuple[int, int]
    path: Path
    progress: Progress
    choice: ModelChoice
    raw: bytes = b""
    tags: frozenset[str] = frozenset()
    later: int = field(default=0, init=False)

    @functools.cached_property
    def total(self) -> float:
        return float(sum(inner.values.sum() for inner in self.inners))


@dataclass
class NotAllowed:
    x: int


def _outer() -> Outer:
    inners = [Inner("a", np.arange(12, dtype=np.float32).reshape(3, 4)), Inner("b", np.eye(2), Colour.BLUE)]
    outer = Outer(
        inners,
        {7: inners[1]},
        (3, 4),
        Path("/tmp/x.png"),
        Progress(1, 3, "step"),
        ModelChoice("mobilenet_v2", device="cpu"),
        b"\x00\x01",
        frozenset({"x"}),
    )
    outer.later = 5
    _ = outer.total  # made: it travels with the object
    return outer


def _forge(value: object, buffers: bytes = b"", offsets: list[list[int]] | None = None) -> bytes:
    header = json.dumps({"v": value, "b": offsets or []}).encode()
    return struct.pack(">4sI", MAGIC, len(header)) + header + buffers


def _forge_shared(section: object) -> bytes:
    """A message whose one array lies in the shared-memory segment that ``section`` describes."""
    header = json.dumps({"v": {"$t": "array", "m": 0}, "b": [], "m": [section]}).encode()
    return struct.pack(">4sI", MAGIC, len(header)) + header


def _assert_same(a: Outer, b: Outer) -> None:
    assert type(b) is Outer
    assert b.shape == a.shape and b.path == a.path and b.progress == a.progress and b.choice == a.choice
    assert b.raw == a.raw and b.tags == a.tags and b.later == 5 and b.__dict__["total"] == a.total
    for x, y in zip(a.inners, b.inners, strict=True):
        assert (y.name, y.colour) == (x.name, x.colour) and y.colour is x.colour
        assert y.values.dtype == x.values.dtype and np.array_equal(y.values, x.values)
        assert y.values.flags.writeable
    assert b.by_index[7] is b.inners[1]  # one object met twice arrives as one object


def test_nested_dataclasses_with_arrays_round_trip() -> None:
    _assert_same(_outer(), decode(encode({"op": "result", "value": _outer()}).data)["value"])


def test_large_arrays_go_through_shared_memory_and_are_unlinked() -> None:
    encoded = encode(_outer(), shm_min_bytes=32, segment_min_bytes=0)
    assert len(encoded.segments) == 1  # one segment for the message, whatever number of arrays
    header = json.loads(encoded.data[8 : 8 + struct.unpack(">I", encoded.data[4:8])[0]])
    assert len(header["m"][0]["a"]) == 2  # two large arrays; inners[1], met twice, crosses once
    assert all(offset % ALIGN == 0 for offset, _dtype, _shape in header["m"][0]["a"])
    _assert_same(_outer(), decode(encoded.data))
    if sys.platform == "linux":
        assert not [p for p in Path("/dev/shm").glob(f"{SEGMENT_PREFIX}*") if p.name in encoded.segments]
    with pytest.raises(WireError, match="gone"):
        decode(encoded.data)  # consumed once


def test_arrays_adding_up_to_less_than_a_segments_worth_go_inline() -> None:
    # A segment costs about a millisecond each way: a thumbnail's message is not worth one.
    sent = [np.ones(300_000, np.uint8), np.ones(300_000, np.uint8)]  # each over shm_min_bytes, 600 kB together
    inline = encode(sent, shm_min_bytes=1024)
    assert inline.segments == []
    assert all(np.array_equal(a, b) for a, b in zip(decode(inline.data), sent, strict=True))
    shared = encode([*sent, np.ones(500_000, np.uint8)], shm_min_bytes=1024)  # 1.1 MB: one segment
    assert len(shared.segments) == 1 and len(shared.data) < 10_000
    assert [len(a) for a in decode(shared.data)] == [300_000, 300_000, 500_000]


@pytest.mark.parametrize("mapped", [True, False], ids=["mapped", "copied"])
def test_shared_arrays_arrive_whole_and_writable_mapped_or_copied(mapped: bool, monkeypatch, tmp_path) -> None:
    from viewer.core.wire import shared

    if not mapped:  # as where POSIX shared memory is no folder of files (macOS, Windows)
        monkeypatch.setattr(shared, "SHM_FOLDER", tmp_path / "no-such-folder")
    elif not shared.SHM_FOLDER.is_dir():
        pytest.skip("POSIX shared memory is no folder here")
    sent = [np.arange(1000, dtype=np.float16).reshape(10, 100), np.ones((3, 5), np.int64), np.arange(7.0)]
    received = decode(encode(sent, shm_min_bytes=1, segment_min_bytes=0).data)
    for array, back in zip(sent, received, strict=True):
        assert back.dtype == array.dtype and np.array_equal(back, array) and back.flags.writeable
    received[1][0, 0] = 7  # its own memory: nothing else sees it
    assert received[2][0] == 0


def test_an_offset_past_the_segment_is_refused_and_the_segment_still_unlinked() -> None:
    encoded = encode(np.arange(64, dtype=np.float32), shm_min_bytes=32, segment_min_bytes=0)
    length = struct.unpack(">I", encoded.data[4:8])[0]
    header = json.loads(encoded.data[8 : 8 + length])
    header["m"][0]["a"][0][0] = 1 << 20  # forged: past the segment's end
    forged = json.dumps(header).encode()
    with pytest.raises(WireError, match="holds"):
        decode(struct.pack(">4sI", MAGIC, len(forged)) + forged)
    with pytest.raises(WireError, match="gone"):
        decode(encoded.data)  # unlinked all the same


def test_an_array_or_instance_met_twice_arrives_as_one() -> None:
    values = np.arange(6.0)
    first, second = Inner("a", values), Inner("b", values)
    decoded = decode(encode([first, second, first]).data)
    assert decoded[0] is decoded[2] and decoded[0].values is decoded[1].values
    equal_not_same = decode(encode([np.zeros(2), np.zeros(2)]).data)
    assert equal_not_same[0] is not equal_not_same[1]  # equal values stay two objects


def test_plain_values_round_trip() -> None:
    value = [None, True, 3, 2.5, "é", {"k": (1, [2])}, np.float32(1.5), np.int64(7), np.complex64(1 + 2j), set()]
    assert decode(encode(value).data) == value
    strided = np.arange(20).reshape(4, 5)[:, ::2].astype(">i4")  # not contiguous, not native order
    assert np.array_equal(decode(encode(strided).data), strided)


@pytest.mark.parametrize(
    "value",
    [NotAllowed(1), object(), np.array(["a"]), np.array([object()]), lambda: 0, 1 + 2j],
    ids=["dataclass", "object", "str-array", "object-array", "function", "complex"],
)
def test_what_is_not_allowed_cannot_be_sent(value: object) -> None:
    with pytest.raises(WireError):
        encode(value)


@pytest.mark.parametrize(
    "name",
    [
        "os:system",
        "subprocess:Popen",
        "builtins:eval",
        "viewer.engine.inference:Prediction",
        "tests_wire_evil_module:X",
        "viewer.core.progress:run_job",  # in the core, but a function
        "viewer.core.progress:Job",  # in the core, but not a dataclass
        "viewer.core.nothing_here:X",
        "viewer.core.progress:<locals>.X",
        f"{__name__}:NotAllowed",  # a dataclass, but neither core nor registered
    ],
)
def test_a_forged_class_is_refused(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    imported: list[str] = []
    import importlib

    real_import = importlib.import_module
    monkeypatch.setattr(importlib, "import_module", lambda n, *a: imported.append(n) or real_import(n, *a))
    for node in (
        {"$t": "object", "c": name, "f": {"x": 1}},
        {"$t": "enum", "c": name, "v": 1},
    ):
        with pytest.raises(WireError):
            decode(_forge(node))
    assert all(n.startswith("viewer.core") for n in imported)
    assert "tests_wire_evil_module" not in sys.modules


@pytest.mark.parametrize("dtype", ["|O", "<U3", "|S4", "|V8", "<M8[s]", "object", 5])
def test_a_forged_dtype_is_refused(dtype: object) -> None:
    with pytest.raises(WireError, match="dtype"):
        decode(_forge({"$t": "array", "d": dtype, "s": [1], "b": 0}, b"\x00" * 8, [[0, 8]]))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage that is no message",
        b'VWR1\x00\x00\x00\x09{"v":1}',  # shorter than the header says
        _forge({"$t": "bytes", "b": 3}),  # no such buffer
        _forge({"$t": "bytes", "b": 0}, b"ab", [[0, 5]]),  # past the end
        _forge({"$t": "array", "d": "<f4", "s": [3], "b": 0}, b"\x00" * 8, [[0, 8]]),  # does not fit
        _forge({"$t": "array", "d": "<f4", "s": [-1], "b": 0}),
        _forge_shared({"n": "/../etc/passwd", "a": [[0, "<f4", [4]]]}),
        _forge_shared({"n": "psm_someone_elses", "a": [[0, "<f4", [4]]]}),
        _forge_shared({"n": f"{SEGMENT_PREFIX}1_0123456789abcdef", "a": [[0, "|O", [4]]]}),  # a forged dtype
        _forge_shared({"n": f"{SEGMENT_PREFIX}1_0123456789abcdef", "a": "all"}),
        _forge({"$t": "array", "m": 0}).replace(b'"b":[]', b'"b":[],"m":{"n":"x","a":[]}'),  # not a list
        _forge({"$t": "array", "m": 0}).replace(b'"b":[]', b'"b":[],"m":[]'),  # an empty list
        _forge({"$t": "array", "m": 0}),  # no segment sent
        _forge({"$t": "nope"}),
        _forge({"plain": "dict"}),
        _forge({"$t": "dict", "v": [[[1], 2]]}),  # unhashable key
        _forge({"$t": "dict", "v": [1]}),
        _forge({"$t": "path", "v": 3}),
        _forge({"$t": "object", "c": "viewer.core.progress:Progress", "f": {"step": 1}}),  # fields missing
        _forge(  # a property, not a cached one
            {
                "$t": "object",
                "c": "viewer.core.progress:Progress",
                "f": {"step": 1, "total": 1, "message": ""},
                "p": {"fraction": 1},
            }
        ),
        _forge({"$t": "enum", "c": f"{__name__}:Colour", "v": "green"}),
        _forge({"$t": "ref", "r": 0}),  # a reference to nothing sent before it
        _forge([{"$t": "array", "d": "<f4", "s": [0], "b": 0}, {"$t": "ref", "r": 1}], b"", [[0, 0]]),
        _forge(json.loads("[" * 200 + "]" * 200)),
    ],
)
def test_malformed_input_raises_one_clear_error(data: bytes) -> None:
    with pytest.raises(WireError):
        decode(data)


def test_framed_connections_send_without_nagles_delay() -> None:
    # A message over 16 KiB is written as its length and then its body: with Nagle's algorithm the body waited
    # for the peer's delayed acknowledgement of the length (40 ms). Both ends of every channel turn it off.
    import os
    import socket

    from viewer.core.wire.channel import connect, framed

    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = connect(*listener.getsockname()[:2])
        accepted, _peer = listener.accept()
        server = framed(accepted)
    try:
        for connection in (client, server):
            sock = socket.socket(fileno=os.dup(connection.fileno()))
            try:
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            finally:
                sock.close()
        client.send_bytes(b"x" * 20_000)
        assert len(server.recv_bytes()) == 20_000
    finally:
        client.close()
        server.close()
