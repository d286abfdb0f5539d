"""The message banner above the tabs: its text (wrapped), dismissible, details (a traceback, a list) on click.

Non-modal on purpose: a bad file dropped or a failed download must never block the window. Its action buttons
have a row of their own (four of them beside a long offline message made the banner wider than a laptop's
screen), and a notice about a folder can show the folder's path, selectable and with a Copy button, for when no
file manager can open it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

__all__ = ["NoticeBanner"]

TEXT_MIN_WIDTH = 160  # a long word (a URL, a path) may run past it, clipped, rather than widen the window

_COLOURS = {
    "error": ("#fdecea", "#b3261e"),
    "warning": ("#fff4e5", "#8a5300"),
    "info": ("#e8f1fb", "#0b4f8a"),
}


class NoticeBanner(QtWidgets.QFrame):
    """Shows the latest notice; ``Details`` expands the details text, ``×`` hides the banner."""

    dismissed = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notices")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.text_label = QtWidgets.QLabel()
        self.text_label.setObjectName("noticeText")
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text_label.setMinimumWidth(TEXT_MIN_WIDTH)  # not its longest word's width: see TEXT_MIN_WIDTH
        self.details_button = QtWidgets.QToolButton()
        self.details_button.setText("Details")
        self.details_button.setObjectName("noticeDetailsButton")
        self.details_button.setCheckable(True)
        self.close_button = QtWidgets.QToolButton()
        self.close_button.setText("×")
        self.close_button.setObjectName("noticeCloseButton")
        self.close_button.setToolTip("Dismiss")
        self.details = QtWidgets.QPlainTextEdit()
        self.details.setObjectName("noticeDetails")
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(180)
        self.details.hide()
        self._actions_box = QtWidgets.QHBoxLayout()
        self._action_buttons: list[QtWidgets.QPushButton] = []  # what ``_actions_box`` holds
        self._actions_box.setContentsMargins(6, 0, 6, 4)
        self._actions_box.addStretch(1)
        self.path_row = QtWidgets.QWidget()
        self.path_row.setObjectName("noticePathRow")
        self.path_note = QtWidgets.QLabel()
        self.path_note.setObjectName("noticePathNote")
        self.path_note.setWordWrap(True)
        self.path_note.setMinimumWidth(TEXT_MIN_WIDTH)
        self.path_field = QtWidgets.QLineEdit()  # read-only: selectable, Ctrl+C copies the path exactly
        self.path_field.setObjectName("noticePath")
        self.path_field.setReadOnly(True)
        self.copy_button = QtWidgets.QPushButton("Copy")
        self.copy_button.setObjectName("noticeCopyPath")
        self.copy_button.setToolTip("Copy the path to the clipboard")
        path_layout = QtWidgets.QHBoxLayout(self.path_row)
        path_layout.setContentsMargins(6, 0, 6, 4)
        path_layout.addWidget(self.path_note, 1)
        path_layout.addWidget(self.path_field, 2)
        path_layout.addWidget(self.copy_button)
        self.path_row.hide()

        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 4)
        top.addWidget(self.text_label, 1)
        top.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addLayout(self._actions_box)
        layout.addWidget(self.path_row)
        layout.addWidget(self.details)

        self.details_button.toggled.connect(self.details.setVisible)
        self.copy_button.clicked.connect(self.copy_path)
        self.close_button.clicked.connect(self.dismiss)
        self.text_label.linkActivated.connect(lambda _link: self.details_button.toggle())
        self.history: list[tuple[str, str, str]] = []  # every notice shown, for the log and for tests
        self.kind = ""  # what the shown notice is about ("model"), "" for a plain message
        self.hide()

    def show_notice(
        self,
        text: str,
        details: str = "",
        level: str = "error",
        actions: Sequence[tuple[str, Callable[[], None]]] = (),
        kind: str = "",
    ) -> None:
        """Show one notice (replacing the one shown); ``kind`` lets ``clear(kind)`` take it away later."""
        self.history.append((level, text, details))
        self.kind = kind
        background, foreground = _COLOURS.get(level, _COLOURS["error"])
        self.setStyleSheet(
            f"#notices {{ background: {background}; border: 1px solid {foreground}; border-radius: 3px; }}"
            f"#noticeText {{ color: {foreground}; }}"
        )
        self.text_label.setText(text)
        self.text_label.setToolTip(text)
        self.details.setPlainText(details)
        self.path_field.clear()
        self.path_row.hide()
        self.details_button.setVisible(bool(details))
        self.details_button.setChecked(False)
        self.details.hide()
        for old in self._action_buttons:
            self._actions_box.removeWidget(old)
            old.deleteLater()
        self._action_buttons = []
        self._actions_box.setContentsMargins(6, 0, 6, 4 if actions else 0)
        for label, callback in actions:
            button = QtWidgets.QPushButton(label)
            button.clicked.connect(self._run_action(callback))
            self._actions_box.insertWidget(len(self._action_buttons), button)  # before the stretch
            self._action_buttons.append(button)
        self.show()

    def show_path(self, path: str, note: str) -> None:
        """Show ``path`` under the notice shown, selectable and copyable, with ``note`` saying what it is for."""
        self.path_note.setText(note)
        self.path_field.setText(path)
        self.path_field.setToolTip(path)
        self.path_field.setCursorPosition(0)
        self.path_row.show()
        self.show()

    def shown_path(self) -> str:
        """The path shown under the notice ("" when none is)."""
        return self.path_field.text() if self.path_row.isVisibleTo(self) else ""

    def copy_path(self) -> None:
        clipboard = QtGui.QGuiApplication.clipboard()
        clipboard.setText(self.path_field.text())

    def _run_action(self, callback: Callable[[], None]) -> Callable[[], None]:
        """A button's slot: the notice stays while its action runs and after it, until the state clears or
        replaces it. An action that resolves it (Retry, Use random weights, a weights file chosen) makes the state
        clear it; one that changes nothing (a file dialog cancelled) must leave its remedies on screen."""

        def run() -> None:
            shown = len(self.history)
            for button in self._action_buttons:  # one run per click, even with a dialog open meanwhile
                button.setEnabled(False)
            try:
                callback()
            finally:
                if len(self.history) == shown:  # still the same notice: its buttons work again
                    for button in self._action_buttons:
                        button.setEnabled(True)

        return run

    def text(self) -> str:
        parent = self.parentWidget()
        shown = self.isVisibleTo(parent) if parent is not None else not self.isHidden()
        return self.text_label.text() if shown or self.isVisible() else ""

    def action_buttons(self) -> list[QtWidgets.QPushButton]:
        return list(self._action_buttons)

    def dismiss(self) -> None:
        self.hide()
        self.kind = ""
        self.dismissed.emit()

    def clear(self, kind: str) -> None:
        """Hide the shown notice if it is about ``kind`` (that has since succeeded); others stay."""
        if kind and self.kind == kind and not self.isHidden():
            self.dismiss()

    def sizeHint(self) -> QtCore.QSize:
        hint = super().sizeHint()
        return QtCore.QSize(hint.width(), max(hint.height(), 32))
