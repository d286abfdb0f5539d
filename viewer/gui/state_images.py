"""The state's image list: opening, choosing, stepping through and removing images (a mixin of AppState).

Which image is shown decides what every analysis is of: when it changes, the results of the previous one go at
once (never shown under the new image) and the analyses of the new one are asked for; held PgUp/PgDn throttles
those, not the change of image. Kept apart from AppState so that the state module stays about bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from viewer.gui import tasks
from viewer.gui.job_policy import Change
from viewer.gui.jobs import JobKind, JobRunner, Ticket

__all__ = ["ImageList"]


class ImageList:
    """``open_paths``, ``set_current``, ``step_image``, ``remove_image``; mixed into AppState, which owns the
    attributes declared here."""

    jobs: JobRunner
    images: list[tasks.ImageEntry]
    current: int
    images_changed: Any  # Signal(list)
    image_changed: Any  # Signal(object)
    _submit: Callable[..., Ticket]
    notify: Callable[..., None]
    _clear_results: Callable[..., None]
    input_changed: Callable[[Change], None]
    _analyse_stepped: Callable[[], object]  # throttled (AppState): returns a Future
    _classify: Callable[[], None]
    _capture: Callable[[], None]
    _heatmap: Callable[[], None]

    @property
    def image(self) -> tasks.ImageEntry | None:
        raise NotImplementedError  # AppState's

    def open_paths(self, paths: Sequence[str], *, select: str = "first_new") -> Ticket:
        """Load image files or folders (on the worker); files that fail are reported, nothing else changes."""
        return self._submit(
            JobKind.OPEN,  # never superseded: a second drop must not cost the first one its loading
            tasks.open_images,
            [str(p) for p in paths],
            on_result=self._opened,
            description="Opening images",
        )

    def set_current(self, index: int) -> None:
        if not (0 <= index < len(self.images)) or index == self.current:
            return
        self.current = index
        self._image_switched()

    def step_image(self, delta: int) -> None:
        """PgUp/PgDn: the image changes at once; its analyses are throttled while the key is held down."""
        if not self.images:
            return
        index = max(0, min(len(self.images) - 1, self.current + delta))
        if index != self.current:
            self.current = index
            self._image_switched(throttled=True)

    def remove_image(self, index: int) -> None:
        if not (0 <= index < len(self.images)):
            return
        shown = self.image
        del self.images[index]
        # The current image keeps its place when one before it goes; when it goes itself, the next one
        # (or the last) takes over. Only a change of the shown image recomputes the results.
        self.current = self.current - 1 if index < self.current else min(self.current, len(self.images) - 1)
        self.images_changed.emit(list(self.images))
        if self.image is not shown:
            self._image_switched()

    def _opened(self, result: tasks.OpenResult) -> None:
        if result.errors:
            first = result.errors[0]
            more = f" (and {len(result.errors) - 1} more: see details)" if len(result.errors) > 1 else ""
            self.notify(first + more, "\n".join(result.errors), level="error", kind=JobKind.OPEN)
        if not result.images:
            return
        known = {entry.path: index for index, entry in enumerate(self.images)}
        first_index = None
        for entry in result.images:
            if entry.path in known:
                self.images[known[entry.path]] = entry
                index = known[entry.path]
            else:
                self.images.append(entry)
                index = len(self.images) - 1
            first_index = index if first_index is None else first_index
        self.images_changed.emit(list(self.images))
        self.current = first_index if first_index is not None else self.current
        self._image_switched()

    def _image_switched(self, *, throttled: bool = False) -> None:
        self.input_changed(Change.IMAGE)  # jobs for the previous image: never delivered, not computed further
        self.image_changed.emit(self.image)
        self._clear_results(summary=False)
        if throttled:
            self._analyse_stepped()
        else:
            self._analyse_image()

    def _analyse_image(self) -> None:
        if self.jobs.closed:  # a throttled call that fires after the window closed
            return
        self._classify()
        self._capture()
        self._heatmap()
