"""The Activations and Heatmap tabs' state (``AppState.activations``, ``AppState.heatmap``): request and result.

Each submits its job for the shown image and the loaded model through the app's one submission path when
everything it needs is there (``AnalysisHost._ready``), and otherwise withdraws what is pending of its kind. A
result is kept with its on-screen form, as one object (a capture with its first layer's mosaic, a heatmap with
its screen copy). The app asks for them again when the image, the model or the preset changes, and clears them
(``clear``) when what they were of is no longer shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.activation_grid import GridOptions
from viewer.core.errors import ModelError
from viewer.core.job_names import JobName
from viewer.core.network.choice import ModelChoice
from viewer.core.options import SMALL_TILE_PIXELS, HeatmapRequest
from viewer.core.results.activation import CaptureResult
from viewer.core.results.heatmap import HeatmapOnScreen
from viewer.core.results.session import ImageEntry
from viewer.gui.jobs.runner import JobRunner
from viewer.gui.jobs.tickets import JobError, JobKind, Ticket
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices
from viewer.gui.state.predictions import PredictionsState

if TYPE_CHECKING:
    from viewer.core.activation_grid import ChannelGrid
    from viewer.core.results.activation import Activation
    from viewer.core.results.heatmap import ClassHeatmap
    from viewer.core.results.summary import Summary

__all__ = ["ActivationsState", "AnalysisHost", "HeatmapState"]


class AnalysisHost(Protocol):
    """What the analysis sub-states use of the app: the runner, the one submission path, the shown image with the
    loaded model (``_ready``), the model (its summary, its classes), the preset and the timings."""

    jobs: JobRunner
    model: ModelState
    predictions: PredictionsState

    def _ready(self, kind: JobKind) -> tuple[ImageEntry, ModelChoice] | None: ...
    def _record_time(self, name: str) -> None: ...
    def _submit(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], **kwargs: Any
    ) -> Ticket: ...


class ActivationsState(QObject):
    """``layers`` (captured for the shown image), ``capture`` (their activations with the first layer's mosaic),
    ``grid_options`` (how the mosaic is drawn) and ``memory`` (network -> the layers chosen on it).

    Signals:
        changed(object): dict[str, Activation] captured, or None when they no longer hold.
        grid_changed(object): the ChannelGrid redrawn after ``set_grid_options``.
    """

    changed = Signal(object)
    grid_changed = Signal(object)

    def __init__(self, app: AnalysisHost, notices: Notices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._notices = notices
        self.layers: list[str] = []
        self._layers_model: str | None = None  # the network the layers were chosen on; None: before any
        self.memory: dict[str, list[str]] = {}  # network -> the layers chosen on it, restored when chosen again
        self.capture: CaptureResult | None = None  # activations with the first layer's mosaic
        self.grid_options = GridOptions()

    @property
    def shown(self) -> dict[str, Activation] | None:
        """The activations shown (``capture.activations``)."""
        return None if self.capture is None else self.capture.activations

    @property
    def grid(self) -> ChannelGrid | None:
        """The first layer's mosaic as shown (``capture.grid``)."""
        return None if self.capture is None else self.capture.grid

    # --- requests ------------------------------------------------------------------------------------
    def set_layers(self, layers: Sequence[str]) -> None:
        """Capture ``layers`` for the current image (and keep them captured as the image changes); they are
        remembered for this network, and chosen again when it is (``network_switched``)."""
        self.layers = list(layers)
        self._layers_model = self._app.model.network_id()
        self.memory[self._layers_model] = list(layers)
        self.request()

    def set_grid_options(self, options: GridOptions) -> None:
        """Draw the shown activation's mosaic with new options (on the worker; cheap next to a capture)."""
        if options == self.grid_options:
            return
        self.grid_options = options
        self._draw_grid()

    def network_switched(self, previous: str) -> None:
        """Another network: its own remembered layers, or a clean start."""
        network = self._app.model.network_id()
        if previous == network:
            return  # the first model (``viewer gui --layer`` set the layers for it), or other weights
        self.layers = list(self.memory.get(network, []))
        self._layers_model = network if self.layers else None

    def check_layers(self, summary: Summary) -> None:
        """Keep the chosen layers if this model has them; else show its first convolution at once.

        Layers remembered for another network never reach here (``network_switched``); layers a view asked for
        are this network's. Only layers named before any model was loaded (``viewer gui --layer``) can be
        missing, a mistake worth a sentence.
        """
        known = {node.name for node in summary.iter_nodes()}
        missing = [name for name in self.layers if name not in known]
        if self.layers and not missing:
            return
        first = summary.first_convolution()
        if missing and self._layers_model is None:
            try:
                summary.find(missing[0])
            except ModelError as error:  # its sentence says "did you mean"
                shown = f"; showing {first} instead." if first else "."
                self._notices.notify(f"{str(error).rstrip('.')}{shown}", level="warning", kind=JobKind.SUMMARY)
        self.layers = [first] if first else []

    def request(self) -> None:
        """Capture the chosen layers for the shown image (withdrawn while something it needs is missing)."""
        jobs = self._app.jobs
        jobs.withdraw(JobKind.ACTIVATION_GRID)  # a grid of the old capture is not wanted any more
        if not self.layers or self._app.model.summary is None:  # the summary's arrival captures (layers checked)
            jobs.withdraw(JobKind.ACTIVATIONS)
            return
        ready = self._app._ready(JobKind.ACTIVATIONS)
        if ready is not None:
            image, model = ready
            self._app._submit(
                JobKind.ACTIVATIONS,
                JobName.ACTIVATIONS_WITH_GRID,
                image,
                model=model,
                layers=list(self.layers),
                preset=self._app.predictions.preset,
                grid_options=self.grid_options,
                on_result=self._captured,
                on_error=self._capture_failed,
                description=f"Capturing {', '.join(self.layers)}",
            )

    def clear(self) -> None:
        """What is shown is of an image or model no longer shown: it goes (and its mosaic's job)."""
        self._app.jobs.withdraw(JobKind.ACTIVATION_GRID)
        if self.capture is not None:
            self.capture = None
            self.changed.emit(None)

    def _draw_grid(self) -> None:
        """Redraw the first layer's mosaic if the one shown was drawn with other options."""
        capture = self.capture
        activation = capture.activations.get(self.layers[0]) if capture is not None and self.layers else None
        if activation is None or (capture is not None and capture.grid_matches(self.layers[0], self.grid_options)):
            self._app.jobs.withdraw(JobKind.ACTIVATION_GRID)
            return
        self._app._submit(
            JobKind.ACTIVATION_GRID,
            JobName.ACTIVATION_GRID,
            activation,
            self.grid_options,
            on_result=self._grid_drawn,
            description=f"Drawing the channels of {activation.layer}",
        )

    # --- results -------------------------------------------------------------------------------------
    def _captured(self, capture: CaptureResult) -> None:
        self.capture = capture
        self._app._record_time("activations")
        self.changed.emit(capture.activations)
        self._draw_grid()  # the options may have changed while it was captured

    def _capture_failed(self, error: JobError) -> None:
        # The capture asked for (another layer, or a budget refusal) failed: what is on screen is of the
        # previous request, so it goes rather than stand under the new selection.
        if self.capture is not None:
            self.clear()
        self._notices.job_failed(JobKind.ACTIVATIONS, error)

    def _grid_drawn(self, grid: ChannelGrid) -> None:
        # Withdrawn whenever the capture or the layers change, so a grid delivered is of the capture shown; it
        # comes back from the engine with a copy of the activation sent, so it is given the shown one again (the
        # view shows a grid only over the very activation it was drawn from).
        shown = None if self.capture is None else self.capture.activations.get(grid.layer)
        if self.capture is not None and shown is not None:
            grid = replace(grid, activation=shown)
            self.capture = replace(self.capture, grid=grid)
            self.grid_changed.emit(grid)


class HeatmapState(QObject):
    """``requested`` (the dense heatmap asked for, kept up to date for every image and model; None until one is
    asked for) and ``on_screen`` (the ClassHeatmap shown, with its screen copy).

    Signals:
        changed(object): the engine ClassHeatmap shown, or None when it no longer holds.
    """

    changed = Signal(object)

    def __init__(self, app: AnalysisHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self.requested: HeatmapRequest | None = None
        self.on_screen: HeatmapOnScreen | None = None

    @property
    def shown(self) -> ClassHeatmap | None:
        """The heatmap shown (``on_screen.heatmap``)."""
        return None if self.on_screen is None else self.on_screen.heatmap

    def request(self, requested: HeatmapRequest) -> None:
        """Compute this dense heatmap and keep it current."""
        self.requested = requested
        self.refresh()

    def refresh(self) -> None:
        """Compute the heatmap asked for on the shown image and model (withdrawn while one is missing)."""
        if self.requested is None:
            self._app.jobs.withdraw(JobKind.HEATMAP)
            return
        ready = self._app._ready(JobKind.HEATMAP)
        options = None if ready is None else self.engine_options()
        if ready is not None and options is not None:
            image, model = ready
            self._app._submit(
                JobKind.HEATMAP,
                JobName.HEATMAP_FOR_SCREEN,
                image,
                model=model,
                **options,
                on_result=self._arrived,
                low_memory=None if self.requested.max_tile_pixels else {"max_tile_pixels": SMALL_TILE_PIXELS},
                description=f"Heatmap of {image.name}",
            )

    def engine_options(self) -> dict[str, object] | None:
        """The request (the default one if none was made) as the engine job's arguments, a class name resolved;
        None if that class is unknown (a notice said so)."""
        requested = self.requested or HeatmapRequest()
        index = requested.class_index
        if requested.class_name is not None:
            index = self._app.model.class_index(requested.class_name)
            if index is None:
                return None
        return requested.engine_options(index)

    def requested_class(self) -> int | None:
        """The class the kept heatmap request maps (an index, or a name resolved quietly); None for top."""
        requested = self.requested
        if requested is None or requested.class_index is not None:
            return None if requested is None else requested.class_index
        return self._app.model.class_index(requested.class_name, quiet=True)

    def clear(self) -> None:
        """The heatmap shown is of an image or model no longer shown: it goes."""
        if self.on_screen is not None:
            self.on_screen = None
            self.changed.emit(None)

    def _arrived(self, shown: HeatmapOnScreen) -> None:
        self.on_screen = shown
        self._app._record_time("heatmap")
        self.changed.emit(shown.heatmap)
