"""The one sentence a tab says about its last export: why it failed (a read-only or missing folder, a full disk,
a folder in the way). Each tab with an Export… button shows one under its controls; '' hides it."""

from __future__ import annotations

from PySide6 import QtWidgets

__all__ = ["ExportMessage"]


class ExportMessage(QtWidgets.QLabel):
    """A word-wrapped, hidden-when-empty label (objectName ``<name>``) for an export's refusal."""

    def __init__(self, name: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)  # a long path must not widen the window
        self.setStyleSheet("QLabel { background: #f8d7da; color: #58151c; padding: 4px; }")
        self.hide()

    def say(self, text: str) -> None:
        """Show ``text`` (one sentence); '' hides the label."""
        self.setText(text)
        self.setToolTip(text)
        self.setVisible(bool(text))
