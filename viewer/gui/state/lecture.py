"""The Architecture tab's lecture views (``AppState.lecture``): ResNet's Table 1 and the convolutionized graph.

Both are asked for by the user and built on the worker; both belong to the chosen network and go with it
(``job_policy``: withdrawn when the network changes; ``ArchitectureState.plain_changed`` says when). The
convolutionized graph takes the place of the plain one in ``ArchitectureState.graph`` while it is shown, so that
the diagram, the table, the totals and the layouts are those of the graph on screen; the plain graph is kept
(``ArchitectureState.plain``) to come back to, and a new network is shown convolutionized too while the toggle is
on and the network allows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.graph.convolutionizable import convolutionize_refusal
from viewer.core.graph.dataflow import Graph, expansion
from viewer.core.job_names import JobName
from viewer.gui.jobs.runner import JobRunner
from viewer.gui.jobs.tickets import JobError, JobKind, Ticket
from viewer.gui.state.architecture import ArchitectureState
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices

if TYPE_CHECKING:
    from viewer.core.results.lecture import ResNetTable

__all__ = ["LectureHost", "LectureState"]


class LectureHost(Protocol):
    """What :class:`LectureState` uses of the app: the model choice, the runner and the one submission path."""

    jobs: JobRunner
    model: ModelState

    def _submit(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], **kwargs: Any
    ) -> Ticket: ...


class LectureState(QObject):
    """``table`` (Table 1 of the chosen network, its column marked) and ``convolutionized_size`` ((width,
    height) while the convolutionized toggle is on, else None); shows its graphs through ``architecture``.

    Signals:
        table_changed(object): the engine ResNetTable, or None when the network changed.
        convolutionized_failed(str): why the convolutionized graph asked for is not shown.
    """

    table_changed = Signal(object)
    convolutionized_failed = Signal(str)

    def __init__(
        self, app: LectureHost, architecture: ArchitectureState, notices: Notices, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._architecture = architecture
        self._notices = notices
        self.table: ResNetTable | None = None
        self.convolutionized_size: tuple[int, int] | None = None
        architecture.plain_changed.connect(self._plain_changed)

    def request_table(self) -> None:
        """Build Table 1 for the chosen network on the worker, unless it is held already."""
        if self.table is not None:
            self.table_changed.emit(self.table)
            return
        choice = self._app.model.choice
        chosen = None if choice.model_file else choice.model
        self._app._submit(
            JobKind.LECTURE_TABLE,
            JobName.LECTURE_TABLE,
            chosen,
            on_result=self._table_arrived,
            description="Reading Table 1 off the five ResNets",
        )

    def _table_arrived(self, table: ResNetTable) -> None:
        self.table = table
        self.table_changed.emit(table)

    def set_convolutionized(self, size: tuple[int, int] | None) -> None:
        """Show the chosen network convolutionized for a ``size`` = (width, height) image, or (None) as it is."""
        self.convolutionized_size = size
        architecture = self._architecture
        plain = architecture.plain
        if size is None or plain is None:
            self._app.jobs.withdraw(JobKind.GRAPH_CONVOLUTIONIZED)
            if plain is not None and architecture.graph is not plain:
                architecture.show_graph(plain, None)
            return  # with no graph yet, its arrival asks (``_plain_changed``)
        refusal = convolutionize_refusal(plain)
        if not refusal and self._app.model.choice.model_file:
            refusal = f"{plain.model_name}: `viewer graph --model-file … --convolutionized WxH` draws a file's form."
        if refusal:
            self.convolutionized_failed.emit(refusal)
            return
        self._app._submit(
            JobKind.GRAPH_CONVOLUTIONIZED,
            JobName.CONVOLUTIONIZED_GRAPH,
            self._app.model.choice.model,
            size,
            on_result=self._convolutionized_arrived,
            on_error=self._convolutionized_error,
            description=f"Convolutionizing {plain.model_name} for {size[0]}×{size[1]}",
        )

    def _convolutionized_arrived(self, graph: Graph) -> None:
        if self.convolutionized_size is not None:  # not turned off while it was built
            self._architecture.show_graph(graph, expansion(graph))

    def _convolutionized_error(self, error: JobError) -> None:
        if error.is_bug:
            self._notices.job_failed(JobKind.GRAPH_CONVOLUTIONIZED, error)
        else:  # a size too small, a network the engine refuses: said beside the toggle
            self.convolutionized_failed.emit(error.message)
        architecture = self._architecture
        if architecture.plain is not None and architecture.graph is not architecture.plain:
            architecture.show_graph(architecture.plain, None)

    def _plain_changed(self, graph: Graph | None) -> None:
        """Another network (None): Table 1's marked column is of the previous one. Its graph came: convolutionize
        it too while the toggle is on (and it can be)."""
        if graph is None:
            if self.table is not None:
                self.table = None
                self.table_changed.emit(None)
        elif self.convolutionized_size is not None:
            self.set_convolutionized(self.convolutionized_size)
