"""The wire format: one message is a JSON header describing the value, then the raw buffers of its arrays.

Why plain framing and not a restricted unpickler: an unpickler that refuses unknown globals still runs pickle's
opcode machine (``__reduce__`` results, ``__setstate__``, ``REDUCE`` of any allowed callable) on bytes a network
peer chose, and every allowed class widens what those bytes can call. Here decoding only parses JSON, checks
every tag, and builds values of a closed set of kinds: JSON scalars, lists, tuples, sets, dicts, bytes, paths,
numpy arrays of an allowed numeric dtype, and the dataclasses and enums that :mod:`viewer.core.wire.allowed`
allows. Nothing in a message is ever called, and no class outside that set is ever instantiated.

Layout: ``MAGIC``, the header's length (4 bytes, big-endian), the header (UTF-8 JSON ``{"v": value, "b":
[[offset, length], ...]}``), then the buffers the header's arrays and bytes refer to by index. Containers other
than lists are tagged objects (``{"$t": "dict", "v": [[key, value], ...]}``), so no user dict can be mistaken
for a tag. Arrays of at least ``shm_min_bytes`` go through one shared-memory segment instead (a local engine
only), and arrays its job made in an arena (:mod:`viewer.core.wire.arena`) are named where they lie: the
header's ``"m"`` is a list of sections ``{"n": segment, "a": [[offset, dtype, shape], ...]}`` and such an
array's node is ``{"$t": "array", "m": index}``, its index among the sections' arrays in order. An array or
dataclass instance met again in the same message is sent as a reference (``{"$t": "ref", "r": n}``, the n-th array
or instance in the order of the tree): it arrives as one object, as it was sent (a capture's mosaic is of the very
activation beside it, compared by identity, and its arrays cross once).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import struct
from pathlib import PurePath
from typing import Any

import numpy as np

from viewer.core.wire import arena, shared
from viewer.core.wire.allowed import class_name, is_allowed

__all__ = ["DTYPES", "DTYPE_OF", "MAGIC", "MAX_DEPTH", "MAX_SEGMENTS", "PREFIX", "Encoded", "WireError", "encode"]

MAGIC = b"VWR1"
PREFIX = struct.Struct(">4sI")
MAX_DEPTH = 64  # a forged header nested deeper is refused rather than exhausting the stack
# A segment costs about a millisecond each way (create, map, register, unlink) on a 2-core machine: the arrays
# of a message go through one only when they add up to this much (a capture's, a dense map's, not a thumbnail's).
SEGMENT_MIN_BYTES = 1 << 20
MAX_SEGMENTS = 16  # shared-memory segments one message may name: its own, and the arenas its job made
DTYPES = frozenset(
    np.dtype(name).str
    for name in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    )
)
"""The array dtypes a message may carry, in this machine's byte order: numbers only (no objects, no strings)."""


class WireError(ValueError):
    """A value that cannot be sent, or a message that cannot be read (malformed, or naming what is not allowed)."""


@dataclasses.dataclass
class Encoded:
    """A message's bytes, and the shared-memory segments it refers to (to discard if it is never sent)."""

    data: bytes
    segments: list[str]


