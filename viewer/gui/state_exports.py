"""The state's export requests: Export all, and each tab's files, as jobs on the worker (a mixin of AppState).

Every export is written by the engine's atomic writers on the worker thread; the result (files, problems) comes
back as ``export_finished`` and one notice. Whether to overwrite is asked by the window before, never here.
"""

from __future__ import annotations

from viewer.gui import tasks
from viewer.gui.export_tasks import export_activation, export_prediction
from viewer.gui.jobs import Ticket

__all__ = ["ExportRequests"]


class ExportRequests:
    """``export_all``, ``export_heatmap``, ``export_prediction``, ``export_activation``; needs AppState."""

    def export_heatmap(self, path: str, *, colormap: str, alpha: float, force: bool) -> Ticket | None:
        if self.heatmap is None or self.image is None:
            return None
        return self._submit(
            "export-heatmap",
            tasks.export_heatmap,
            self.heatmap,
            self.image,  # type: ignore[attr-defined]
            path,
            colormap=colormap,
            alpha=alpha,
            force=force,
            description="Exporting the heatmap",
        )

    def export_all(self, folder: str, *, heatmaps: bool, force: bool = False) -> Ticket | None:
        if self.model_info is None or not self.images:
            self.notify("Load an image and a model before exporting.", level="warning")
            return None
        heatmap_options = self._heatmap_options() if heatmaps else {}
        if heatmap_options is None:
            return None  # a class this model does not have (already said)
        return self._submit(  # type: ignore[attr-defined]
            "export",
            tasks.export_all,
            list(self.images),
            self.model_info.key,
            folder,
            topk=self.topk,
            preset=self.preset,
            tta=self.tta,
            heatmaps=heatmaps,
            heatmap_options=heatmap_options,
            force=force,
            description="Exporting",
        )

    def export_prediction(self, base: str, chart_png: bytes, *, force: bool) -> Ticket | None:
        """The shown prediction as ``base``.csv/.json/.png (the chart drawn by the view)."""
        if self.prediction is None:  # type: ignore[attr-defined]
            return None
        return self._submit(
            "export-predictions",
            export_prediction,
            self.prediction,
            base,  # type: ignore[attr-defined]
            chart_png,
            force=force,
            description="Exporting the predictions",
        )

    def export_activation(self, base: str, *, force: bool) -> Ticket | None:
        """The shown layer as ``base``.png (its channel grid as drawn) and ``base``.npy (all channels)."""
        grid = self.activation_grid  # type: ignore[attr-defined]
        if grid is None:
            return None
        image = self.image  # type: ignore[attr-defined]
        info = self.model_info  # type: ignore[attr-defined]
        provenance = {
            "image": None if image is None else image.path,
            "layer": grid.layer,
            "model": None if info is None else info.name,
            "weights": None if info is None else info.weights_label,
        }
        return self._submit(
            "export-activations",
            export_activation,
            grid.activation,
            grid.image,
            base,  # type: ignore[attr-defined]
            provenance,
            force=force,
            description="Exporting the activations",
        )
