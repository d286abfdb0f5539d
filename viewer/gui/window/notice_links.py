"""Wiring of the notice banner above the tabs: the state's notices, the error sink's reports, and the weights
folder that a missing-weights notice offers to open."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore

from viewer.gui.runtime.error_sink import error_sink
from viewer.gui.state import AppState, Notice
from viewer.gui.widgets.notices import NoticeBanner

__all__ = ["NoticeLinks"]


class NoticeLinks(QtCore.QObject):
    """Shows ``state``'s notices (those not said on their own tab) and uncaught errors in ``banner``;
    ``open_folder`` opens a folder in the file manager (False: none could)."""

    def __init__(
        self,
        state: AppState,
        banner: NoticeBanner,
        open_folder: Callable[[], Callable[[str], bool]],
        parent: QtCore.QObject,
    ) -> None:
        super().__init__(parent)
        self._state, self._banner, self._open_folder = state, banner, open_folder
        self._shown: Notice | None = None  # the state's latest notice, kept after its banner is dismissed
        state.notices.message.connect(self._show)
        state.notices.cleared.connect(banner.clear)
        state.weights.folder_requested.connect(self._open_weights_folder)
        banner.dismissed.connect(state.notices.dismiss)
        error_sink.reported.connect(self._on_error_reported)

    def disconnect_errors(self) -> None:
        """Stop showing uncaught errors (the window is closing)."""
        error_sink.reported.disconnect(self._on_error_reported)

    def _on_error_reported(self, text: str, details: str, level: str) -> None:
        self._banner.show_notice(text, details, level)

    def _show(self, notice: Notice) -> None:
        if notice.tab:  # said on its own tab (compare_links), never in the banner above every tab
            return
        self._shown = notice
        self._banner.show_notice(notice.text, notice.details, notice.level, notice.actions, notice.kind)

    def _open_weights_folder(self, folder: str) -> None:
        """The notice's "Open the weights folder": open it, and keep the notice (its Retry is needed once a file
        is copied there) with the folder's path to copy, which is all there is when no file manager opens it."""
        opened = bool(self._open_folder()(folder))
        notice = self._shown
        if notice is not None and self._banner.isHidden():  # its button dismissed it: it comes back
            self._state.notices.notify(notice.text, notice.details, notice.level, notice.actions, kind=notice.kind)
        if opened:
            note = "Opened in the file manager. Copy the weights file into this folder, then Retry:"
        else:
            note = "No file manager could open the weights folder. Copy its path and put the weights file there:"
        self._banner.show_path(folder, note)
