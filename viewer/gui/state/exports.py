"""The state's export requests (``AppState.exports``): Export all, and each tab's files, as jobs on the worker.

Every export is written by the engine's atomic writers on the worker thread; the result (files, problems) comes
back as ``finished`` and one notice. Whether to overwrite is asked by the window before, never here. A failure is
a notice of its kind, unless the caller passes ``on_error`` (the tabs say it on themselves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.job_names import JobName
from viewer.core.results.session import ExportResult
from viewer.gui.jobs.tickets import ErrorHandler, JobKind, Ticket
from viewer.gui.state.analysis import ActivationsState, HeatmapState
from viewer.gui.state.images import Images
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices
from viewer.gui.state.predictions import PredictionsState

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ExportState", "ExportsHost"]


class ExportsHost(Protocol):
    """What :class:`ExportState` uses of the app: the one submission path."""

    def _submit(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], **kwargs: Any
    ) -> Ticket: ...


class ExportState(QObject):
    """``all``, ``heatmap``, ``prediction``, ``activation``: what is shown, written to files. Holds no data of its
    own; reads the model, the predictions (and their options), the images, the heatmap and the activations it is
    given.

    Signals:
        finished(object): the core ExportResult (viewer.core.results.session) of an export that ran.
    """

    finished = Signal(object)

    def __init__(
        self,
        app: ExportsHost,
        *,
        model: ModelState,
        predictions: PredictionsState,
        images: Images,
        heatmap: HeatmapState,
        activations: ActivationsState,
        notices: Notices,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._model = model
        self._predictions = predictions
        self._images = images
        self._heatmap = heatmap
        self._activations = activations
        self._notices = notices

    def heatmap(
        self, path: str, *, colormap: str, alpha: float, force: bool, on_error: ErrorHandler | None = None
    ) -> Ticket | None:
        """The shown heatmap over its image as ``path`` (a PNG and its sidecar)."""
        heatmap, image = self._heatmap.shown, self._images.shown
        if heatmap is None or image is None:
            return None
        return self._app._submit(
            JobKind.EXPORT_HEATMAP,
            JobName.EXPORT_HEATMAP,
            heatmap,
            image,
            path,
            colormap=colormap,
            alpha=alpha,
            force=force,
            on_result=self._exported,
            on_error=on_error,
            description="Exporting the heatmap",
        )

    def all(self, folder: str, *, heatmaps: bool, force: bool = False) -> Ticket | None:
        """File › Export all: every image's predictions (and heatmaps) with the loaded model, into ``folder``."""
        info = self._model.info
        if info is None or info.key is None or not self._images:
            self._notices.notify("Load an image and a model before exporting.", level="warning", kind=JobKind.EXPORT)
            return None
        heatmap_options = self._heatmap.engine_options() if heatmaps else {}
        if heatmap_options is None:
            return None  # a class this model does not have (already said)
        return self._app._submit(
            JobKind.EXPORT,
            JobName.EXPORT_ALL,
            list(self._images),
            model=info.key,
            folder=folder,
            topk=self._predictions.topk,
            preset=self._predictions.preset,
            tta=self._predictions.tta,
            heatmaps=heatmaps,
            heatmap_options=heatmap_options,
            force=force,
            on_result=self._exported,
            description="Exporting",
        )

    def prediction(
        self, base: str, chart_png: bytes, *, force: bool, on_error: ErrorHandler | None = None
    ) -> Ticket | None:
        """The shown prediction as ``base``.csv/.json/.png (the chart drawn by the view)."""
        prediction = self._predictions.prediction
        if prediction is None:
            return None
        return self._app._submit(
            JobKind.EXPORT_PREDICTIONS,
            JobName.EXPORT_PREDICTION,
            prediction,
            base,
            chart_png,
            force=force,
            on_result=self._exported,
            on_error=on_error,
            description="Exporting the predictions",
        )

    def activation(self, base: str, *, force: bool, on_error: ErrorHandler | None = None) -> Ticket | None:
        """The shown layer as ``base``.png (its channel grid as drawn) and ``base``.npy (all channels)."""
        grid = self._activations.grid
        if grid is None:
            return None
        image = self._images.shown
        info = self._model.info
        provenance = {
            "image": None if image is None else image.path,
            "layer": grid.layer,
            "model": None if info is None else info.name,
            "weights": None if info is None else info.weights_label,
        }
        return self._app._submit(
            JobKind.EXPORT_ACTIVATIONS,
            JobName.EXPORT_ACTIVATION,
            grid.activation,
            grid.image,
            base,
            provenance,
            force=force,
            on_result=self._exported,
            on_error=on_error,
            description="Exporting the activations",
        )

    def pictures(
        self,
        base: str,
        pictures: list[tuple[str, np.ndarray]],
        provenance: dict[str, Any],
        *,
        force: bool,
        on_error: ErrorHandler | None = None,
    ) -> Ticket:
        """A channel's view (its patches, its optimised image, a unit's deconvolution): each ``(suffix, uint8
        pixels)`` as ``<stem><suffix>.png`` with ``<stem>.json``, written together or not at all."""
        return self._app._submit(
            JobKind.EXPORT_CHANNEL,
            JobName.EXPORT_PICTURES,
            base,
            pictures,
            provenance,
            force=force,
            on_result=self._exported,
            on_error=on_error,
            description="Exporting the channel's pictures",
        )

    def _exported(self, result: ExportResult) -> None:
        self.finished.emit(result)
        extra = f" ({len(result.errors)} problem(s): see details)" if result.errors else ""
        self._notices.notify(
            f"Exported {len(result.files)} file(s) to {result.folder}{extra}.",
            "\n".join(result.errors),
            level="warning" if result.errors else "info",
        )
