"""Which analysis jobs AppState submits for the current image, model and options (a mixin of AppState).

Each ``_classify``/``_capture``/``_draw_grid``/``_heatmap`` submits its job, bound to the AppState handler that
stores its result, when everything it needs is there, and otherwise withdraws what is pending of its kind.
The data-flow graph depends on the network only: it is asked for when the network changes
(never for a new image, new weights or a new device), and its layout whenever the set of open blocks changes.
Kept apart from AppState so that the state module stays about bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from viewer.core.activation_grid import GridOptions
from viewer.core.choice import ModelChoice
from viewer.core.errors import ModelError
from viewer.core.graph import Graph, expansion
from viewer.core.layout import Layout
from viewer.engine.class_names import find_class
from viewer.gui import tasks
from viewer.gui.job_policy import Change
from viewer.gui.jobs import JobError, JobKind, JobRunner, Ticket

if TYPE_CHECKING:
    from viewer.core.activation_grid import ChannelGrid
    from viewer.engine.summary import Summary
    from viewer.gui.state_notices import Notices

__all__ = ["AnalysisRequests"]


class AnalysisRequests:
    """Requests for classification, activations (and their mosaic) and the dense heatmap.

    Mixed into ``AppState``, which owns the attributes declared here.
    """

    jobs: JobRunner
    model_info: tasks.ModelInfo | None
    preset: str
    tta: bool
    topk: int
    summary: Summary | None
    capture: tasks.CaptureResult | None
    grid_options: GridOptions
    layers: list[str]
    _layers_model: str | None
    view_memory: dict[str, dict[str, list[str]]]
    heatmap_request: dict[str, Any] | None
    choice: ModelChoice
    graph: Graph | None
    graph_layout: Layout | None
    graph_expanded: frozenset[str] | None
    graph_expand_spec: str | None
    _graph_source: tuple[str | None, ...] | None
    graph_changed: Any  # Signal(object)
    graph_layout_changed: Any  # Signal(object)
    graph_groups_ready: Any  # Signal(object)
    _submit: Callable[..., Ticket]
    input_changed: Callable[[Change], None]
    notices: Notices
    _classified: Callable[[Any], None]
    _captured: Callable[[tasks.CaptureResult], None]
    _capture_failed: Callable[[JobError], None]
    _grid_drawn: Callable[[ChannelGrid], None]
    _heatmap_arrived: Callable[[tasks.HeatmapOnScreen], None]
    shows_plain_graph: Callable[[], bool]
    _lecture_network_changed: Callable[[], None]
    _plain_graph_arrived: Callable[[Graph], None]

    @property
    def image(self) -> tasks.ImageEntry | None:
        raise NotImplementedError  # AppState's

    # --- the data-flow graph (Architecture tab) ------------------------------------------------------
    def set_graph_expanded(self, expanded: frozenset[str] | set[str]) -> None:
        """Lay the graph out again with the blocks of ``expanded`` open (on the worker; the latest wins)."""
        if self.graph is None:
            return
        self.graph_expanded = frozenset(expanded)
        if self.shows_plain_graph():  # the convolutionized form's blocks are not the network's to remember
            self.view_memory.setdefault(self.network_id(), {})["expanded"] = sorted(self.graph_expanded)
        self._submit(
            JobKind.GRAPH_LAYOUT,
            tasks.graph_layout,
            self.graph,
            self.graph_expanded,
            on_result=self._layout_arrived,
            description=f"Laying out {self.graph.model_name}",
        )

    def request_groups(self, block: str) -> None:
        """Lay out ``block``'s grouped convolution as its parallel pathways (ResNeXt), on the worker."""
        if self.graph is not None:
            self._submit(
                JobKind.GRAPH_GROUPS,
                tasks.graph_groups,
                self.graph,
                block,
                on_result=self.graph_groups_ready.emit,
                description=f"Expanding the groups of {block}",
            )

    def _request_graph(self) -> None:
        """Build the graph of the chosen network, unless the one shown (or being built) is already of it."""
        choice = self.choice
        source = ("file", choice.model_file, choice.model_file_sha256) if choice.model_file else ("name", choice.model)
        if source == self._graph_source:
            return
        self._graph_source = source
        self.input_changed(Change.NETWORK)
        self._lecture_network_changed()
        if self.graph is not None or self.graph_layout is not None:
            self.graph, self.graph_layout, self.graph_expanded = None, None, None
            self.graph_changed.emit(None)
        label = choice.model_file or choice.model
        self._submit(
            JobKind.GRAPH,
            tasks.graph,
            choice.model,
            choice.model_file,
            choice.model_file_sha256,
            on_result=self._graph_arrived,
            on_error=self._graph_failed,
            description=f"Tracing the data flow of {label}",
        )

    def _graph_arrived(self, graph: Graph) -> None:
        self.graph = graph
        spec, self.graph_expand_spec = self.graph_expand_spec, None
        remembered = self.view_memory.get(self.network_id(), {}).get("expanded")
        try:
            expanded = expansion(graph, spec) if spec is not None or remembered is None else frozenset(remembered)
        except ModelError as error:  # ``--expand`` named a block this network lacks: its sentence says so
            self.notices.notify(
                f"{str(error).rstrip('.')}; showing the default level.", level="warning", kind=JobKind.GRAPH
            )
            expanded = expansion(graph)
        self.graph_changed.emit(graph)
        self.set_graph_expanded(expanded)
        self._plain_graph_arrived(graph)  # shown convolutionized too while that toggle is on

    def _layout_arrived(self, layout: Layout) -> None:
        self.graph_layout = layout
        self.graph_layout_changed.emit(layout)

    def _graph_failed(self, error: JobError) -> None:
        self._graph_source = None  # choosing the network again tries again
        self.notices.job_failed(JobKind.GRAPH, error)

    def network_id(self) -> str:
        """The chosen network (a registry name or a model file), whatever its weights and device."""
        return self.choice.model_file or self.choice.model or ""

    def set_layers(self, layers: Sequence[str]) -> None:
        """Capture ``layers`` for the current image (and keep them captured as the image changes); they are
        remembered for this network, and chosen again when it is (``_network_switched``)."""
        self.layers = list(layers)
        self._layers_model = self.network_id()
        self.view_memory.setdefault(self._layers_model, {})["layers"] = list(layers)
        self._capture()

    def _network_switched(self, previous: str) -> None:
        """Another network: its own remembered view state (layers, open blocks), or a clean start."""
        if previous == self.network_id():
            return  # the first model (``viewer gui --layer`` set the layers for it), or other weights
        remembered = self.view_memory.get(self.network_id(), {})
        self.layers = list(remembered.get("layers", []))
        self._layers_model = self.network_id() if self.layers else None

    def _check_layers(self, summary: Summary) -> None:
        """Keep the chosen layers if this model has them; else show its first convolution at once.

        Layers remembered for another network never reach here (``_network_switched``); layers a view asked for
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
                self.notices.notify(f"{str(error).rstrip('.')}{shown}", level="warning", kind=JobKind.SUMMARY)
        self.layers = [first] if first else []

    def set_grid_options(self, options: GridOptions) -> None:
        """Draw the shown activation's mosaic with new options (on the worker; cheap next to a capture)."""
        if options == self.grid_options:
            return
        self.grid_options = options
        self._draw_grid()

    def request_heatmap(self, **options: Any) -> None:
        """Compute the dense heatmap (options go to the engine's ``dense_heatmap``) and keep it current."""
        self.heatmap_request = dict(options)
        self._heatmap()

    def _ready(self, kind: JobKind) -> tuple[tasks.ImageEntry, ModelChoice] | None:
        """The current image and model when both are there for ``kind``; otherwise withdraws what is pending."""
        image, info = self.image, self.model_info
        if info is None or info.key is None or image is None:
            self.jobs.withdraw(kind)
            return None
        return image, info.key

    def _classify(self) -> None:
        ready = self._ready(JobKind.CLASSIFY)
        if ready is not None:
            image, model = ready
            self._submit(
                JobKind.CLASSIFY,
                tasks.classify,
                image,
                model=model,
                topk=self.topk,
                preset=self.preset,
                tta=self.tta,
                on_result=self._classified,
                description=f"Classifying {image.name}",
            )

    def _capture(self) -> None:
        self.jobs.withdraw(JobKind.ACTIVATION_GRID)  # a grid of the old capture is not wanted any more
        if not self.layers or self.summary is None:  # the summary's arrival captures (layers checked then)
            self.jobs.withdraw(JobKind.ACTIVATIONS)
            return
        ready = self._ready(JobKind.ACTIVATIONS)
        if ready is not None:
            image, model = ready
            self._submit(
                JobKind.ACTIVATIONS,
                tasks.activations_with_grid,
                image,
                model=model,
                layers=list(self.layers),
                preset=self.preset,
                summary=self.summary,
                grid_options=self.grid_options,
                on_result=self._captured,
                on_error=self._capture_failed,
                description=f"Capturing {', '.join(self.layers)}",
            )

    def _draw_grid(self) -> None:
        """Redraw the first layer's mosaic if the one shown was drawn with other options."""
        capture = self.capture
        activation = capture.activations.get(self.layers[0]) if capture is not None and self.layers else None
        if activation is None or (capture is not None and capture.grid_matches(self.layers[0], self.grid_options)):
            self.jobs.withdraw(JobKind.ACTIVATION_GRID)
            return
        self._submit(
            JobKind.ACTIVATION_GRID,
            tasks.activation_grid,
            activation,
            self.grid_options,
            on_result=self._grid_drawn,
            description=f"Drawing the channels of {activation.layer}",
        )

    def _heatmap(self) -> None:
        if self.heatmap_request is None:
            self.jobs.withdraw(JobKind.HEATMAP)
            return
        ready = self._ready(JobKind.HEATMAP)
        options = None if ready is None else self._heatmap_options()
        if ready is not None and options is not None:
            image, model = ready
            self._submit(
                JobKind.HEATMAP,
                tasks.heatmap_for_screen,
                image,
                model=model,
                **options,
                on_result=self._heatmap_arrived,
                low_memory=None if options.get("max_tile_pixels") else {"max_tile_pixels": tasks.SMALL_TILE_PIXELS},
                description=f"Heatmap of {image.name}",
            )

    def _heatmap_options(self) -> dict[str, Any] | None:
        """The heatmap request as ``dense_heatmap`` arguments (a class name resolved); None if unknown."""
        options = dict(self.heatmap_request or {})
        if "class_" in options:
            index = self.class_index(options.pop("class_"))
            if index is None:
                return None
            options["class_index"] = index
        return options

    def class_index(
        self, wanted: str | int | None, *, quiet: bool = False, kind: JobKind = JobKind.HEATMAP
    ) -> int | None:
        """A class given as an index or a name (case-insensitive) of the loaded model; None if unknown
        (said as a notice of ``kind`` unless ``quiet``)."""
        if wanted is None or self.model_info is None:
            return None
        try:
            return find_class(self.model_info.categories, wanted, self.model_info.name)
        except ModelError as error:
            if not quiet:
                self.notices.notify(str(error), level="warning", kind=kind)
            return None

    def requested_class(self) -> int | None:
        """The class the kept heatmap request maps (an index, or a name resolved quietly); None for top."""
        request = self.heatmap_request or {}
        if request.get("class_index") is not None:
            return int(request["class_index"])
        return self.class_index(request.get("class_"), quiet=True)
