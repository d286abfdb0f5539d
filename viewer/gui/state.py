"""AppState: what the app is looking at and the latest result of each kind; the only caller of jobs.

Data flows one way: a widget asks the state (``set_image``, ``set_model``...), the state submits a job,
the worker returns ``(result, ticket)``, the runner drops superseded tickets, the state keeps the result
and emits a signal, the widgets draw it. Widgets never call the engine and never read each other.
Which analysis jobs to submit for the current image and model lives in ``state_analysis`` (a mixin).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from viewer.core.activation_grid import GridOptions
from viewer.core.choice import ModelChoice  # re-exported: the GUI names it here
from viewer.core.graph import Graph
from viewer.core.layout import Layout
from viewer.gui import tasks
from viewer.gui.jobs import JobError, JobRunner, Ticket
from viewer.gui.state_analysis import AnalysisRequests
from viewer.gui.state_exports import ExportRequests
from viewer.gui.state_weights import WeightsFallbacks

__all__ = ["AppState", "ModelChoice", "Notice"]

EXPORT_KINDS = ("export", "export-heatmap", "export-predictions", "export-activations")
ANALYSIS_KINDS = ("classify", "summary", "activations", "activation-grid", "heatmap")


@dataclass(frozen=True)
class Notice:
    """One message for the banner: ``actions`` are (button text, callback) offered beside it."""

    text: str
    details: str = ""
    level: str = "error"  # "error", "warning" or "info"
    actions: tuple[tuple[str, Callable[[], None]], ...] = ()
    kind: str = ""  # what it is about ("model"): ``notice_cleared(kind)`` takes it away once that succeeds


class AppState(QObject, AnalysisRequests, WeightsFallbacks, ExportRequests):
    """Images, model choice, options and the latest results; see the module docstring."""

    registry_changed = Signal(object)  # tasks.Registry
    images_changed = Signal(list)  # list[tasks.ImageEntry]
    image_changed = Signal(object)  # tasks.ImageEntry | None
    choice_changed = Signal(object)  # ModelChoice (model loading from now on)
    model_changed = Signal(object)  # tasks.ModelInfo | None (None while loading or after a failure)
    options_changed = Signal()  # preset, tta, topk
    prediction_changed = Signal(object)  # engine Prediction | None
    summary_changed = Signal(object)  # engine Summary | None
    graph_changed = Signal(object)  # core Graph | None (of the chosen network; no weights needed)
    graph_groups_ready = Signal(object)  # core Layout of one block's grouped convolution drawn as its pathways
    graph_layout_changed = Signal(object)  # core Layout | None (the graph drawn with ``graph_expanded`` open)
    activation_changed = Signal(object)  # dict[str, Activation] | None (``activation_grid`` drawn with it)
    activation_grid_changed = Signal(object)  # ChannelGrid redrawn after ``set_grid_options``
    heatmap_changed = Signal(object)  # engine ClassHeatmap | None (``heatmap_on_screen`` comes with it)
    progress = Signal(object, str)  # a progress object (step, total, message) or None when idle; job kind
    job_started = Signal(str)  # kind of the job now running
    job_finished = Signal(str)  # kind of a job that ended (any outcome) with nothing more of its kind queued
    busy_changed = Signal(str)  # description of the running job, "" when idle
    message = Signal(object)  # Notice
    timings_changed = Signal(dict)  # {"forward": ms, "load model": ms, ...}
    export_finished = Signal(object)  # tasks.ExportResult
    weights_file_requested = Signal()  # a notice's "Choose a weights file…" was clicked
    weights_folder_requested = Signal(str)  # a notice's "Open the weights folder" was clicked: that folder
    notice_cleared = Signal(str)  # the kind of notice that no longer holds (its kind succeeded)

    def __init__(self, runner: JobRunner | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = runner or JobRunner(self)
        self.registry: tasks.Registry | None = None
        self.images: list[tasks.ImageEntry] = []
        self.current: int = -1
        self.choice = ModelChoice()
        self.preset = "weights"
        self.tta = False
        self.topk = 5
        self.model_info: tasks.ModelInfo | None = None
        self.prediction: Any = None
        self.summary: Any = None
        self.graph: Graph | None = None
        self.graph_layout: Layout | None = None
        self.graph_expanded: frozenset[str] | None = None  # blocks open in the layout asked for last
        self.graph_expand_spec: str | None = None  # ``--expand``: applied to the next graph that arrives
        self._graph_source: tuple[str | None, ...] | None = None  # the network the graph is (being) built for
        self.activations: dict[str, Any] | None = None
        self.activation_grid: Any = None  # ChannelGrid of the first layer's activation, drawn on the worker
        self.grid_options = GridOptions()
        self.heatmap: Any = None
        self.heatmap_on_screen: tasks.HeatmapOnScreen | None = None  # its scores made small on the worker
        self.layers: list[str] = []
        self._layers_model: str | None = None  # the model whose summary the layers were chosen from
        self.heatmap_request: dict[str, Any] | None = None  # options of the heatmap to keep up to date
        self.timings: dict[str, float] = {}
        self.model_error: JobError | None = None
        self._init_fallbacks()
        self._submitted_at: dict[int, float] = {}
        self._quiet_cancels: set[int] = set()  # tickets the state cancelled itself (see _cancel_quietly)
        self._open_requests = 0
        self.jobs.returned.connect(self._on_returned)
        self.jobs.errored.connect(self._on_errored)
        self.jobs.progress.connect(lambda item, ticket: self.progress.emit(item, ticket.kind))
        self.jobs.finished.connect(self._on_finished)
        self.jobs.started.connect(self._on_started)
        self.jobs.idle.connect(self._on_idle)
        self.jobs.cancelled.connect(self._on_cancelled)
        self.jobs.message.connect(lambda text: self.notify(text, level="warning"))

    # --- queries -----------------------------------------------------------------------------------
    @property
    def image(self) -> tasks.ImageEntry | None:
        return self.images[self.current] if 0 <= self.current < len(self.images) else None

    def is_settled(self) -> bool:
        """Nothing queued or running, and everything asked for is shown (screenshot mode waits for it)."""
        return not self.jobs.is_busy() and self.registry is not None

    # --- requests from widgets ---------------------------------------------------------------------
    def start(self) -> None:
        """Read the registry on the worker (first torch import), then load the chosen model."""
        self._submit("registry", tasks.load_registry, description="Loading torch and the model zoo")

    def open_paths(self, paths: Sequence[str], *, select: str = "first_new") -> Ticket:
        """Load image files or folders (on the worker); files that fail are reported, nothing else changes."""
        paths = [str(p) for p in paths]
        # One kind per request: a second drop must not supersede the first one's loading.
        self._open_requests += 1
        return self._submit(f"open#{self._open_requests}", tasks.open_images, paths, description="Opening images")

    def set_current(self, index: int) -> None:
        if not (0 <= index < len(self.images)) or index == self.current:
            return
        self.current = index
        self._image_switched()

    def step_image(self, delta: int) -> None:
        if self.images:
            self.set_current(max(0, min(len(self.images) - 1, self.current + delta)))

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

    def set_model(self, choice: ModelChoice) -> None:
        """Switch model, weights or device; results of the previous model are never shown afterwards.

        A network whose pretrained weights failed earlier keeps what the user chose instead (see
        ``state_weights``) when it is picked again with its default weights.
        """
        choice = self.with_sticky_weights(choice)
        self.choice = choice
        self.model_info = None
        self.model_error = None
        self.jobs.forget_gpu_fallbacks()
        for kind in ANALYSIS_KINDS:
            self._cancel_quietly(kind)
        self._clear_results(summary=True)
        self.choice_changed.emit(choice)
        self.model_changed.emit(None)
        if self.registry is not None:
            # The graph needs no weights: asked first, so that a long download never holds the Architecture tab.
            self._request_graph()
            label = choice.model_file or choice.model
            self._submit("model", tasks.model_info, choice.key(), description=f"Loading {label}")

    def set_options(self, *, preset: str | None = None, tta: bool | None = None, topk: int | None = None) -> None:
        changed = False
        for name, value in (("preset", preset), ("tta", tta), ("topk", topk)):
            if value is not None and getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self.options_changed.emit()
            self._classify()
            if preset is not None:
                self._capture()

    def cancel(self, kind: str | None = None) -> None:
        self.jobs.cancel(kind)

    def notify(
        self, text: str, details: str = "", level: str = "error", actions: tuple = (), *, kind: str = ""
    ) -> None:
        self.message.emit(Notice(text, details, level, tuple(actions), kind))

    def clear_notice(self, kind: str) -> None:
        """The notice about ``kind`` (if one is shown) no longer holds."""
        self.notice_cleared.emit(kind)

    # --- job results -------------------------------------------------------------------------------
    def _submit(self, kind: str, fn: Callable[..., Any], *args: Any, description: str = "", **kwargs: Any) -> Ticket:
        ticket = self.jobs.submit(kind, fn, *args, description=description, **kwargs)
        self._submitted_at[ticket.number] = time.perf_counter()
        return ticket

    def _image_switched(self) -> None:
        self.image_changed.emit(self.image)
        self._clear_results(summary=False)
        self._classify()
        self._capture()
        self._heatmap()

    def _clear_results(self, *, summary: bool) -> None:
        if self.prediction is not None:
            self.prediction = None
            self.prediction_changed.emit(None)
        self._cancel_quietly("activation-grid")
        self.activation_grid = None
        if self.activations is not None:
            self.activations = None
            self.activation_changed.emit(None)
        self.heatmap_on_screen = None
        if self.heatmap is not None:
            self.heatmap = None
            self.heatmap_changed.emit(None)
        if summary and self.summary is not None:
            self.summary = None
            self.summary_changed.emit(None)

    def _cancel_quietly(self, kind: str) -> None:
        """Cancel ``kind``'s jobs because the state moved on (a model switch): no "cancelled" notice for those,
        which said "Capturing conv1: cancelled." after every switch, as if the user had pressed Cancel."""
        self._quiet_cancels.update(ticket.number for ticket in self.jobs.pending(kind))
        self.jobs.cancel(kind)

    @Slot(object)
    def _on_cancelled(self, ticket: Ticket) -> None:
        if ticket.number in self._quiet_cancels:
            self._quiet_cancels.discard(ticket.number)
            return
        self.notify(f"{ticket.description}: cancelled.", level="info")

    @Slot(object)
    def _on_started(self, ticket: Ticket) -> None:
        self._submitted_at[ticket.number] = time.perf_counter()
        self.busy_changed.emit(ticket.description)
        self.job_started.emit(ticket.kind)

    @Slot(object)
    def _on_finished(self, ticket: Ticket) -> None:
        self._quiet_cancels.discard(ticket.number)
        if not self.jobs.pending(ticket.kind):
            self.job_finished.emit(ticket.kind)

    @Slot()
    def _on_idle(self) -> None:
        self.progress.emit(None, "")
        self.busy_changed.emit("")

    @Slot(object, object)
    def _on_returned(self, result: Any, ticket: Ticket) -> None:
        elapsed_ms = (time.perf_counter() - self._submitted_at.pop(ticket.number, time.perf_counter())) * 1e3
        kind = ticket.kind
        if kind == "registry":
            self.registry = result
            self.registry_changed.emit(result)
            self.set_model(self.choice)
        elif kind.startswith("open#"):
            self._opened(result)
        elif kind == "model":
            # Later jobs must name the model by the key it was loaded (and cached) under: a key rebuilt
            # from the LoadedModel ("cpu" for "auto", the enum for "default", a model file without its
            # ":function") missed the cache, loaded a second copy, and could not load a custom file at all.
            result = replace(result, key=self.choice.key())
            self.model_info = result
            self._fallback_model_loaded(self.choice)
            self.timings = {"load model": elapsed_ms}
            self.timings_changed.emit(dict(self.timings))
            self.model_changed.emit(result)
            self._submit("summary", tasks.summary, result.key, description=f"Summarising {result.name}")
            self._classify()
            self._heatmap()
        elif kind == "classify":
            self.prediction = result
            self.timings.update({k: v for k, v in result.timings_ms.items()})
            self.timings_changed.emit(dict(self.timings))
            self.prediction_changed.emit(result)
        elif kind == "summary":
            self.summary = result
            self._check_layers(result)
            self.summary_changed.emit(result)
            self._capture()
        elif kind == "graph":
            self._graph_arrived(result)
        elif kind == "graph-layout":
            self._layout_arrived(result)
        elif kind == "graph-groups":
            self.graph_groups_ready.emit(result)
        elif kind == "activations":
            self.activations, self.activation_grid = result.activations, result.grid
            self.timings["activations"] = elapsed_ms
            self.timings_changed.emit(dict(self.timings))
            self.activation_changed.emit(result.activations)
            self._draw_grid()  # the options may have changed while it was captured
        elif kind == "activation-grid":
            activation = (self.activations or {}).get(result.layer)
            if activation is result.activation and self.layers and result.layer == self.layers[0]:
                self.activation_grid = result
                self.activation_grid_changed.emit(result)
        elif kind == "heatmap":
            self.heatmap, self.heatmap_on_screen = result.heatmap, result
            self.timings["heatmap"] = elapsed_ms
            self.timings_changed.emit(dict(self.timings))
            self.heatmap_changed.emit(result.heatmap)
        elif kind in EXPORT_KINDS:
            self.export_finished.emit(result)
            extra = f" ({len(result.errors)} problem(s): see details)" if result.errors else ""
            self.notify(
                f"Exported {len(result.files)} file(s) to {result.folder}{extra}.",
                "\n".join(result.errors),
                level="warning" if result.errors else "info",
            )

    def _opened(self, result: tasks.OpenResult) -> None:
        if result.errors:
            first = result.errors[0]
            more = f" (and {len(result.errors) - 1} more: see details)" if len(result.errors) > 1 else ""
            self.notify(first + more, "\n".join(result.errors), level="error")
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

    @Slot(object, object)
    def _on_errored(self, error: JobError, ticket: Ticket) -> None:
        self._submitted_at.pop(ticket.number, None)
        kind = ticket.kind
        if kind == "model":
            self.model_error = error
            self.model_changed.emit(None)
            self._fallback_model_failed(error)
            return
        if kind in ("graph", "graph-layout"):
            self._graph_failed(kind)
        if kind == "registry":
            self.notify("Could not load torch and the model zoo: " + error.message, error.details)
            return
        if kind == "activations" and self.activations is not None:
            # The capture asked for (another layer, or a budget refusal) failed: what is on screen is of
            # the previous request, so it goes rather than stand under the new selection.
            self._cancel_quietly("activation-grid")
            self.activations, self.activation_grid = None, None
            self.activation_changed.emit(None)
        label = {
            "classify": "Classification",
            "summary": "Summary",
            "activations": "Activations",
            "graph": "Architecture",
            "graph-layout": "Architecture",
            "graph-groups": "Expand groups",
            "activation-grid": "Activations",
            "heatmap": "Heatmap",
            "export": "Export",
        }.get(kind, ticket.description)
        self.notify(
            f"{label}: {error.message}" if not error.is_bug else error.message,
            error.details,
            level="warning" if error.error_type == "BudgetError" else "error",
        )
