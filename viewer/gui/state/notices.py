"""Notices as state (``AppState.notices``, a sub-state of :class:`viewer.gui.state.AppState`): what is said, until when.

Each notice belongs to a job kind or to the model choice ("model", "weights-file", "recipe"): it goes when that kind
next runs or succeeds (``AppState._submit``), when the input it was about changes (``AppState.input_changed``, by the
job policy) or when the choice changes (``set_model``). The runner says nothing of a job the state withdrew or a
newer one superseded, so "cancelled" is said only for the user's Cancel.

A notice also belongs to a tab: the kinds of the Compare and Explain tabs (and the chart's) are said on their own
tab, never in the window's banner, so that a comparison's failure never shows on another tab
(:attr:`Notice.tab`); everything else is the window's (the banner above every tab).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from viewer.core.errors import BudgetError
from viewer.gui.jobs.tickets import JobError, JobKind, Ticket

__all__ = ["CHOICE_NOTICES", "TAB_OF_KIND", "Notice", "Notices"]

CHOICE_NOTICES = ("model", "weights-file", "recipe")  # notices about the model choice: they go when it changes
# The kinds whose notices are said on one tab (or the chart window) only; the others go to the window's banner.
TAB_OF_KIND: dict[str, str] = {
    JobKind.COMPARE: "compare",
    JobKind.EXPLAIN: "explain",
    JobKind.EXPLAIN_COSTLY: "explain",
    JobKind.EXPORT_EXPLANATION: "explain",
    JobKind.ZOO: "chart",
    JobKind.ZOO_LATENCY: "chart",
}


@dataclass(frozen=True)
class Notice:
    """One message for the banner: ``actions`` are (button text, callback) offered beside it."""

    text: str
    details: str = ""
    level: str = "error"  # "error", "warning" or "info"
    actions: tuple[tuple[str, Callable[[], None]], ...] = ()
    kind: str = ""  # what it is about (a job kind, or "model"): it goes once that succeeds (``Notices.cleared``)

    @property
    def tab(self) -> str:
        """The tab that says it ("compare", "explain", "chart"), or "" for the window's banner."""
        return TAB_OF_KIND.get(self.kind, "")


class Notices(QObject):
    """The notices said now: ``notice`` (the window's banner) and ``tab_notices`` (tab -> the notice it says).

    Signals:
        message(object): a Notice just said (the banner or its tab shows it).
        cleared(str): the kind of notice that no longer holds (its kind succeeded, its input or the choice changed).
    """

    message = Signal(object)
    cleared = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notice: Notice | None = None  # the banner's notice, until its kind succeeds or the user dismisses it
        self.tab_notices: dict[str, Notice] = {}  # each tab's own notice (Compare, Explain, the chart)

    def notify(
        self,
        text: str,
        details: str = "",
        level: str = "error",
        actions: tuple[tuple[str, Callable[[], None]], ...] = (),
        *,
        kind: str = "",
    ) -> None:
        """Show ``text`` in the banner; with a ``kind``, it goes once that kind succeeds (see the docstring)."""
        notice = Notice(text, details, level, tuple(actions), str(kind))
        if notice.tab:
            self.tab_notices[notice.tab] = notice
        else:
            self.notice = notice
        self.message.emit(notice)

    def clear(self, kind: str) -> None:
        """The notice about ``kind`` (if one is shown) no longer holds."""
        if self.notice is not None and self.notice.kind == kind:
            self.notice = None
        tab = TAB_OF_KIND.get(str(kind))
        if tab and (held := self.tab_notices.get(tab)) is not None and held.kind == kind:
            del self.tab_notices[tab]
        self.cleared.emit(str(kind))

    def dismiss(self) -> None:
        """The user closed the banner."""
        self.notice = None

    def job_failed(self, kind: JobKind, error: JobError) -> None:
        """A job of ``kind`` failed: a notice of its kind, or, for a bug, the window's banner with its traceback."""
        if error.is_bug and error.error is not None:
            # A bug, whatever tab it happened for: the window's banner with its traceback and a log entry, like
            # a bug in any handler (a tab's own line has no room for the details).
            from viewer.gui.runtime.error_sink import error_sink

            error_sink.excepthook(type(error.error), error.error, error.error.__traceback__)
            return
        self.notify(
            error.message if error.is_bug else f"{kind.label}: {error.message}",
            error.details,
            level="warning" if isinstance(error.error, BudgetError) else "error",
            kind=kind,
        )

    @Slot(object)
    def cancelled(self, ticket: Ticket) -> None:
        """The user's Cancel of ``ticket``'s job: said until its kind runs again or its input changes."""
        self.notify(f"{ticket.description}: cancelled.", level="info", kind=ticket.kind)
