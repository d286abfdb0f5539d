"""The image list (``AppState.images``, a sub-state of AppState): opening, choosing, stepping through, removing.

Which image is shown decides what every analysis is of: when it changes, the jobs for the previous one are
withdrawn (``AppState.input_changed``), ``image_changed`` is emitted, and the app clears the previous image's
results and asks for the new one's analyses (``ImagesHost.image_switched``); held PgUp/PgDn throttles those,
not the change of image. The list is a ``Sequence[ImageEntry]``: ``len(state.images)``, ``state.images[i]``.
"""

from __future__ import annotations

import functools
from abc import ABCMeta
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload

from PySide6.QtCore import QObject, Signal

from viewer.core.images.files import read_image_files
from viewer.core.job_names import JobName
from viewer.core.results.session import ImageEntry, OpenResult
from viewer.gui.jobs.policy import Change
from viewer.gui.jobs.tickets import JobKind, Ticket
from viewer.gui.state.notices import Notices

__all__ = ["Images", "ImagesHost"]

if TYPE_CHECKING:
    _Meta = ABCMeta
else:

    class _Meta(type(QObject), ABCMeta):
        """QObject's metaclass with ``Sequence``'s (an ABC), so that the list is both."""


class ImagesHost(Protocol):
    """What :class:`Images` uses of the app: its one submission path, the job policy, and what follows a switch."""

    def _submit(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], **kwargs: Any
    ) -> Ticket: ...
    def input_changed(self, change: Change) -> None: ...
    def image_switched(self, *, throttled: bool) -> None: ...


class Images(QObject, Sequence[ImageEntry], metaclass=_Meta):
    """The opened images (in order) and ``current``, the index of the one shown (-1: none).

    Signals:
        images_changed(list): the list of ImageEntry after an open or a removal.
        image_changed(object): the ImageEntry shown now, or None.
    """

    images_changed = Signal(list)
    image_changed = Signal(object)

    def __init__(self, app: ImagesHost, notices: Notices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._notices = notices
        self._entries: list[ImageEntry] = []
        self.current: int = -1

    # --- the sequence --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> ImageEntry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[ImageEntry]: ...
    def __getitem__(self, index: int | slice) -> ImageEntry | Sequence[ImageEntry]:
        return self._entries[index]

    def __iter__(self) -> Iterator[ImageEntry]:
        return iter(self._entries)

    @property
    def shown(self) -> ImageEntry | None:
        """The image shown (``self[current]``), or None."""
        return self._entries[self.current] if 0 <= self.current < len(self._entries) else None

    # --- requests ------------------------------------------------------------------------------------
    def open_paths(self, paths: Sequence[str], *, select: str = "first_new") -> Ticket | None:
        """Open image files or folders: read here, decoded by the engine; files that fail are reported, nothing
        else changes. None when no file could be read (the refusals are shown at once)."""
        # The window reads the files and sends their bytes: the engine may be on another machine (issue 21).
        read = read_image_files(paths)
        if not read.files:
            self._opened(OpenResult([]), read.errors)
            return None
        return self._app._submit(
            JobKind.OPEN,  # never superseded: a second drop must not cost the first one its loading
            JobName.OPEN_IMAGES,
            read.files,
            on_result=functools.partial(self._opened, refused=read.errors),
            description="Opening images",
        )

    def set_current(self, index: int) -> None:
        if not (0 <= index < len(self._entries)) or index == self.current:
            return
        self.current = index
        self._switched()

    def step(self, delta: int) -> None:
        """PgUp/PgDn: the image changes at once; its analyses are throttled while the key is held down."""
        if not self._entries:
            return
        index = max(0, min(len(self._entries) - 1, self.current + delta))
        if index != self.current:
            self.current = index
            self._switched(throttled=True)

    def remove(self, index: int) -> None:
        if not (0 <= index < len(self._entries)):
            return
        shown = self.shown
        del self._entries[index]
        # The current image keeps its place when one before it goes; when it goes itself, the next one
        # (or the last) takes over. Only a change of the shown image recomputes the results.
        self.current = self.current - 1 if index < self.current else min(self.current, len(self._entries) - 1)
        self.images_changed.emit(list(self._entries))
        if self.shown is not shown:
            self._switched()

    # --- results -------------------------------------------------------------------------------------
    def _opened(self, result: OpenResult, refused: Sequence[str] = ()) -> None:
        """The engine's images of one drop; ``refused``: what the window could not read of it (one notice for all)."""
        errors = [*refused, *result.errors]
        if errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more: see details)" if len(errors) > 1 else ""
            self._notices.notify(first + more, "\n".join(errors), level="error", kind=JobKind.OPEN)
        if not result.images:
            return
        known = {entry.path: index for index, entry in enumerate(self._entries)}
        first_index = None
        for entry in result.images:
            if entry.path in known:
                self._entries[known[entry.path]] = entry
                index = known[entry.path]
            else:
                self._entries.append(entry)
                index = len(self._entries) - 1
            first_index = index if first_index is None else first_index
        self.images_changed.emit(list(self._entries))
        self.current = first_index if first_index is not None else self.current
        self._switched()

    def _switched(self, *, throttled: bool = False) -> None:
        self._app.input_changed(Change.IMAGE)  # jobs for the previous image: never delivered, not computed further
        self.image_changed.emit(self.shown)
        self._app.image_switched(throttled=throttled)
