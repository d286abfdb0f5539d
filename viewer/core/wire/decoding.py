"""Reading one message of the wire format (:mod:`viewer.core.wire.codec` describes it): every tag checked, nothing
called, no class outside :mod:`viewer.core.wire.allowed` made.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from viewer.core.wire import shared
from viewer.core.wire.allowed import lookup
from viewer.core.wire.codec import DTYPE_OF, DTYPES, MAGIC, MAX_DEPTH, MAX_SEGMENTS, PREFIX, WireError

__all__ = ["decode"]


def _layout(dtype_name: object, shape: object) -> tuple[np.dtype[Any], tuple[int, ...]]:
    """An array's dtype and shape as a header gives them, checked."""
    dtype = DTYPE_OF.get(dtype_name) if isinstance(dtype_name, str) else None
    if dtype is None:
        raise WireError(f"array dtype {dtype_name!r} is not allowed")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError(f"bad array shape {shape!r}")
    return dtype, tuple(shape)


def _shared_arrays(sections: object) -> list[np.ndarray]:
    """The arrays of a message's segments (its header's ``"m"``), read out and the segments unlinked."""
    if sections is None:
        return []
    if not isinstance(sections, list) or not sections or len(sections) > MAX_SEGMENTS:
        raise WireError("a message's shared memory is a list of sections")
    arrays: list[np.ndarray] = []
    for section in sections:
        arrays += _section_arrays(section)
    return arrays


def _section_arrays(section: object) -> list[np.ndarray]:
    if not isinstance(section, dict) or set(section) != {"n", "a"} or not isinstance(section["a"], list):
        raise WireError("a shared-memory section is not {n, a}")
    layouts = []
    for entry in section["a"]:
        if not (isinstance(entry, list) and len(entry) == 3 and type(entry[0]) is int):
            raise WireError(f"bad shared array entry {str(entry)[:60]}")
        dtype, shape = _layout(entry[1], entry[2])
        layouts.append((entry[0], dtype, shape))
    try:
        return shared.take_all(section["n"], layouts)
    except ValueError as error:
        raise WireError(str(error)) from None


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


