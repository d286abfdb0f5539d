"""What the worker's jobs are: their kinds, the ticket (a ``Future``) of each submission, and how they fail.

Plain Python and no Qt, so that the state and the tests can name kinds and read tickets without the runner.
"""

from __future__ import annotations

import enum
import threading
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from viewer.core.errors import ViewerError

__all__ = [
    "ErrorHandler",
    "JobCancelled",
    "JobError",
    "JobKind",
    "LiveTickets",
    "ResultHandler",
    "Stop",
    "Ticket",
    "describe_error",
]


class JobKind(str, enum.Enum):
    """What a job is for; a newer job of a kind supersedes the older one (except ``OPEN``: every drop counts).

    A ``str`` (``JobKind.HEATMAP == "heatmap"``), so that Qt signals and notices carry it as its name.
    """

    def __str__(self) -> str:
        return str(self.value)

    REGISTRY = "registry"
    OPEN = "open"
    MODEL = "model"
    CLASSIFY = "classify"
    SUMMARY = "summary"
    GRAPH = "graph"
    GRAPH_LAYOUT = "graph-layout"
    GRAPH_GROUPS = "graph-groups"
    GRAPH_CONVOLUTIONIZED = "graph-convolutionized"
    LECTURE_TABLE = "lecture-table"
    ACTIVATIONS = "activations"
    ACTIVATION_GRID = "activation-grid"
    HEATMAP = "heatmap"
    EXPORT = "export"
    EXPORT_HEATMAP = "export-heatmap"
    EXPORT_PREDICTIONS = "export-predictions"
    EXPORT_ACTIVATIONS = "export-activations"
    COMPARE = "compare"
    EXPLAIN = "explain"
    EXPLAIN_COSTLY = "explain-costly"
    ZOO = "zoo"
    ZOO_LATENCY = "zoo-latency"
    EXPORT_EXPLANATION = "export-explanation"
    ATLAS = "atlas"
    ATLAS_PATCHES = "atlas-patches"
    ATLAS_SHEET = "atlas-sheet"
    OPTIMISE = "optimise"
    UNIT = "unit"
    EXPORT_CHANNEL = "export-channel"
    LIVE = "live"

    @property
    def label(self) -> str:
        """How a notice about this kind begins ("Heatmap: …")."""
        return _LABELS.get(self, self.value.replace("-", " ").capitalize())


_LABELS = {
    JobKind.CLASSIFY: "Classification",
    JobKind.GRAPH: "Architecture",
    JobKind.GRAPH_LAYOUT: "Architecture",
    JobKind.GRAPH_GROUPS: "Expand groups",
    JobKind.GRAPH_CONVOLUTIONIZED: "Convolutionized",
    JobKind.LECTURE_TABLE: "Table 1",
    JobKind.ACTIVATION_GRID: "Activations",
    JobKind.COMPARE: "Compare",
    JobKind.ZOO: "Model zoo",
    JobKind.ZOO_LATENCY: "Latency",
    JobKind.EXPORT_EXPLANATION: "Export",
    JobKind.EXPLAIN_COSTLY: "Explain",
    JobKind.ATLAS: "Top patches",
    JobKind.ATLAS_PATCHES: "Top patches",
    JobKind.ATLAS_SHEET: "Layer mosaic",
    JobKind.OPTIMISE: "Optimised image",
    JobKind.UNIT: "Deconvolution",
    JobKind.EXPORT_CHANNEL: "Export",
    JobKind.LIVE: "Live",
}


class Stop(enum.Enum):
    """Why a job was stopped before its result was delivered."""

    USER = "the user's Cancel"
    WITHDRAWN = "the state moved on"
    SUPERSEDED = "a newer job of its kind"
    SHUTDOWN = "the app is exiting"


class JobCancelled(Exception):
    """The exception of a ticket whose job was stopped while it ran (see ``Ticket.stopped_by``)."""


@dataclass(frozen=True)
class JobError:
    """How a failed job is shown: one sentence, and for bugs the traceback as details; ``error`` is the original."""

    message: str
    details: str = ""
    is_bug: bool = False
    error: BaseException | None = None


ResultHandler = Callable[[Any], None]
ErrorHandler = Callable[[JobError], None]


class Ticket(Future[Any]):
    """One submitted job: a ``Future`` of its result, with its kind and the handlers bound to it.

    ``cancel()`` is the user's Cancel; :meth:`stop` says why otherwise. Both are safe from any thread: a queued
    job is cancelled outright, a running one stops at its next yield.
    """

    def __init__(
        self,
        kind: JobKind,
        number: int,
        description: str = "",
        on_result: ResultHandler | None = None,
        on_error: ErrorHandler | None = None,
        low_memory: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.number = number
        self.description = description or kind.label
        self.on_result = on_result
        self.on_error = on_error
        self.low_memory = dict(low_memory or {})
        self.stopped_by: Stop | None = None
        self.elapsed_ms: float | None = None  # how long it ran on the worker, once done (nested jobs not counted)
        self.nested_ms = 0.0  # time other jobs ran between two of its steps (``JobRunner._run_urgent``)
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return f"Ticket({self.kind.value!r}, {self.number}, stopped_by={self.stopped_by})"

    def cancel(self) -> bool:
        """The user's Cancel: the job stops, and ``JobRunner.cancelled`` says so."""
        return self.stop(Stop.USER)

    def stop(self, reason: Stop) -> bool:
        """Stop the job (the first reason given is kept); True if it had not finished yet."""
        if self.stopped_by is None:
            self.stopped_by = reason
        self._stop.set()
        return Future.cancel(self) or not self.done()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()


def describe_error(error: BaseException) -> JobError:
    """A ``ViewerError`` is the user's to fix (its sentence); anything else is a bug (with traceback)."""
    if isinstance(error, ViewerError):
        return JobError(str(error), "", False, error)
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    text = str(error).splitlines()[0] if str(error) else ""
    message = f"Bug: {type(error).__name__}{': ' + text[:200] if text else ''} (details show the traceback)."
    return JobError(message, details, True, error)


class LiveTickets:
    """What both job runners (the in-thread one and the engine process's) say of their submitted tickets, in the
    GUI thread's view: the user's Cancel, the state's withdrawal, what is pending. A runner keeps ``_live``
    (submitted, not yet delivered) and ``_closed`` (after its shutdown)."""

    _live: list[Ticket]
    _closed: bool

    def cancel(self, kind: JobKind | None = None) -> None:
        """The user's Cancel of the jobs of ``kind`` (all jobs when None); they stop at their next step."""
        for ticket in self.pending(kind):
            ticket.cancel()

    def withdraw(self, kind: JobKind) -> None:
        """Stop ``kind``'s jobs because the state no longer wants them: no "cancelled" for those."""
        for ticket in self.pending(kind):
            ticket.stop(Stop.WITHDRAWN)

    def pending(self, kind: JobKind | None = None) -> list[Ticket]:
        """Jobs submitted and not yet delivered (in the GUI thread's view), optionally of one kind."""
        return [t for t in self._live if kind is None or t.kind == kind]

    def is_busy(self) -> bool:
        return bool(self._live)

    @property
    def closed(self) -> bool:
        """True once ``shutdown`` was called: no more submissions."""
        return self._closed
