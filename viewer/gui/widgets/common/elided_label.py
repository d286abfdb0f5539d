"""A label that elides its text instead of widening (or heightening) its window.

A plain ``QLabel``'s minimum width is its whole text: a status bar with long timings ("load model 812 ms ·
forward 40 ms · activations …") pushed the window's minimum width past a 1366-px laptop screen, and the
window grew by itself; so did a long error message in the Compare tab's status line (2287 px). This one asks
for a few characters and shows the rest as "…" (the whole text in its tooltip). With ``lines`` > 1 it wraps at
word boundaries (anywhere inside a word longer than the line, a path or a URL) into at most that many lines,
the last one elided.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

__all__ = ["ElidedLabel"]

MIN_CHARACTERS = 12  # what the label asks for at least: a model name stays readable
PARAGRAPH_CHARACTERS = 60  # what a multi-line label asks for at most


class ElidedLabel(QtWidgets.QLabel):
    """Plain-text label drawn elided on the right; ``full_text()`` is what was set.

    ``lines`` is the most lines it wraps into (1: one line, elided). Its minimum width is a dozen characters
    whatever the text, and its height follows its width up to ``lines`` lines (height for width).
    """

    def __init__(
        self, text: str = "", parent: QtWidgets.QWidget | None = None, *, objectName: str = "", lines: int = 1
    ) -> None:
        super().__init__(parent)
        if objectName:
            self.setObjectName(objectName)
        self._full = ""
        self._lines = max(1, lines)
        # Lines per width for the current text and font: a layout pass asks a multi-line label's height for
        # the same few widths dozens of times (45 calls per model switch, each a QTextLayout), hidden tabs too.
        self._wrapped_at: dict[int, list[str]] = {}
        self.setTextFormat(Qt.TextFormat.PlainText)
        if self._lines == 1:
            self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        else:
            policy = QtWidgets.QSizePolicy(
                QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Preferred
            )
            policy.setHeightForWidth(True)
            self.setSizePolicy(policy)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self._wrapped_at.clear()
        self.setToolTip(text)
        super().setText(text)
        self.updateGeometry()  # a multi-line label's height follows its text
        self.update()

    def full_text(self) -> str:
        return self._full

    # --- sizes -------------------------------------------------------------------------------------
    def minimumSizeHint(self) -> QtCore.QSize:
        metrics = self.fontMetrics()
        return QtCore.QSize(metrics.averageCharWidth() * MIN_CHARACTERS, metrics.height())

    def sizeHint(self) -> QtCore.QSize:
        # The whole text up to the label's maximum width; the minimum (what a layout must give) stays small.
        metrics = self.fontMetrics()
        width = max(min(metrics.horizontalAdvance(self._full) + 8, self.maximumWidth()), self.minimumSizeHint().width())
        if self._lines == 1:
            return QtCore.QSize(width, metrics.height())
        # Several lines: a paragraph's width at most, not the whole text on one line (which would take a
        # grid column's share of the room from its neighbours).
        width = min(width, max(metrics.averageCharWidth() * PARAGRAPH_CHARACTERS, self.minimumSizeHint().width()))
        return QtCore.QSize(width, self.heightForWidth(self.width() if self.isVisible() else width))

    def hasHeightForWidth(self) -> bool:
        return self._lines > 1

    def heightForWidth(self, width: int) -> int:
        if self._lines == 1:
            return -1
        margins = self.contentsMargins()
        shown = len(self._wrapped(width - margins.left() - margins.right()))
        return max(1, shown) * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        if event.type() == QtCore.QEvent.Type.FontChange:
            self._wrapped_at.clear()
        super().changeEvent(event)

    # --- drawing -----------------------------------------------------------------------------------
    def _wrapped(self, width: int) -> list[str]:
        """The text as drawn in ``width`` pixels: at most ``lines`` lines, the last elided if text is left."""
        lines = self._wrapped_at.get(width)
        if lines is None:
            if len(self._wrapped_at) >= 32:  # a window resized by dragging asks for every width once
                self._wrapped_at.clear()
            lines = self._wrapped_at[width] = self._wrap(width)
        return lines

    def _wrap(self, width: int) -> list[str]:
        metrics = self.fontMetrics()
        if self._lines == 1 or width <= 0:
            return [metrics.elidedText(self._full.replace("\n", " "), Qt.TextElideMode.ElideRight, max(width, 0))]
        text = self._full.replace("\n", "\u2028")  # QTextLayout breaks at a line separator, not at "\n"
        layout = QtGui.QTextLayout(text, self.font())
        option = QtGui.QTextOption()
        option.setWrapMode(QtGui.QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        shown: list[str] = []
        layout.beginLayout()
        while len(shown) < self._lines:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            start, length = line.textStart(), line.textLength()
            if len(shown) == self._lines - 1:  # the last line allowed: the rest of the text, elided
                rest = " ".join(text[start:].split())
                shown.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
                break
            shown.append(text[start : start + length].rstrip())
        layout.endLayout()
        return shown or [""]

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        rect = self.contentsRect()
        painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        if self._lines == 1:
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(rect, int(align), self._wrapped(rect.width())[0])
        else:
            step = self.fontMetrics().lineSpacing()
            for number, text in enumerate(self._wrapped(rect.width())):
                line = QtCore.QRect(rect.left(), rect.top() + number * step, rect.width(), step)
                painter.drawText(line, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), text)
        painter.end()
