"""The current image, zoomable and pannable, with an optional heatmap/channel overlay and a box.

A pyqtgraph ViewBox with a locked aspect ratio (images are row-major, top row first), one ImageItem for
the picture, one for the overlay (stretched over the whole image) and a rectangle for a receptive field.
``show_decorations`` hides either without forgetting it: the window shows the heatmap only on its own tab.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from viewer.core.colormap.ranges import score_range
from viewer.core.colormap.tables import lookup_table
from viewer.gui.widgets.common.plots import pg

__all__ = ["ImagePanel", "input_box_to_image"]


def input_box_to_image(
    box: tuple[float, float, float, float],
    image_size: tuple[int, int],
    resize_size: int | None,
    crop_size: int | None,
) -> tuple[float, float, float, float]:
    """A box in network-input pixels mapped back onto the original image.

    With the ``weights`` preset the input is the image resized (shorter side to ``resize_size``) then
    centre-cropped to ``crop_size``; pass ``resize_size=None`` when the input is the whole image. This is
    drawing geometry (undoing torchvision's resize + centre crop for display), not analysis.
    """
    x0, y0, x1, y1 = box
    if resize_size is None or crop_size is None:
        return box
    width, height = image_size
    scale = min(width, height) / resize_size
    resized_w, resized_h = width / scale, height / scale
    left = (resized_w - crop_size) / 2
    top = (resized_h - crop_size) / 2
    return ((x0 + left) * scale, (y0 + top) * scale, (x1 + left) * scale, (y1 + top) * scale)


class ImagePanel(QtWidgets.QWidget):
    """Shows one image; ``set_overlay`` and ``set_box`` draw on top of it in image coordinates."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageView")
        self.title = QtWidgets.QLabel("Drop images or folders here, or File ▸ Open (Ctrl+O)")
        self.title.setObjectName("imageTitle")
        self.title.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("imageGraphics")
        self.graphics.setBackground(self.palette().color(QtGui.QPalette.ColorRole.Base))
        self.graphics.setAcceptDrops(False)  # drops go to the main window
        self.view: pg.ViewBox = self.graphics.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item.setZValue(1)
        self.overlay_item.setOpacity(0.5)
        self.overlay_item.hide()
        self.box_item = QtWidgets.QGraphicsRectItem()
        self.box_item.setPen(pg.mkPen("#ffeb3b", width=2, cosmetic=True))
        self.box_item.setZValue(2)
        self.box_item.hide()
        self.view.addItem(self.image_item)
        self.view.addItem(self.overlay_item)
        self.view.addItem(self.box_item)
        self.reset_button = QtWidgets.QToolButton()
        self.reset_button.setText("Fit")
        self.reset_button.setObjectName("imageFitButton")
        self.reset_button.setToolTip("Zoom to fit (scroll to zoom, drag to pan)")
        self.reset_button.clicked.connect(self.fit)

        header = QtWidgets.QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.reset_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.graphics, 1)
        self._image_size: tuple[int, int] | None = None  # (width, height) of the original image
        self._overlay_set = self._box_set = False  # what is set, drawn where show_decorations allows it
        self._overlay_allowed = self._box_allowed = True

    # --- setters -----------------------------------------------------------------------------------
    def set_image(
        self,
        array: np.ndarray | None,
        name: str = "",
        size: tuple[int, int] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        """Show ``array`` (uint8 HxWx3, maybe downscaled) of an image whose true size is ``size`` (w, h)."""
        self.set_overlay(None)
        self.set_box(None)
        if array is None:
            self.image_item.clear()
            self._image_size = None
            self.title.setText("Drop images or folders here, or File ▸ Open (Ctrl+O)")
            return
        height, width = array.shape[:2]
        self._image_size = size or (width, height)
        # uint8 without levels goes to a QImage as it is (levels would rescale every pixel at each render).
        self.image_item.setImage(array, autoLevels=False)
        # The displayed array may be downscaled: stretch it over the true size so that every coordinate
        # given to this panel (boxes, overlays) is in original-image pixels.
        self.image_item.setRect(QtCore.QRectF(0, 0, *self._image_size))
        extra = f" · {', '.join(notes)}" if notes else ""
        self.title.setText(f"<b>{name}</b> · {self._image_size[0]}×{self._image_size[1]}{extra}")
        self.fit()

    def set_overlay(
        self,
        scores: np.ndarray | None,
        *,
        colormap: str = "jet",
        opacity: float = 0.5,
        levels: tuple[float, float] | None = None,
    ) -> None:
        """Draw ``scores`` (H×W, any resolution) stretched over the image with a colormap; None hides it."""
        if scores is None or self._image_size is None:
            self._overlay_set = False
            self.overlay_item.hide()
            return
        data = np.asarray(scores, dtype=np.float32)
        if levels is None:
            levels = score_range(data)
        self.overlay_item.setImage(data, autoLevels=False, levels=levels)
        self.overlay_item.setRect(QtCore.QRectF(0, 0, *self._image_size))
        self.set_overlay_style(colormap, opacity)
        self._overlay_set = True
        self.overlay_item.setVisible(self._overlay_allowed)

    def set_overlay_style(self, colormap: str, opacity: float) -> None:
        """Recolour the overlay shown (no new scores): cheap enough for every tick of an opacity slider."""
        # cmap names the same maps as the engine's PNG exports, so the screen matches the files.
        self.overlay_item.setLookupTable(lookup_table(colormap))
        self.overlay_item.setOpacity(opacity)

    def set_box(self, box: tuple[float, float, float, float] | None) -> None:
        """Draw a rectangle (x0, y0, x1, y1) in original-image pixels, e.g. a receptive field; None hides it."""
        if box is None or self._image_size is None:
            self._box_set = False
            self.box_item.hide()
            return
        x0, y0, x1, y1 = box
        self.box_item.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self._box_set = True
        self.box_item.setVisible(self._box_allowed)

    def show_decorations(self, *, overlay: bool, box: bool) -> None:
        """Draw the overlay and the box set (or not), keeping both for when they are allowed again."""
        self._overlay_allowed, self._box_allowed = overlay, box
        self.overlay_item.setVisible(overlay and self._overlay_set)
        self.box_item.setVisible(box and self._box_set)

    def fit(self) -> None:
        self.view.autoRange(padding=0.02)

    # --- queries (tests, screenshots) ----------------------------------------------------------------
    def image_size(self) -> tuple[int, int] | None:
        return self._image_size

    def has_overlay(self) -> bool:
        """True when an overlay is drawn over the image now."""
        return self.overlay_item.isVisible()

    def box(self) -> tuple[float, float, float, float] | None:
        if not self.box_item.isVisible():
            return None
        rect = self.box_item.rect()
        return (rect.left(), rect.top(), rect.right(), rect.bottom())

    def image_array(self) -> np.ndarray | None:
        return self.image_item.image
