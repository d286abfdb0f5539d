"""A picture scaled to the room the layout gives it, never asking for more (the Explain maps, the previews)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

__all__ = ["FittedPicture"]


class FittedPicture(QtWidgets.QLabel):
    """A pixmap scaled, whole and with its aspect ratio, into the label's current size (at most ``largest`` px).

    A label holding a 260-px pixmap asks for 260 px: five Explain panels of them made the tab taller and wider than
    a 1366×768 screen, and the window grew; a preview scaled to a fixed size was cut off when the layout gave it
    less. ``pixmap()`` is what is drawn; ``source`` the full picture.
    """

    def __init__(self, text: str = "", *, largest: int, smallest: int) -> None:
        super().__init__(text, alignment=Qt.AlignmentFlag.AlignCenter)
        self.source = QtGui.QPixmap()
        self.largest = largest
        self.smallest = smallest
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)

    def set_picture(self, pixmap: QtGui.QPixmap) -> None:
        self.source = pixmap
        if pixmap.isNull():
            self.setPixmap(pixmap)
        self._rescale()

    def clear_picture(self) -> None:
        self.source = QtGui.QPixmap()
        self.clear()

    def minimumSizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(self.smallest, self.smallest)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(self.largest, self.largest)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self.source.isNull():
            return  # the text shown instead ("…", "not available") stays
        room = self.contentsRect().size()
        width = max(1, min(room.width(), self.largest))
        height = max(1, min(room.height(), self.largest))
        mode = Qt.TransformationMode.SmoothTransformation
        self.setPixmap(self.source.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio, mode))
