"""Which classes a message may name: dataclasses and enums of ``viewer.core``, and those registered by hand.

Why this rule: the types that cross the process boundary are the core's result and request types (``DESIGN.md``:
the core holds "what crosses the process boundary"), so a class defined under ``viewer.core`` is allowed by where
it lives, with no list to keep in step, while nothing else (``os``, ``subprocess``, a torch class, an engine
class holding a model) can ever be named by a peer. A decoded object is rebuilt field by field, the way pickle
rebuilds a dataclass, but only for a class that passes :func:`is_allowed`; tests and tools that need another
class say so with :func:`allow`.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import re

__all__ = ["allow", "class_name", "is_allowed", "lookup"]

_ALLOWED_PACKAGE = "viewer.core"
_registered: dict[str, type] = {}
# A module path and a qualified name: identifiers separated by dots, nothing else (no "<locals>", no paths).
_NAME = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
)


def class_name(cls: type) -> str:
    """How a message names ``cls``: ``module:QualName``."""
    return f"{cls.__module__}:{cls.__qualname__}"


def _is_wire_kind(cls: type) -> bool:
    return dataclasses.is_dataclass(cls) or issubclass(cls, enum.Enum)


def _in_core(module: str) -> bool:
    return module == _ALLOWED_PACKAGE or module.startswith(_ALLOWED_PACKAGE + ".")


def allow(cls: type) -> type:
    """Allow a dataclass or enum defined outside ``viewer.core`` (usable as a class decorator)."""
    if not isinstance(cls, type) or not _is_wire_kind(cls):
        raise TypeError(f"only dataclasses and enums can cross the wire, not {cls!r}")
    _registered[class_name(cls)] = cls
    return cls


def is_allowed(cls: type) -> bool:
    """True for a dataclass or enum of ``viewer.core`` or one given to :func:`allow`."""
    if not _is_wire_kind(cls):
        return False
    return _registered.get(class_name(cls)) is cls or _in_core(cls.__module__)


def lookup(name: str) -> type:
    """The allowed class a message names; ``LookupError`` for any other name.

    A name under ``viewer.core`` may import that module (our own torch-free, Qt-free code, whose import only
    defines things); no other module is ever imported because a peer named it.
    """
    registered = _registered.get(name)
    if registered is not None:
        return registered
    known = _found.get(name)  # a capture's message names the same few classes a hundred times each
    if known is not None:
        return known
    if not isinstance(name, str) or not _NAME.match(name):
        raise LookupError(f"{name!r} is not a class name")
    module_name, qualname = name.split(":")
    if not _in_core(module_name):
        raise LookupError(f"{name} is not allowed on the wire (only viewer.core's dataclasses and enums are)")
    try:
        found: object = importlib.import_module(module_name)
    except ImportError as error:
        raise LookupError(f"{name}: no such module") from error
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, type) or class_name(found) != name or not is_allowed(found):
        raise LookupError(f"{name} is not an allowed dataclass or enum")
    _found[name] = found
    return found


_found: dict[str, type] = {}  # viewer.core classes that lookup found and checked
