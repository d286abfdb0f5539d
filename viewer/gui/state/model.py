"""The model choice and what is known of it (``AppState.model``, a sub-state of :class:`viewer.gui.state.AppState`).

``registry`` (the zoo and the machine, read once), ``choice`` (the network, weights and device asked for),
``info`` (the model loaded for it) or ``error`` (why it could not be), its layer ``summary``, and the status
bar's ``timings``. Every other sub-state follows the model, so its life (reading the registry, a switch, the
load, the summary) is orchestrated by the app (``AppState.set_model``), which tells this state what happened;
this state keeps it and says it, and answers the questions asked of the model (``network_id``,
``class_index``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from viewer.core.class_search import find_class
from viewer.core.errors import ModelError
from viewer.core.network.choice import ModelChoice
from viewer.core.results.session import ModelInfo, Registry
from viewer.gui.jobs.tickets import JobError, JobKind
from viewer.gui.state.notices import Notices

if TYPE_CHECKING:
    from viewer.core.results.summary import Summary

__all__ = ["LOAD_TIMING", "ModelState"]

LOAD_TIMING = "load model"  # the status bar's name for how long the model took to load


class ModelState(QObject):
    """``registry``, ``choice``, ``info``, ``error``, ``summary`` and ``timings``; see the module docstring.

    Signals:
        registry_changed(object): the Registry, once read.
        choice_changed(object): the ModelChoice (its model loading from now on).
        info_changed(object): the ModelInfo loaded, or None (while loading, or after a failure).
        summary_changed(object): the engine Summary of the loaded model, or None when the choice changed.
        timings_changed(dict): {"load model": ms, "forward": ms, ...}, how long this model's jobs took.
    """

    registry_changed = Signal(object)
    choice_changed = Signal(object)
    info_changed = Signal(object)
    summary_changed = Signal(object)
    timings_changed = Signal(dict)

    def __init__(self, notices: Notices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._notices = notices
        self.registry: Registry | None = None
        self.registry_error: JobError | None = None  # the zoo could not be read (no engine): nothing will load
        self.choice = ModelChoice()
        self.info: ModelInfo | None = None
        self.error: JobError | None = None
        self.summary: Summary | None = None
        self.timings: dict[str, float] = {}

    # --- queries -------------------------------------------------------------------------------------
    def network_id(self) -> str:
        """The chosen network (a registry name or a model file), whatever its weights and device."""
        return self.choice.model_file or self.choice.model or ""

    def class_index(
        self, wanted: str | int | None, *, quiet: bool = False, kind: JobKind = JobKind.HEATMAP
    ) -> int | None:
        """A class given as an index or a name (case-insensitive) of the loaded model; None if unknown
        (said as a notice of ``kind`` unless ``quiet``)."""
        if wanted is None or self.info is None:
            return None
        try:
            return find_class(self.info.categories, wanted, self.info.name)
        except ModelError as error:
            if not quiet:
                self._notices.notify(str(error), level="warning", kind=kind)
            return None

    # --- told by AppState --------------------------------------------------------------------------
    def set_registry(self, registry: Registry) -> None:
        self.registry, self.registry_error = registry, None
        self.registry_changed.emit(registry)

    def registry_failed(self, error: JobError) -> None:
        self.registry_error = error

    def choose(self, choice: ModelChoice) -> None:
        """``choice`` is chosen and no model is loaded for it yet. Said by ``announce``, once the app has
        withdrawn and cleared what was of the previous model (views redraw from a consistent state)."""
        self.choice = choice
        self.info = None
        self.error = None
        self.timings = {}  # the previous model's; a status line must not show them beside this one's name

    def announce(self) -> None:
        """Say the choice, and that its model is not loaded yet."""
        self.choice_changed.emit(self.choice)
        self.info_changed.emit(None)
        self.timings_changed.emit({})

    def loaded(self, info: ModelInfo, load_ms: float | None) -> None:
        """The chosen model loaded, in ``load_ms``: the timings start afresh with it."""
        self.info = info
        self.timings = {}
        if load_ms is not None:
            self.add_timings({LOAD_TIMING: load_ms})
        self.info_changed.emit(info)

    def failed(self, error: JobError) -> None:
        """The chosen model could not be loaded (the weights fallbacks say why)."""
        self.error = error
        self.info_changed.emit(None)

    def set_summary(self, summary: Summary | None) -> None:
        """The loaded model's layer summary, or None when the choice changed (said only if it changes)."""
        if summary is None and self.summary is None:
            return
        self.summary = summary
        self.summary_changed.emit(summary)

    def add_timings(self, timings: Mapping[str, float]) -> None:
        """Jobs of this model ran: how long each took (milliseconds), shown in the status bar by name."""
        self.timings.update(timings)
        self.timings_changed.emit(dict(self.timings))
