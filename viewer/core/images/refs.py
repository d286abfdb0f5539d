"""An opened image crosses to the engine once per connection; later jobs name it by its key.

Every job of an image takes its :class:`~viewer.core.results.session.ImageEntry` (its pixels and the panel's
copy): a 12-megapixel photo is over 70 MB, which each classification, capture and heatmap of it would send again,
encoded on the window's GUI thread. The engine made the entry (``open_images`` gives each a random ``key``), so:

- the window's client (:class:`SentImages`, one per connection) sends an entry in full the first time and an
  :class:`ImageRef` to it afterwards;
- the engine's session (:class:`HeldImages`) keeps the entries it received and puts them back in place of the
  references before the job runs.

Both forget the least recently used first, and messages arrive in the order they were sent; the engine holds
twice as many as the window names, within a budget of bytes (a few dozen 12-megapixel photos): a reference to an
entry it had to drop is answered with an :data:`IMAGE_GONE` error, and the window sends that job again with its
images in full. A new connection (an engine restarted) starts with nothing sent. Only the arguments of a job and
the items of a list or tuple among them are looked at.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from viewer.core.results.session import ImageEntry

__all__ = ["ENGINE_BYTES", "ENGINE_CAPACITY", "IMAGE_GONE", "WINDOW_CAPACITY", "HeldImages", "ImageRef", "SentImages"]

WINDOW_CAPACITY = 64  # entries the window names by reference (the open images of a session, and then some)
ENGINE_CAPACITY = 2 * WINDOW_CAPACITY
ENGINE_BYTES = 2 << 30  # what one window's images may hold in the engine (pixels and display copies)
IMAGE_GONE = "ImageGone"  # the error type of a job that named an image the engine no longer holds

T = TypeVar("T")


@dataclass(frozen=True)
class ImageRef:
    """An image this connection's engine holds, by the key it gave the entry."""

    key: str


class SentImages:
    """The window's side: which entries this connection's engine holds (thread-safe; one per connection)."""

    def __init__(self, capacity: int = WINDOW_CAPACITY) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def shrink(self, args: Sequence[object], kwargs: Mapping[str, object]) -> tuple[list[object], dict[str, object]]:
        """``args`` and ``kwargs`` with each entry the engine holds replaced by its reference; the others are
        counted as held from now on (call it in the order the messages are sent)."""
        with self._lock:
            return _replaced(args, kwargs, self._one)

    def _one(self, value: object) -> object:
        if not isinstance(value, ImageEntry) or not value.key:
            return value
        held = value.key in self._keys
        self._keys[value.key] = None
        self._keys.move_to_end(value.key)
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
        return ImageRef(value.key) if held else value


class HeldImages:
    """The engine's side: the entries one window sent, to put back in place of its references."""

    def __init__(self, capacity: int = ENGINE_CAPACITY, budget_bytes: int | None = None) -> None:
        self._entries: OrderedDict[str, ImageEntry] = OrderedDict()
        self._capacity = capacity
        self._budget = ENGINE_BYTES if budget_bytes is None else budget_bytes
        self._bytes = 0

    def resolve(self, args: Sequence[object], kwargs: Mapping[str, object]) -> tuple[list[object], dict[str, object]]:
        """``args`` and ``kwargs`` with every reference replaced by its entry, and every entry kept; ``LookupError``
        for a reference to an entry this side does not hold (dropped for the budget: see the module docstring)."""
        return _replaced(args, kwargs, self._one)

    def _one(self, value: object) -> object:
        if isinstance(value, ImageRef):
            entry = self._entries.get(value.key)
            if entry is None:
                raise LookupError(f"the engine does not hold image {value.key!r} any more")
            self._entries.move_to_end(value.key)
            return entry
        if isinstance(value, ImageEntry) and value.key:
            if value.key not in self._entries:
                self._bytes += _nbytes(value)
            self._entries[value.key] = value
            self._entries.move_to_end(value.key)
            while len(self._entries) > 1 and (len(self._entries) > self._capacity or self._bytes > self._budget):
                _key, dropped = self._entries.popitem(last=False)
                self._bytes -= _nbytes(dropped)
        return value


def _nbytes(entry: ImageEntry) -> int:
    arrays = {id(a): a for a in (entry.pixels, entry.display, entry.thumbnail, entry.preview) if a is not None}
    return sum(int(a.nbytes) for a in arrays.values())


def _replaced(
    args: Sequence[object], kwargs: Mapping[str, object], one: Callable[[object], object]
) -> tuple[list[object], dict[str, object]]:
    def each(value: object) -> object:
        if isinstance(value, (list, tuple)):
            items = [one(item) for item in value]
            return items if isinstance(value, list) else tuple(items)
        return one(value)

    return [each(value) for value in args], {name: each(value) for name, value in kwargs.items()}
