"""The pictures of what a channel looks for: its top patches as a grid of buttons, a layer's mosaic of best patches
that can be clicked, and a captioned picture (an optimised image, a deconvolution).

Setters take engine results (uint8 pictures); clicks leave as signals. Nothing is computed here: the patches are
cut and the mosaic is laid out by the engine, which also says where each channel's tile lies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.gui.widgets.common.fitted_picture import FittedPicture
from viewer.gui.widgets.predictions import array_to_pixmap

if TYPE_CHECKING:
    from viewer.core.results.atlas import AtlasEntry, AtlasSheet

__all__ = ["CaptionedPicture", "PatchGrid", "SheetPicture"]

PATCH_SIDE = 72  # px of a patch button's icon at most (nine fit a 1366 x 768 window's Activations tab)
PATCH_MIN_SIDE = 40


class PatchGrid(QtWidgets.QWidget):
    """Up to ``slots`` patch buttons (objectName ``patch<i>``, best first) in a near-square grid.

    Signals:
        patchClicked(int): the user clicked the ``i``-th patch (its image opens).
    """

    patchClicked = Signal(int)

    def __init__(self, slots: int = 9, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QtWidgets.QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(3)
        self.buttons: list[QtWidgets.QToolButton] = []
        self._pixmaps: list[QtGui.QPixmap] = []
        self.set_slots(slots)

    def set_slots(self, slots: int) -> None:
        """Make room for ``slots`` patches (the atlas's top-N)."""
        if slots == len(self.buttons):
            return
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        columns = max(1, math.ceil(math.sqrt(slots)))
        for index in range(slots):
            button = QtWidgets.QToolButton(self)
            button.setObjectName(f"patch{index}")
            button.setAutoRaise(True)
            button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)
            button.setMinimumSize(PATCH_MIN_SIDE, PATCH_MIN_SIDE)
            button.clicked.connect(lambda _checked=False, i=index: self.patchClicked.emit(i))
            button.setEnabled(False)
            self._layout.addWidget(button, index // columns, index % columns)
            self.buttons.append(button)

    def set_patches(self, tiles: Sequence[np.ndarray], entries: Sequence[AtlasEntry]) -> None:
        """Show ``tiles`` (uint8 RGB squares) with their entries' values and files as tooltips; the slots beyond
        them are empty and disabled."""
        self._pixmaps = [array_to_pixmap(tile) for tile in tiles]
        for index, button in enumerate(self.buttons):
            if index < len(self._pixmaps):
                entry = entries[index]
                button.setEnabled(True)
                button.setToolTip(
                    f"#{index + 1}: {entry.path}\nvalue {entry.value:.4g} at cell ({entry.row}, {entry.col}); "
                    "click to open the image with this unit's field"
                )
            else:
                button.setEnabled(False)
                button.setToolTip("")
                button.setIcon(QtGui.QIcon())
        self._fit_icons()

    @property
    def shown(self) -> int:
        """How many patches are shown."""
        return len(self._pixmaps)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_icons()

    def _fit_icons(self) -> None:
        for button, pixmap in zip(self.buttons, self._pixmaps, strict=False):
            side = max(16, min(PATCH_SIDE * 2, button.width() - 6, button.height() - 6))
            button.setIconSize(QtCore.QSize(side, side))
            button.setIcon(QtGui.QIcon(pixmap))


class SheetPicture(FittedPicture):
    """A layer's mosaic of best patches (objectName ``layerMosaic``); a click on a tile chooses its channel.

    Signals:
        channelChosen(int): the user clicked that channel's tile.
    """

    channelChosen = Signal(int)

    def __init__(self) -> None:
        super().__init__("", largest=900, smallest=120)
        self.setObjectName("layerMosaic")
        self.setWordWrap(True)  # a sentence in place of the mosaic must not be cut at the page's sides
        self.setMouseTracking(True)
        self._sheet: AtlasSheet | None = None

    def set_sheet(self, sheet: AtlasSheet | None, text: str = "") -> None:
        self._sheet = sheet
        if sheet is None:
            self.clear_picture()
            self.setText(text)
        else:
            self.set_picture(array_to_pixmap(sheet.image))

    def tile_centre(self, channel: int) -> QtCore.QPoint:
        """Widget coordinates of ``channel``'s tile centre (for clicks in tests)."""
        if self._sheet is None:
            raise ValueError("no mosaic is shown")
        x, y = self._sheet.tile_centre(channel)
        left, top, scale = self._placement()
        return QtCore.QPoint(round(left + x * scale), round(top + y * scale))

    def _placement(self) -> tuple[float, float, float]:
        """(left, top, scale) of the drawn pixmap in the label: centred, scaled from the sheet's pixels."""
        drawn = self.pixmap()
        sheet = self._sheet
        if sheet is None or drawn.isNull():
            return 0.0, 0.0, 1.0
        scale = drawn.width() / sheet.image.shape[1]
        room = self.contentsRect()
        return (
            room.left() + (room.width() - drawn.width()) / 2,
            room.top() + (room.height() - drawn.height()) / 2,
            scale,
        )

    def _channel_at(self, point: QtCore.QPointF) -> int | None:
        if self._sheet is None:
            return None
        left, top, scale = self._placement()
        return self._sheet.channel_at((point.x() - left) / scale, (point.y() - top) / scale)

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        channel = self._channel_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and channel is not None:
            self.channelChosen.emit(channel)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        channel = self._channel_at(event.position())
        self.setToolTip("" if channel is None else f"channel {channel}: click to select it")
        super().mouseMoveEvent(event)


class CaptionedPicture(QtWidgets.QWidget):
    """A title above a picture fitted into its room (objectName ``<name>``; the picture ``<name>Picture``)."""

    def __init__(self, name: str, title: str, *, largest: int = 400, smallest: int = 64) -> None:
        super().__init__()
        self.setObjectName(name)
        self.title = QtWidgets.QLabel(title)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        # A long title wraps rather than widen the window (1366 px: four of these share half the tab).
        self.title.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.picture = FittedPicture("", largest=largest, smallest=smallest)
        self.picture.setObjectName(f"{name}Picture")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.picture, 1)

    def set_pixels(self, pixels: np.ndarray | None, text: str = "") -> None:
        """Show uint8 pixels (None: ``text`` instead)."""
        if pixels is None:
            self.picture.clear_picture()
            self.picture.setText(text)
        else:
            self.picture.set_picture(array_to_pixmap(pixels))

    @property
    def has_picture(self) -> bool:
        return not self.picture.source.isNull()