class _Writer:
    def __init__(self, shm_min_bytes: int | None, segment_min_bytes: int) -> None:
        self.shm_min_bytes = shm_min_bytes
        self.segment_min_bytes = segment_min_bytes
        self.buffers: list[bytes | memoryview] = []
        self.shared_arrays: list[tuple[dict[str, Any], np.ndarray]] = []  # node and array, for the message's segment
        self.in_arenas: list[tuple[dict[str, Any], np.ndarray, arena.Arena, int]] = []  # node, array, where
        self.numbers: dict[int, int] = {}  # id of an array or instance already sent -> its number (a ref's ``r``)
        self.kept: list[object] = []  # those values, alive until the message is made: their ids are never reused

    def shared(self, value: object) -> dict[str, Any] | None:
        """A reference to ``value`` if it was sent already in this message; else it gets the next number."""
        number = self.numbers.get(id(value))
        if number is not None:
            return {"$t": "ref", "r": number}
        self.numbers[id(value)] = len(self.numbers)
        self.kept.append(value)
        return None

    def buffer(self, data: bytes | memoryview) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def value(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError(f"a value nested more than {MAX_DEPTH} deep cannot be sent")
        if type(value) is np.ndarray:  # first: a capture's message holds a thousand of them
            return self.shared(value) or self.array(value)
        if isinstance(value, enum.Enum):  # before int and str: an IntEnum or str enum is still an enum
            return {"$t": "enum", "c": self.allowed(type(value)), "v": self.value(value.value, depth + 1)}
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, np.generic):  # before float: np.float64 is a float
            item = value.item()
            item = [item.real, item.imag] if isinstance(item, complex) else item
            return {"$t": "scalar", "d": _dtype_name(value.dtype), "v": item}
        if isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, list):
            return [self.value(item, depth + 1) for item in value]
        if isinstance(value, (tuple, set, frozenset)):
            tag = {tuple: "tuple", set: "set", frozenset: "frozenset"}[type(value)]
            return {"$t": tag, "v": [self.value(item, depth + 1) for item in value]}
        if isinstance(value, dict):
            items = [[self.value(k, depth + 1), self.value(v, depth + 1)] for k, v in value.items()]
            return {"$t": "dict", "v": items}
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {"$t": "bytes", "b": self.buffer(memoryview(value).cast("B"))}
        if isinstance(value, PurePath):
            return {"$t": "path", "v": str(value)}
        if isinstance(value, np.ndarray):
            return self.shared(value) or self.array(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.shared(value) or self.dataclass(value, depth)
        raise WireError(f"a {type(value).__qualname__} cannot be sent to or from the engine")

    def allowed(self, cls: type) -> str:
        if not is_allowed(cls):
            raise WireError(f"{class_name(cls)} is not allowed on the wire (only viewer.core's types are)")
        return class_name(cls)

    def array(self, array: np.ndarray) -> dict[str, Any]:
        dtype = _dtype_name(array.dtype)
        array = array.astype(DTYPE_OF[dtype], order="C", copy=False)  # not ascontiguousarray: it makes 0-d 1-d
        if self.shm_min_bytes is not None:
            slot = arena.arena_slot(array)  # made where the receiver will read it: named, not copied
            if slot is not None:
                node: dict[str, Any] = {"$t": "array", "m": -1}  # numbered once the message's sections are known
                self.in_arenas.append((node, array, *slot))
                return node
            if array.nbytes >= max(1, self.shm_min_bytes):
                shared_node: dict[str, Any] = {"$t": "array", "m": len(self.shared_arrays)}
                self.shared_arrays.append((shared_node, array))
                return shared_node
        return self.inline(array)

    def inline(self, array: np.ndarray) -> dict[str, Any]:
        header: dict[str, Any] = {"$t": "array", "d": _dtype_name(array.dtype), "s": list(array.shape)}
        header["b"] = self.buffer(array.reshape(-1).view(np.uint8).data if array.size else b"")
        return header

    def dataclass(self, value: Any, depth: int) -> dict[str, Any]:
        cls = type(value)
        fields = {f.name: self.value(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)}
        header = {"$t": "object", "c": self.allowed(cls), "f": fields}
        # cached_property values already made (a prediction's ``seen`` image): the receiver may lack what made them
        made = {
            name: self.value(item, depth + 1)
            for name, item in getattr(value, "__dict__", {}).items()
            if isinstance(getattr(cls, name, None), functools.cached_property)
        }
        if made:
            header["p"] = made
        return header


# The allowed dtypes by name, made once: a capture's message holds a thousand small arrays (each layer's channel
# statistics), and their per-array Python cost was most of its decoding.
DTYPE_OF: dict[str, np.dtype[Any]] = {name: np.dtype(name) for name in DTYPES}


def _dtype_name(dtype: np.dtype[Any]) -> str:
    native = dtype.str if dtype.byteorder in ("=", "|") else dtype.newbyteorder("=").str
    if native not in DTYPES:
        raise WireError(f"arrays of dtype {dtype} cannot be sent (numbers and booleans only)")
    return native


def encode(value: Any, *, shm_min_bytes: int | None = None, segment_min_bytes: int = SEGMENT_MIN_BYTES) -> Encoded:
    """``value`` as one message; arrays of ``shm_min_bytes`` or more go through shared memory (None: never) when
    they add up to ``segment_min_bytes``, and arrays made in an arena always do."""
    writer = _Writer(shm_min_bytes, segment_min_bytes)
    segments: list[str] = []
    try:
        tree = writer.value(value)
        sections = _sections(writer, segments)  # first: arrays too small for a segment become buffers
        offsets, position = [], 0
        for buffer in writer.buffers:
            offsets.append([position, len(buffer)])
            position += len(buffer)
        message: dict[str, Any] = {"v": tree, "b": offsets}
        if sections:
            message["m"] = sections
        header = json.dumps(message, separators=(",", ":")).encode()
    except BaseException:
        shared.discard(segments)
        raise
    data = b"".join([PREFIX.pack(MAGIC, len(header)), header, *writer.buffers])
    return Encoded(data, segments)


def _sections(writer: _Writer, segments: list[str]) -> list[dict[str, Any]]:
    """The message's shared-memory sections: a new segment of the arrays to copy, then each arena named (whose
    arrays' nodes are numbered here); every segment's name is added to ``segments``."""
    sections = []
    arrays = [array for _node, array in writer.shared_arrays]
    if sum(array.nbytes for array in arrays) < writer.segment_min_bytes:
        for node, array in writer.shared_arrays:  # not worth a segment: inline after all
            node.clear()
            node.update(writer.inline(array))
        writer.shared_arrays, arrays = [], []
    if arrays:
        name, starts = shared.put_all(arrays)
        segments.append(name)
        sections.append(
            {"n": name, "a": [[at, a.dtype.str, list(a.shape)] for at, a in zip(starts, arrays, strict=True)]}
        )
    numbered = len(writer.shared_arrays)
    for spent in dict.fromkeys(where for _node, _array, where, _offset in writer.in_arenas):
        layouts: list[list[Any]] = []
        for node, array, where, offset in writer.in_arenas:
            if where is spent:
                node["m"] = numbered + len(layouts)
                layouts.append([offset, array.dtype.str, list(array.shape)])
        numbered += len(layouts)
        spent.sent = True  # the receiver unlinks it (or Channel.send discards it if this message is not sent)
        segments.append(spent.name)
        sections.append({"n": spent.name, "a": layouts})
    return sections
