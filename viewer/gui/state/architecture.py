"""The Architecture tab's state (``AppState.architecture``): the data-flow graph on screen and its layout.

The graph depends on the network only: it is asked for when the network changes (never for a new image, new
weights or a new device), and its layout whenever the set of open blocks or the direction (``direction``: the
data flowing down or to the right) changes. The blocks open on a network
are remembered for it (``memory``) and opened again when it is chosen again. ``graph`` is the graph on screen:
the network's own (``plain``) or, while the lecture's toggle is on, its convolutionized form
(:class:`~viewer.gui.state.lecture.LectureState` puts it there with :meth:`ArchitectureState.show_graph`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.diagram.layout import Direction, Layout
from viewer.core.errors import GraphGone, ModelError
from viewer.core.graph.dataflow import Graph, expansion
from viewer.core.job_names import JobName
from viewer.gui.jobs.policy import Change
from viewer.gui.jobs.tickets import JobError, JobKind, Ticket
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices

__all__ = ["ArchitectureHost", "ArchitectureState"]


class ArchitectureHost(Protocol):
    """What :class:`ArchitectureState` uses of the app: the model, the job policy and the one submission path."""

    model: ModelState

    def input_changed(self, change: Change) -> None: ...
    def _submit(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], **kwargs: Any
    ) -> Ticket: ...


class ArchitectureState(QObject):
    """``graph`` (on screen), ``layout`` (of it, with the blocks of ``expanded`` open, flowing in ``direction``),
    ``plain`` (the chosen network's own graph), ``expand_spec`` (``--expand``, for the next graph) and ``memory``
    (network -> its open blocks).

    Signals:
        graph_changed(object): the core Graph on screen, or None while the network's is built.
        layout_changed(object): the core Layout of ``graph`` with ``expanded`` open.
        groups_ready(object): the core Layout of one block's grouped convolution drawn as its pathways.
        plain_changed(object): the chosen network's own Graph: None when the network changes, then the Graph.
    """

    graph_changed = Signal(object)
    layout_changed = Signal(object)
    groups_ready = Signal(object)
    plain_changed = Signal(object)

    def __init__(self, app: ArchitectureHost, notices: Notices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._notices = notices
        self.graph: Graph | None = None
        self.layout: Layout | None = None
        self.expanded: frozenset[str] | None = None  # blocks open in the layout asked for last
        self.direction: Direction = "TB"  # where the data flows in every layout asked for (the groups' window too)
        self.expand_spec: str | None = None  # ``--expand``: applied to the next graph that arrives
        self.plain: Graph | None = None  # the chosen network's own graph, shown or not
        self.memory: dict[str, list[str]] = {}  # network -> the blocks open on it, restored when chosen again
        self._source: tuple[str | None, ...] | None = None  # the network the graph is (being) built for
        self._graph_waits = False  # its trace waits for the model's top-k to be asked for (request_graph)

    def shows_plain_graph(self) -> bool:
        """True unless the convolutionized form is on screen (its open blocks are not remembered for the network)."""
        return self.graph is None or self.graph is self.plain

    def set_expanded(self, expanded: frozenset[str] | set[str]) -> None:
        """Lay the graph out again with the blocks of ``expanded`` open (on the worker; the latest wins)."""
        if self.graph is None:
            return
        self.expanded = frozenset(expanded)
        if self.shows_plain_graph():  # the convolutionized form's blocks are not the network's to remember
            self.memory[self._app.model.network_id()] = sorted(self.expanded)
        self._draw(
            JobKind.GRAPH_LAYOUT,
            JobName.GRAPH_LAYOUT,
            self.expanded,
            self.direction,
            on_result=self._layout_arrived,
            description=f"Laying out {self.graph.model_name}",
        )

    def set_direction(self, direction: Direction) -> None:
        """Lay the graph out again with the data flowing down ("TB") or to the right ("LR"), the same blocks open."""
        if direction == self.direction:
            return
        self.direction = direction
        if self.graph is not None and self.expanded is not None:
            self.set_expanded(self.expanded)

    def request_groups(self, block: str) -> None:
        """Lay out ``block``'s grouped convolution as its parallel pathways (ResNeXt), on the worker."""
        if self.graph is not None:
            self._draw(
                JobKind.GRAPH_GROUPS,
                JobName.GRAPH_GROUPS,
                block,
                self.direction,
                on_result=self.groups_ready.emit,
                description=f"Expanding the groups of {block}",
            )

    def _draw(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], description: str
    ) -> None:
        """A drawing of the shown graph, asked for by the key the engine gave it (``Graph.key``); the whole graph
        is sent only when the engine no longer holds it."""
        graph = self.graph
        assert graph is not None

        def failed(error: JobError) -> None:
            if isinstance(error.error, GraphGone) and graph is self.graph:
                self._app._submit(kind, job, graph, *args, on_result=on_result, description=description)
            else:
                self._notices.job_failed(kind, error)

        self._app._submit(
            kind,
            job,
            graph.key or graph,
            *args,
            on_result=on_result,
            on_error=failed if graph.key else None,
            description=description,
        )

    def show_graph(self, graph: Graph, expanded: frozenset[str] | None) -> None:
        """Put ``graph`` on screen in place of the one shown; ``expanded`` None: the blocks remembered for it."""
        self.graph, self.layout = graph, None
        self.graph_changed.emit(graph)
        if expanded is None:
            remembered = self.memory.get(self._app.model.network_id())
            expanded = expansion(graph) if remembered is None else frozenset(remembered)
        self.set_expanded(expanded)

    def request_graph(self, *, now: bool = True) -> None:
        """Build the graph of the chosen network, unless the one shown (or being built) is already of it.

        ``now=False`` (a model switch): what is of another network goes at once, and the trace is asked for by
        :meth:`submit_waiting_graph`, once the model's top-k has been asked for (an idle engine starts the first
        job it reads, and the top-k is what the user waits for)."""
        choice = self._app.model.choice
        source = ("file", choice.model_file, choice.model_file_sha256) if choice.model_file else ("name", choice.model)
        if source == self._source:
            return
        self._source = source
        self._app.input_changed(Change.NETWORK)
        self.plain = None
        self.plain_changed.emit(None)  # Table 1's marked column is of the previous network
        if self.graph is not None or self.layout is not None:
            self.graph, self.layout, self.expanded = None, None, None
            self.graph_changed.emit(None)
        self._graph_waits = not now
        if now:
            self._submit_graph()

    def submit_waiting_graph(self) -> None:
        """Ask for the trace that :meth:`request_graph` left waiting, if one does."""
        if self._graph_waits:
            self._graph_waits = False
            self._submit_graph()

    def _submit_graph(self) -> None:
        choice = self._app.model.choice
        label = choice.model_file or choice.model
        self._app._submit(
            JobKind.GRAPH,
            JobName.GRAPH,
            choice.model,
            choice.model_file,
            choice.model_file_sha256,
            on_result=self._graph_arrived,
            on_error=self._graph_failed,
            description=f"Tracing the data flow of {label}",
        )

    def _graph_arrived(self, graph: Graph) -> None:
        self.graph = graph
        spec, self.expand_spec = self.expand_spec, None
        remembered = self.memory.get(self._app.model.network_id())
        try:
            expanded = expansion(graph, spec) if spec is not None or remembered is None else frozenset(remembered)
        except ModelError as error:  # ``--expand`` named a block this network lacks: its sentence says so
            self._notices.notify(
                f"{str(error).rstrip('.')}; showing the default level.", level="warning", kind=JobKind.GRAPH
            )
            expanded = expansion(graph)
        self.graph_changed.emit(graph)
        self.set_expanded(expanded)
        self.plain = graph
        self.plain_changed.emit(graph)  # shown convolutionized too while that toggle is on

    def _layout_arrived(self, layout: Layout) -> None:
        self.layout = layout
        self.layout_changed.emit(layout)

    def _graph_failed(self, error: JobError) -> None:
        self._source = None  # choosing the network again tries again
        self._notices.job_failed(JobKind.GRAPH, error)
