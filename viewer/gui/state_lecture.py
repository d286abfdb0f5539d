"""The Architecture tab's lecture views in AppState (a mixin): ResNet's Table 1 and the convolutionized graph.

Both are asked for by the user and built on the worker; both belong to the chosen network and go with it
(``job_policy``: withdrawn when the network changes). The convolutionized graph takes the place of the plain one
in ``AppState.graph`` while it is shown, so that the diagram, the table, the totals and the layouts are those of
the graph on screen; the plain graph is kept (``graph_plain``) to come back to, and a new network is shown
convolutionized too while the toggle is on and the network allows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from viewer.core.choice import ModelChoice
from viewer.core.convolutionizable import convolutionize_refusal
from viewer.core.graph import Graph, expansion
from viewer.gui import lecture_tasks
from viewer.gui.jobs import JobError, JobKind, JobRunner, Ticket

if TYPE_CHECKING:
    from viewer.core.layout import Layout
    from viewer.engine.lecture_tables import ResNetTable
    from viewer.gui.state_notices import Notices

__all__ = ["LectureRequests"]


class LectureRequests:
    """Requests for Table 1 and the convolutionized graph; mixed into ``AppState``, which owns these attributes."""

    jobs: JobRunner
    choice: ModelChoice
    graph: Graph | None
    graph_layout: Layout | None
    graph_changed: Any  # Signal(object)
    lecture_table_changed: Any  # Signal(object): engine ResNetTable | None
    convolutionized_failed: Any  # Signal(str): why the convolutionized graph cannot be shown
    _submit: Callable[..., Ticket]
    notices: Notices
    set_graph_expanded: Callable[[frozenset[str] | set[str]], None]
    network_id: Callable[[], str]
    view_memory: dict[str, dict[str, list[str]]]

    def _init_lecture(self) -> None:
        self.lecture_table: ResNetTable | None = None  # of the chosen network (its column marked)
        self.convolutionized_size: tuple[int, int] | None = None  # (width, height) while the toggle is on
        self.graph_plain: Graph | None = None  # the chosen network's own graph, shown or not

    def request_lecture_table(self) -> None:
        """Build Table 1 for the chosen network on the worker, unless it is held already."""
        if self.lecture_table is not None:
            self.lecture_table_changed.emit(self.lecture_table)
            return
        chosen = None if self.choice.model_file else self.choice.model
        self._submit(
            JobKind.LECTURE_TABLE,
            lecture_tasks.lecture_table,
            chosen,
            on_result=self._lecture_table_arrived,
            description="Reading Table 1 off the five ResNets",
        )

    def _lecture_table_arrived(self, table: ResNetTable) -> None:
        self.lecture_table = table
        self.lecture_table_changed.emit(table)

    def set_convolutionized(self, size: tuple[int, int] | None) -> None:
        """Show the chosen network convolutionized for a ``size`` = (width, height) image, or (None) as it is."""
        self.convolutionized_size = size
        plain = self.graph_plain
        if size is None or plain is None:
            self.jobs.withdraw(JobKind.GRAPH_CONVOLUTIONIZED)
            if plain is not None and self.graph is not plain:
                self._show_graph(plain, None)
            return  # with no graph yet, its arrival asks (``_plain_graph_arrived``)
        refusal = convolutionize_refusal(plain)
        if not refusal and self.choice.model_file:
            refusal = f"{plain.model_name}: `viewer graph --model-file … --convolutionized WxH` draws a file's form."
        if refusal:
            self.convolutionized_failed.emit(refusal)
            return
        self._submit(
            JobKind.GRAPH_CONVOLUTIONIZED,
            lecture_tasks.convolutionized_graph,
            self.choice.model,
            size,
            on_result=self._convolutionized_arrived,
            on_error=self._convolutionized_error,
            description=f"Convolutionizing {plain.model_name} for {size[0]}×{size[1]}",
        )

    def _convolutionized_arrived(self, graph: Graph) -> None:
        if self.convolutionized_size is not None:  # not turned off while it was built
            self._show_graph(graph, expansion(graph))

    def _convolutionized_error(self, error: JobError) -> None:
        if error.is_bug:
            self.notices.job_failed(JobKind.GRAPH_CONVOLUTIONIZED, error)
        else:  # a size too small, a network the engine refuses: said beside the toggle
            self.convolutionized_failed.emit(error.message)
        if self.graph_plain is not None and self.graph is not self.graph_plain:
            self._show_graph(self.graph_plain, None)

    def _show_graph(self, graph: Graph, expanded: frozenset[str] | None) -> None:
        """Put ``graph`` on screen in place of the one shown; ``expanded`` None: the blocks remembered for it."""
        self.graph, self.graph_layout = graph, None
        self.graph_changed.emit(graph)
        if expanded is None:
            remembered = self.view_memory.get(self.network_id(), {}).get("expanded")
            expanded = expansion(graph) if remembered is None else frozenset(remembered)
        self.set_graph_expanded(expanded)

    def _lecture_network_changed(self) -> None:
        """Another network: Table 1's marked column and the plain graph are of the previous one."""
        self.graph_plain = None
        if self.lecture_table is not None:
            self.lecture_table = None
            self.lecture_table_changed.emit(None)

    def _plain_graph_arrived(self, graph: Graph) -> None:
        """The chosen network's graph came: convolutionize it too while the toggle is on (and it can be)."""
        self.graph_plain = graph
        if self.convolutionized_size is not None:
            self.set_convolutionized(self.convolutionized_size)

    def shows_plain_graph(self) -> bool:
        """True unless the convolutionized form is on screen (its open blocks are not remembered for the network)."""
        return self.graph is None or self.graph is self.graph_plain
