"""Which analysis jobs AppState submits for the current image, model and options (a mixin of AppState).

Each ``_classify``/``_capture``/``_draw_grid``/``_heatmap`` submits its job when everything it needs is
there, and otherwise cancels what is pending of its kind; results come back through AppState's
``_on_returned``. The data-flow graph depends on the network only: it is asked for when the network changes
(never for a new image, new weights or a new device), and its layout whenever the set of open blocks changes.
Kept apart from AppState so that the state module stays about bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from viewer.core.activation_grid import GridOptions
from viewer.core.graph import Graph, expansion
from viewer.core.layout import Layout
from viewer.engine.class_names import find_class
from viewer.engine.errors import ModelError
from viewer.gui import tasks
from viewer.gui.jobs import JobRunner, Ticket

__all__ = ["AnalysisRequests"]


class AnalysisRequests:
    """Requests for classification, activations (and their mosaic) and the dense heatmap.

    Mixed into ``AppState``, which owns the attributes declared here.
    """

    jobs: JobRunner
    image: Any
    model_info: Any
    preset: str
    tta: bool
    topk: int
    summary: Any
    activations: dict[str, Any] | None
    activation_grid: Any
    grid_options: GridOptions
    layers: list[str]
    _layers_model: str | None
    heatmap_request: dict[str, Any] | None
    choice: Any  # state.ModelChoice
    graph: Graph | None
    graph_layout: Layout | None
    graph_expanded: frozenset[str] | None
    graph_expand_spec: str | None
    _graph_source: tuple[str | None, ...] | None
    graph_changed: Any  # Signal(object)
    graph_layout_changed: Any  # Signal(object)
    _submit: Callable[..., Ticket]
    notify: Callable[..., None]

    # --- the data-flow graph (Architecture tab) ------------------------------------------------------
    def set_graph_expanded(self, expanded: frozenset[str] | set[str]) -> None:
        """Lay the graph out again with the blocks of ``expanded`` open (on the worker; the latest wins)."""
        if self.graph is None:
            return
        self.graph_expanded = frozenset(expanded)
        self._submit(
            "graph-layout",
            tasks.graph_layout,
            self.graph,
            self.graph_expanded,
            description=f"Laying out {self.graph.model_name}",
        )

    def request_groups(self, block: str) -> None:
        """Lay out ``block``'s grouped convolution as its parallel pathways (ResNeXt), on the worker."""
        if self.graph is not None:
            self._submit(
                "graph-groups", tasks.graph_groups, self.graph, block, description=f"Expanding the groups of {block}"
            )

    def _request_graph(self) -> None:
        """Build the graph of the chosen network, unless the one shown (or being built) is already of it."""
        choice = self.choice
        source = ("file", choice.model_file, choice.model_file_sha256) if choice.model_file else ("name", choice.model)
        if source == self._graph_source:
            return
        self._graph_source = source
        self._cancel_quietly("graph-layout")
        if self.graph is not None or self.graph_layout is not None:
            self.graph, self.graph_layout, self.graph_expanded = None, None, None
            self.graph_changed.emit(None)
        label = choice.model_file or choice.model
        self._submit(
            "graph",
            tasks.graph,
            choice.model,
            choice.model_file,
            choice.model_file_sha256,
            description=f"Tracing the data flow of {label}",
        )

    def _graph_arrived(self, graph: Graph) -> None:
        self.graph = graph
        spec, self.graph_expand_spec = self.graph_expand_spec, None
        try:
            expanded = expansion(graph, spec)
        except ModelError as error:  # ``--expand`` named a block this network lacks: its sentence says so
            self.notify(f"{str(error).rstrip('.')}; showing the default level.", level="warning")
            expanded = expansion(graph)
        self.graph_changed.emit(graph)
        self.set_graph_expanded(expanded)

    def _layout_arrived(self, layout: Layout) -> None:
        self.graph_layout = layout
        self.graph_layout_changed.emit(layout)

    def _graph_failed(self, kind: str) -> None:
        if kind == "graph":
            self._graph_source = None  # choosing the network again tries again

    def set_layers(self, layers: Sequence[str]) -> None:
        """Capture ``layers`` for the current image (and keep them captured as the image changes)."""
        self.layers = list(layers)
        self._layers_model = None if self.summary is None else self.summary.model_name
        self._capture()

    def _check_layers(self, summary: Any) -> None:
        """Keep the chosen layers if this model has them; else show its first convolution at once.

        Layers chosen on another model are replaced quietly. Layers asked for this model, or before any
        model was loaded (``viewer gui --layer``), are a mistake worth a sentence.
        """
        known = {node.name for node in summary.iter_nodes()}
        missing = [name for name in self.layers if name not in known]
        if self.layers and not missing:
            self._layers_model = summary.model_name
            return
        first = summary.first_convolution()
        if missing and self._layers_model in (None, summary.model_name):
            try:
                summary.find(missing[0])
            except ModelError as error:  # its sentence says "did you mean"
                shown = f"; showing {first} instead." if first else "."
                self.notify(f"{str(error).rstrip('.')}{shown}", level="warning")
        self.layers = [first] if first else []
        self._layers_model = summary.model_name

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

    def _ready(self, kind: str) -> bool:
        """True when the current image and model allow ``kind``; otherwise cancels what is pending."""
        if self.model_info is None or self.image is None:
            self._cancel_quietly(kind)
            return False
        return True

    def _classify(self) -> None:
        if self._ready("classify"):
            self._submit(
                "classify",
                tasks.classify,
                self.image,
                self.model_info.key,
                topk=self.topk,
                preset=self.preset,
                tta=self.tta,
                description=f"Classifying {self.image.name}",
            )

    def _capture(self) -> None:
        self._cancel_quietly("activation-grid")  # a grid of the old capture is not wanted any more
        if not self.layers or self.summary is None:  # the summary's arrival captures (layers checked then)
            self._cancel_quietly("activations")
        elif self._ready("activations"):
            self._submit(
                "activations",
                tasks.activations_with_grid,
                self.image,
                self.model_info.key,
                list(self.layers),
                preset=self.preset,
                summary=self.summary,
                grid_options=self.grid_options,
                description=f"Capturing {', '.join(self.layers)}",
            )

    def _draw_grid(self) -> None:
        """Redraw the first layer's mosaic if the one shown was drawn with other options."""
        grid = self.activation_grid
        activation = (self.activations or {}).get(self.layers[0]) if self.layers else None
        if activation is None or (
            grid is not None and grid.activation is activation and grid.options == self.grid_options
        ):
            self._cancel_quietly("activation-grid")
            return
        self._submit(
            "activation-grid",
            tasks.activation_grid,
            activation,
            self.grid_options,
            description=f"Drawing the channels of {activation.layer}",
        )

    def _heatmap(self) -> None:
        if self.heatmap_request is None:
            self._cancel_quietly("heatmap")
        elif self._ready("heatmap"):
            options = self._heatmap_options()
            if options is None:
                return
            self._submit(
                "heatmap",
                tasks.heatmap_for_screen,
                self.image,
                self.model_info.key,
                **options,
                description=f"Heatmap of {self.image.name}",
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

    def class_index(self, wanted: str | int | None, *, quiet: bool = False) -> int | None:
        """A class given as an index or a name (case-insensitive) of the loaded model; None if unknown
        (said in the banner unless ``quiet``)."""
        if wanted is None or self.model_info is None:
            return None
        try:
            return find_class(self.model_info.categories, wanted, self.model_info.name)
        except ModelError as error:
            if not quiet:
                self.notify(str(error), level="warning")
            return None

    def requested_class(self) -> int | None:
        """The class the kept heatmap request maps (an index, or a name resolved quietly); None for top."""
        request = self.heatmap_request or {}
        if request.get("class_index") is not None:
            return int(request["class_index"])
        return self.class_index(request.get("class_"), quiet=True)