class _Reader:
    def __init__(self, data: memoryview, buffers: list[tuple[int, int]], shared_arrays: list[np.ndarray]) -> None:
        self.data = data
        self.buffers = buffers
        self.shared_arrays = shared_arrays  # the message's segment, read out before its tree
        self.made: list[object] = []  # the arrays and instances, numbered as the writer numbered them

    def ref(self, node: dict[str, Any], depth: int) -> object:
        number = node.get("r")
        if type(number) is not int or not 0 <= number < len(self.made):
            raise WireError(f"reference {number!r} to nothing sent before it")
        return self.made[number]

    def buffer(self, index: object) -> memoryview:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self.buffers):
            raise WireError(f"buffer {index!r} does not exist")
        start, length = self.buffers[index]
        return self.data[start : start + length]

    def value(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError(f"nested more than {MAX_DEPTH} deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.value(item, depth + 1) for item in node]
        if not isinstance(node, dict) or not isinstance(node.get("$t"), str):
            raise WireError(f"untagged object {str(node)[:60]}")
        decoder = _DECODERS.get(node["$t"])
        if decoder is None:
            raise WireError(f"unknown tag {node['$t']!r}")
        return decoder(self, node, depth + 1)

    def items(self, node: dict[str, Any], depth: int) -> list[Any]:
        items = node.get("v")
        if not isinstance(items, list):
            raise WireError(f"{node['$t']} without items")
        return [self.value(item, depth) for item in items]

    def mapping(self, node: dict[str, Any], depth: int) -> dict[Any, Any]:
        pairs = self.items(node, depth)
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            raise WireError("a dict's items are not pairs")
        return {key: item for key, item in pairs}

    def array(self, node: dict[str, Any], depth: int) -> np.ndarray:
        if "m" in node:
            index = node["m"]
            if type(index) is not int or not 0 <= index < len(self.shared_arrays):
                raise WireError(f"shared array {index!r} does not exist")
            array = self.shared_arrays[index]
        else:
            dtype, shape = _layout(node.get("d"), node.get("s"))
            data = self.buffer(node.get("b"))
            if len(data) != math.prod(shape) * dtype.itemsize:
                raise WireError(f"array of shape {shape} and dtype {dtype} does not fit its {len(data)} bytes")
            array = np.frombuffer(data, dtype=dtype).reshape(shape).copy()  # its own memory, writable
        self.made.append(array)
        return array

    def object(self, node: dict[str, Any], depth: int) -> object:
        cls = self.cls(node)
        fields, made = node.get("f"), node.get("p", {})
        if not dataclasses.is_dataclass(cls) or not isinstance(fields, dict) or not isinstance(made, dict):
            raise WireError(f"{node.get('c')} is not sent as a dataclass")
        names = _field_names(cls)
        if fields.keys() != names:
            raise WireError(f"{node['c']}: fields {sorted(fields)} are not its fields {sorted(names)}")
        if not all(isinstance(getattr(cls, name, None), functools.cached_property) for name in made):
            raise WireError(f"{node['c']}: {sorted(made)} are not its cached properties")
        # Rebuilt field by field as pickle would, without running __init__/__post_init__ on a peer's values.
        instance = cls.__new__(cls)
        self.made.append(instance)  # numbered before its fields, as the writer numbered it
        for name, item in fields.items():
            object.__setattr__(instance, name, self.value(item, depth))
        for name, item in made.items():
            instance.__dict__[name] = self.value(item, depth)
        return instance

    def enum(self, node: dict[str, Any], depth: int) -> enum.Enum:
        cls = self.cls(node)
        if not issubclass(cls, enum.Enum):
            raise WireError(f"{node.get('c')} is not an enum")
        try:
            return cls(self.value(node.get("v"), depth))
        except ValueError as error:
            raise WireError(str(error)) from None

    def cls(self, node: dict[str, Any]) -> type:
        try:
            return lookup(str(node.get("c")))
        except LookupError as error:
            raise WireError(str(error)) from None

    def text(self, node: dict[str, Any]) -> str:
        if not isinstance(node.get("v"), str):
            raise WireError(f"malformed {node['$t']}")
        return str(node["v"])

    def scalar(self, node: dict[str, Any], depth: int) -> np.generic:
        if node.get("d") not in DTYPES or not isinstance(node.get("v"), (bool, int, float, list)):
            raise WireError(f"bad numpy scalar {str(node)[:60]}")
        value: Any = node["v"]
        if isinstance(value, list):  # a complex number as [real, imag]
            value = complex(*value)
        scalar: np.generic = np.dtype(node["d"]).type(value)
        return scalar


_DECODERS: dict[str, Callable[[_Reader, dict[str, Any], int], Any]] = {
    "tuple": lambda r, n, d: tuple(r.items(n, d)),
    "set": lambda r, n, d: set(r.items(n, d)),
    "frozenset": lambda r, n, d: frozenset(r.items(n, d)),
    "dict": _Reader.mapping,
    "bytes": lambda r, n, d: bytes(r.buffer(n.get("b"))),
    "path": lambda r, n, d: Path(r.text(n)),
    "array": _Reader.array,
    "object": _Reader.object,
    "enum": _Reader.enum,
    "scalar": _Reader.scalar,
    "ref": _Reader.ref,
}


def decode(data: bytes | bytearray | memoryview) -> Any:
    """The value of one message; :class:`WireError` for anything malformed or not allowed."""
    view = memoryview(data).cast("B")
    if len(view) < PREFIX.size:
        raise WireError("message too short")
    magic, length = PREFIX.unpack_from(view)
    if magic != MAGIC:
        raise WireError("not a message of the viewer's wire format")
    body = PREFIX.size + length
    if body > len(view):
        raise WireError("message shorter than its header says")
    try:
        header = json.loads(bytes(view[PREFIX.size : body]))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise WireError(f"unreadable header ({error})") from None
    if not isinstance(header, dict) or not {"v", "b"} <= set(header) <= {"v", "b", "m"}:
        raise WireError("header is not {v, b[, m]}")
    if not isinstance(header["b"], list):
        raise WireError("header is not {v, b[, m]}")
    buffers = []
    for entry in header["b"]:
        if not (isinstance(entry, list) and len(entry) == 2 and all(type(n) is int and n >= 0 for n in entry)):
            raise WireError(f"bad buffer entry {entry!r}")
        if body + entry[0] + entry[1] > len(view):
            raise WireError("a buffer runs past the message's end")
        buffers.append((body + entry[0], entry[1]))
    shared_arrays = _shared_arrays(header.get("m"))
    try:
        return _Reader(view, buffers, shared_arrays).value(header["v"])
    except (TypeError, RecursionError) as error:  # an unhashable key, a set of lists: forged, not ours
        raise WireError(f"malformed value ({error})") from None
