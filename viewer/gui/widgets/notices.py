"""The message banner above the tabs: one line, dismissible, details (a traceback, a list) on click.

Non-modal on purpose: a bad file dropped or a failed download must never block the window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt, Signal

__all__ = ["NoticeBanner"]

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
        self._actions_box.setContentsMargins(0, 0, 0, 0)

        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 4)
        top.addWidget(self.text_label, 1)
        top.addLayout(self._actions_box)
        top.addWidget(self.details_button)
        top.addWidget(self.close_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.details)

        self.details_button.toggled.connect(self.details.setVisible)
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
        self.details.setPlainText(details)
        self.details_button.setVisible(bool(details))
        self.details_button.setChecked(False)
        self.details.hide()
        for old in self._action_buttons:
            self._actions_box.removeWidget(old)
            old.deleteLater()
        self._action_buttons = []
        for label, callback in actions:
            button = QtWidgets.QPushButton(label)
            button.clicked.connect(self._run_action(callback))
            self._actions_box.addWidget(button)
            self._action_buttons.append(button)
        self.show()

    def _run_action(self, callback: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            self.dismiss()
            callback()

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
