"""The wiring between :class:`AppState` and the analysis tabs: Predictions, Activations, Architecture, Heatmap.

Requests from the tabs go to the state; the state's results (prediction, summary, activations, heatmap)
come back to the tabs and to the image panel's overlay and receptive-field box. Kept apart from the main
window, which only composes widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6 import QtCore

from viewer.gui.jobs.tickets import JobKind
from viewer.gui.state import AppState
from viewer.gui.widgets.activations.view import ActivationsView
from viewer.gui.widgets.architecture.lecture_table import ResNetTableShown
from viewer.gui.widgets.architecture.view import ArchitectureView
from viewer.gui.widgets.heatmap.view import HeatmapView
from viewer.gui.widgets.image_panel import ImagePanel, input_box_to_image
from viewer.gui.widgets.predictions import PredictionShown, PredictionsView
from viewer.gui.window.tab_exports import said_on_tab

if TYPE_CHECKING:
    from viewer.core.results.lecture import ResNetTable
    from viewer.core.results.prediction import Prediction
    from viewer.core.results.summary import Summary

    # The Predictions view draws through a protocol (widgets never import the engine): a change to the
    # engine's Prediction that the view would trip over fails mypy here.
    _PREDICTION: type[PredictionShown] = Prediction
    _RESNET_TABLE: type[ResNetTableShown] = ResNetTable  # so does Table 1's view

__all__ = ["AnalysisLinks", "AnalysisViews"]


@dataclass(frozen=True)
class AnalysisViews:
    """The four analysis tabs' views."""

    predictions: PredictionsView
    activations: ActivationsView
    architecture: ArchitectureView
    heatmap: HeatmapView


