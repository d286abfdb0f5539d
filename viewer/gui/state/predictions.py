"""The Predictions tab's state (``AppState.predictions``): the top-k asked for, its options, and the result.

The top-k is asked for through the app's one submission path for the shown image and the loaded model when both
are there (``PredictionsHost._ready``), and withdrawn otherwise; the app asks for it first whenever the image or
the model changes (it is what the user waits for) and clears it (``clear``) when what it was of is no longer
shown. The options (``preset``, ``tta``, ``topk``) are the model bar's and the tab's; the activations are
prepared with the same preset, so setting it asks for them again (``PredictionsHost.preset_switched``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.job_names import JobName
from viewer.core.network.choice import ModelChoice
from viewer.core.results.session import ImageEntry
from viewer.gui.jobs.tickets import JobError, JobKind, Ticket
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices

if TYPE_CHECKING:
    from viewer.core.results.prediction import Prediction

__all__ = ["PredictionsHost", "PredictionsState"]


class PredictionsHost(Protocol):
    """What :class:`PredictionsState` uses of the app: the shown image with the loaded model (``_ready``), the
    one submission path, the model's timings, and what follows a preset."""

    model: ModelState
    notices: Notices

    @property
    def image(self) -> ImageEntry | None: ...
    def _ready(self, kind: JobKind) -> tuple[ImageEntry, ModelChoice] | None: ...
    def _submit(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], **kwargs: Any
    ) -> Ticket: ...
    def preset_switched(self) -> None: ...


class PredictionsState(QObject):
    """``prediction`` (the top-k of the shown image with the loaded model, or None) and its options: ``preset``
    (the preprocessing, one of ``viewer.core.options.PRESETS``), ``tta`` (ten-crop averaging) and ``topk``.

    Signals:
        changed(object): the engine Prediction shown, or None when it no longer holds.
        options_changed(): ``preset``, ``tta`` or ``topk`` changed.
    """

    changed = Signal(object)
    options_changed = Signal()

    def __init__(self, app: PredictionsHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self.prediction: Prediction | None = None
        self.preset = "weights"
        self.tta = False
        self.topk = 5
        self._asked: tuple[object, ...] | None = None  # what the last top-k asked for is of, with its options
        self._ticket: Ticket | None = None

    def set_options(self, *, preset: str | None = None, tta: bool | None = None, topk: int | None = None) -> None:
        """New options (None: unchanged): the top-k is asked for again with them."""
        changed = False
        if preset is not None and preset != self.preset:
            self.preset, changed = preset, True
        if tta is not None and tta != self.tta:
            self.tta, changed = tta, True
        if topk is not None and topk != self.topk:
            self.topk, changed = topk, True
        if changed:
            self.options_changed.emit()
            self.request()
            if preset is not None:  # the model bar sets preset and TTA together
                self._app.preset_switched()

    def request(self) -> None:
        """Classify the shown image with the loaded model (withdrawn while one is missing), unless that very top-k
        is already on its way (asked for with the model: :meth:`request_with_model`)."""
        ready = self._app._ready(JobKind.CLASSIFY)
        if ready is not None:
            image, model = ready
            ticket = self._ticket
            on_its_way = ticket is not None and not ticket.done() and not ticket.stop_requested
            if on_its_way and self._asked == self._key(image, model):
                return
            self._ask(image, model, on_error=None)

    def request_with_model(self, choice: ModelChoice) -> None:
        """A model switch: the shown image's top-k is asked for in the same breath as the model, which the engine
        then runs right after building it (no round trip through the window in between; ``viewer bench``'s
        picker row). A failure of the model itself is said by the model's job, not again here."""
        image = self._app.image
        if image is not None:
            self._ask(image, choice, on_error=self._failed_with_model)

    def _key(self, image: ImageEntry, model: ModelChoice) -> tuple[object, ...]:
        return (id(image), model, self.topk, self.preset, self.tta)

    def _ask(self, image: ImageEntry, model: ModelChoice, on_error: Callable[[JobError], None] | None) -> None:
        self._asked = self._key(image, model)
        self._ticket = self._app._submit(
            JobKind.CLASSIFY,
            JobName.CLASSIFY,
            image,
            model=model,
            topk=self.topk,
            preset=self.preset,
            tta=self.tta,
            on_result=self._arrived,
            on_error=on_error,
            description=f"Classifying {image.name}",
        )

    def _failed_with_model(self, error: JobError) -> None:
        if self._app.model.error is None:  # not the model's own failure (delivered first: it ran first)
            self._app.notices.job_failed(JobKind.CLASSIFY, error)

    def clear(self) -> None:
        """The prediction shown is of an image or model no longer shown: it goes."""
        if self.prediction is not None:
            self.prediction = None
            self.changed.emit(None)

    def _arrived(self, prediction: Prediction) -> None:
        self.prediction = prediction
        self._app.model.add_timings(prediction.timings_ms)
        self.changed.emit(prediction)
