"""The strip of open images above the image panel: one thumbnail per image, the shown one current."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from viewer.gui.widgets.predictions import array_to_pixmap

__all__ = ["Thumbnail", "ThumbnailStrip"]


@dataclass(frozen=True)
class Thumbnail:
    """One open image as the strip shows it: a small picture, its name, and its path (the tooltip)."""

    picture: np.ndarray  # uint8 HxW or HxWx3
    name: str
    path: str


class ThumbnailStrip(QtWidgets.QListWidget):
    """Icons left to right (objectName ``thumbnails``); ``currentRowChanged`` is the user's pick only."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thumbnails")
        self.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        self.setFlow(QtWidgets.QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QtCore.QSize(72, 72))
        self.setFixedHeight(118)
        self.setMovement(QtWidgets.QListView.Movement.Static)
        self.setAcceptDrops(False)
        self.setToolTip("Arrow keys or PgUp/PgDn switch images; Delete removes one")

    def set_images(self, images: Sequence[Thumbnail], current: int) -> None:
        """Show ``images`` with ``current`` marked (no ``currentRowChanged``); hidden when there are none."""
        blocked = self.blockSignals(True)
        self.clear()
        for image in images:
            item = QtWidgets.QListWidgetItem(QtGui.QIcon(array_to_pixmap(image.picture)), image.name)
            item.setToolTip(image.path)
            self.addItem(item)
        self.setCurrentRow(current)  # the list was rebuilt: mark the shown image again
        self.blockSignals(blocked)
        self.setVisible(bool(images))

    def mark_current(self, row: int) -> None:
        """Mark the image the app shows now, without ``currentRowChanged`` (it was not the user's pick)."""
        blocked = self.blockSignals(True)
        self.setCurrentRow(row)
        self.blockSignals(blocked)
