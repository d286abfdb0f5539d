"""The state's export requests: Export all, and each tab's files, as jobs on the worker (a mixin of AppState).

Every export is written by the engine's atomic writers on the worker thread; the result (files, problems) comes
back as ``export_finished`` and one notice. Whether to overwrite is asked by the window before, never here. A
failure is a notice of its kind, unless the caller passes ``on_error`` (the tabs say it on themselves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from viewer.gui.export_tasks import ExportResult, export_activation, export_all, export_heatmap, export_prediction
from viewer.gui.jobs import ErrorHandler, JobKind, Ticket

if TYPE_CHECKING:
    from viewer.core.activation_grid import ChannelGrid
    from viewer.engine.heatmap import ClassHeatmap
    from viewer.engine.inference import Prediction
    from viewer.gui.state_images import Images
    from viewer.gui.state_notices import Notices
    from viewer.gui.tasks import ImageEntry, ModelInfo

__all__ = ["ExportRequests"]


class ExportRequests:
    """``export_all``, ``export_heatmap``, ``export_prediction``, ``export_activation``; needs AppState."""

    images: Images
    model_info: ModelInfo | None
    prediction: Prediction | None
    topk: int
    preset: str
    tta: bool
    _submit: Callable[..., Ticket]
    _exported: Callable[[ExportResult], None]
    notices: Notices
    _heatmap_options: Callable[[], dict[str, Any] | None]

    @property
    def image(self) -> ImageEntry | None:
        raise NotImplementedError  # AppState's

    @property
    def heatmap(self) -> ClassHeatmap | None:
        raise NotImplementedError  # AppState's

    @property
    def activation_grid(self) -> ChannelGrid | None:
        raise NotImplementedError  # AppState's

    def export_heatmap(
        self, path: str, *, colormap: str, alpha: float, force: bool, on_error: ErrorHandler | None = None
    ) -> Ticket | None:
        if self.heatmap is None or self.image is None:
            return None
        return self._submit(
            JobKind.EXPORT_HEATMAP,
            export_heatmap,
            self.heatmap,
            self.image,
            path,
            colormap=colormap,
            alpha=alpha,
            force=force,
            on_result=self._exported,
            on_error=on_error,
            description="Exporting the heatmap",
        )

    def export_all(self, folder: str, *, heatmaps: bool, force: bool = False) -> Ticket | None:
        if self.model_info is None or self.model_info.key is None or not self.images:
            self.notices.notify("Load an image and a model before exporting.", level="warning", kind=JobKind.EXPORT)
            return None
        heatmap_options = self._heatmap_options() if heatmaps else {}
        if heatmap_options is None:
            return None  # a class this model does not have (already said)
        return self._submit(
            JobKind.EXPORT,
            export_all,
            list(self.images),
            model=self.model_info.key,
            folder=folder,
            topk=self.topk,
            preset=self.preset,
            tta=self.tta,
            heatmaps=heatmaps,
            heatmap_options=heatmap_options,
            force=force,
            on_result=self._exported,
            description="Exporting",
        )

    def export_prediction(
        self, base: str, chart_png: bytes, *, force: bool, on_error: ErrorHandler | None = None
    ) -> Ticket | None:
        """The shown prediction as ``base``.csv/.json/.png (the chart drawn by the view)."""
        if self.prediction is None:
            return None
        return self._submit(
            JobKind.EXPORT_PREDICTIONS,
            export_prediction,
            self.prediction,
            base,
            chart_png,
            force=force,
            on_result=self._exported,
            on_error=on_error,
            description="Exporting the predictions",
        )

    def export_activation(self, base: str, *, force: bool, on_error: ErrorHandler | None = None) -> Ticket | None:
        """The shown layer as ``base``.png (its channel grid as drawn) and ``base``.npy (all channels)."""
        grid = self.activation_grid
        if grid is None:
            return None
        image = self.image
        info = self.model_info
        provenance = {
            "image": None if image is None else image.path,
            "layer": grid.layer,
            "model": None if info is None else info.name,
            "weights": None if info is None else info.weights_label,
        }
        return self._submit(
            JobKind.EXPORT_ACTIVATIONS,
            export_activation,
            grid.activation,
            grid.image,
            base,
            provenance,
            force=force,
            on_result=self._exported,
            on_error=on_error,
            description="Exporting the activations",
        )
