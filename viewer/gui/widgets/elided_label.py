"""A one-line label that elides its text instead of widening its window.

A plain ``QLabel``'s minimum width is its whole text: a status bar with long timings ("load model 812 ms ·
forward 40 ms · activations …") pushed the window's minimum width past a 1366-px laptop screen, and the
window grew by itself. This one asks for a few characters and shows the rest as "…" (the whole text in its
tooltip).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

__all__ = ["ElidedLabel"]

MIN_CHARACTERS = 12  # what the label asks for at least: a model name stays readable


class ElidedLabel(QtWidgets.QLabel):
    """Plain-text label drawn elided on the right; ``full_text()`` is what was set."""

    def __init__(self, text: str = "", parent: QtWidgets.QWidget | None = None, *, objectName: str = "") -> None:
        super().__init__(parent)
        if objectName:
            self.setObjectName(objectName)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        super().setText(text)
        self.update()

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QtCore.QSize:
        metrics = self.fontMetrics()
        return QtCore.QSize(metrics.averageCharWidth() * MIN_CHARACTERS, metrics.height())

    def sizeHint(self) -> QtCore.QSize:
        # The whole text up to the label's maximum width; the minimum (what a layout must give) stays small.
        metrics = self.fontMetrics()
        width = min(metrics.horizontalAdvance(self._full) + 8, self.maximumWidth())
        return QtCore.QSize(max(width, self.minimumSizeHint().width()), metrics.height())

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)
        painter.end()