class AnalysisLinks(QtCore.QObject):
    """Connects ``state`` to ``views`` (tab name -> view) and ``image_panel``; give it the window as parent."""

    def __init__(
        self,
        state: AppState,
        views: AnalysisViews,
        image_panel: ImagePanel,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.views = views
        self.image_panel = image_panel
        self._connect()

    def _connect(self) -> None:
        state = self.state
        state.predictions.changed.connect(self._on_prediction_changed)
        state.model.summary_changed.connect(self._on_summary_changed)
        state.activations.changed.connect(self._on_activation_changed)
        state.heatmap.changed.connect(self._on_heatmap_changed)

        activations = self.views.activations
        activations.layerRequested.connect(lambda name: state.activations.set_layers([name]))
        activations.receptiveFieldBox.connect(self._on_receptive_field)
        # Mosaics are drawn on the worker (with the capture, or again when these options change).
        activations.deferred_grids = True
        state.activations.grid_options = activations.grid_options()
        activations.gridOptionsChanged.connect(state.activations.set_grid_options)
        state.activations.grid_changed.connect(activations.set_grid)
        architecture = self.views.architecture
        architecture.layerSelected.connect(self._on_architecture_layer)
        # The graph and its layouts come from the worker; the view only asks which blocks to open, and which way.
        state.architecture.graph_changed.connect(architecture.set_graph)
        state.architecture.layout_changed.connect(architecture.set_layout)
        architecture.expansionRequested.connect(state.architecture.set_expanded)
        architecture.directionChanged.connect(state.architecture.set_direction)
        architecture.groupsRequested.connect(state.architecture.request_groups)
        state.architecture.groups_ready.connect(architecture.show_groups)
        # The lecture's views: Table 1 and the convolutionized graph are built on the worker when asked for.
        lecture = architecture.lecture
        lecture.table.tableRequested.connect(state.lecture.request_table)
        state.lecture.table_changed.connect(lecture.table.set_table)
        lecture.convolutionize.convolutionizedRequested.connect(state.lecture.set_convolutionized)
        state.lecture.convolutionized_failed.connect(lecture.convolutionize.say)
        heatmap = self.views.heatmap
        heatmap.computeRequested.connect(state.heatmap.request)
        heatmap.cancelRequested.connect(lambda: state.cancel(JobKind.HEATMAP))
        heatmap.exportRequested.connect(self._on_heatmap_export)
        # The image panel's copy of the overlay follows the tab's colormap and opacity.
        heatmap.colormap_picker.currentIndexChanged.connect(lambda _i: self._restyle_image_overlay())
        heatmap.alpha_slider.valueChanged.connect(lambda _v: self._restyle_image_overlay())
        state.job_started.connect(self._on_job_started)
        state.job_finished.connect(self._on_job_finished)

    # --- state → views -----------------------------------------------------------------------------
    def _on_prediction_changed(self, prediction: Prediction | None) -> None:
        self.views.predictions.set_prediction(prediction)
        self.views.activations.set_input_image(None if prediction is None else prediction.seen)
        heatmap = self.views.heatmap
        if self.state.model.info is not None:
            top = [] if prediction is None else [top.index for top in prediction.topk]
            heatmap.set_classes(list(self.state.model.info.categories), top)
            # The heatmap kept for the next image is of the class asked for: the picker must name it, not
            # fall back to this image's top class.
            wanted = self.state.heatmap.requested_class()
            if wanted is not None:
                heatmap.class_picker.select_class(wanted)

    def _on_summary_changed(self, summary: Summary | None) -> None:
        self.views.activations.set_summary(summary)
        if summary is not None and self.state.activations.layers:
            self.views.activations.select_layer(self.state.activations.layers[0])
            self.views.architecture.select_layer(self.state.activations.layers[0])

    def _on_activation_changed(self, _activations: object) -> None:
        self.image_panel.set_box(None)
        capture, layers = self.state.activations.capture, self.state.activations.layers
        activation = None if capture is None or not layers else capture.activations.get(layers[0])
        self.views.activations.set_activation(activation, None if capture is None else capture.grid)

    def _on_heatmap_changed(self, _heatmap: object) -> None:
        shown = self.state.heatmap.on_screen  # the ClassHeatmap with its screen copy, one object
        self.views.heatmap.set_heatmap(None if shown is None else shown.heatmap, shown)
        if shown is None:
            self.image_panel.set_overlay(None)
        else:  # the heatmap over the image panel too, in the Heatmap tab's colormap and opacity
            view = self.views.heatmap
            self.image_panel.set_overlay(
                shown.scores, colormap=view.colormap_name, levels=shown.levels, opacity=float(view.alpha)
            )

    def _restyle_image_overlay(self) -> None:
        view = self.views.heatmap
        self.image_panel.set_overlay_style(view.colormap_name, float(view.alpha))

    def _on_job_started(self, kind: str) -> None:
        if kind == JobKind.HEATMAP:
            self.views.heatmap.set_busy(True)

    def _on_job_finished(self, kind: str) -> None:
        view = self.views.heatmap
        if kind == JobKind.HEATMAP:
            view.set_busy(False)
            # Cancelled or failed: the map shown is still the older class's, and the picker must name it.
            if self.state.heatmap.shown is not None:
                view.class_picker.select_class(self.state.heatmap.shown.class_index)

    # --- views → state -----------------------------------------------------------------------------
    def _on_heatmap_export(self, path: str, overwrite: bool) -> None:
        view = self.views.heatmap
        # A refusal (read-only folder, full disk) is said on the heatmap tab, beside its Export… button.
        on_error = said_on_tab(self.state, view.show_export_message, JobKind.EXPORT_HEATMAP)
        self.state.exports.heatmap(
            path, colormap=view.colormap_name, alpha=view.alpha, force=overwrite, on_error=on_error
        )

    def _on_receptive_field(self, x0: float, y0: float, x1: float, y1: float) -> None:
        entry, info = self.state.image, self.state.model.info
        if entry is None or info is None:
            return
        size = entry.original_size
        if self.state.predictions.preset == "weights":
            box = input_box_to_image((x0, y0, x1, y1), size, info.resize_size, info.input_shape[-1])
        else:
            box = (x0, y0, x1, y1)
        self.image_panel.set_box(box)

    def _on_architecture_layer(self, name: str) -> None:
        """Show a layer picked in the Architecture tab in the Activations tab, if that tab has such a layer.

        Function nodes (``layer1.0.add``) are not modules: the Activations tab captures modules only. Before its
        summary has come (the weights are still loading), a module or block of the graph is kept for it.
        """
        summary, graph = self.state.model.summary, self.state.architecture.graph
        if summary is not None:
            if name not in {node.name for node in summary.iter_nodes()}:
                return
        elif graph is None or not (name in graph.blocks or graph.calls_of(name)):
            return
        self.views.activations.select_layer(name)
        self.state.activations.set_layers([name])
