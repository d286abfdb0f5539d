"""The live view: the camera or video at its own rate, the newest top-k and the rates drawn over it.

:class:`LiveCanvas` paints the newest frame (scaled to fit, its aspect kept) and, over it, the top-k bars of the
latest analysed frame and the achieved rates; :func:`paint_overlay` is that drawing, also used to save annotated
frames. :class:`LivePanel` is the canvas with its controls (Freeze, Record, Stop). Painted with ``QPainter``: a
frame every 30 ms must cost the GUI thread little, and nothing here computes what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.colormap.tables import apply_colormap

__all__ = [
    "HEATMAP_COLORMAP",
    "FrameShown",
    "LiveCanvas",
    "LivePanel",
    "annotated",
    "grid_image",
    "heatmap_image",
    "paint_overlay",
]

HEATMAP_COLORMAP = "inferno"
HEATMAP_OPACITY = 0.55

BAR_COLOUR = QtGui.QColor("#3b7dd8")
BOX_COLOUR = QtGui.QColor(0, 0, 0, 150)
TEXT_COLOUR = QtGui.QColor("white")
WAITING = "Waiting for the first frame…"
STALE_S = 0.5  # a result this much older than the frame under it says its age


class TopShown(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def prob(self) -> float: ...


class FrameShown(Protocol):
    """What the overlay draws of a result (``viewer.core.results.live.FrameResult``)."""

    @property
    def number(self) -> int: ...
    @property
    def time_s(self) -> float: ...
    @property
    def topk(self) -> Sequence[TopShown]: ...
    @property
    def model(self) -> str: ...
    @property
    def heatmap(self) -> np.ndarray | None: ...
    @property
    def heatmap_class(self) -> str: ...
    @property
    def notes(self) -> Sequence[str]: ...
    @property
    def layer(self) -> str: ...
    @property
    def layer_grid(self) -> np.ndarray | None: ...


def _font(height: float) -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPixelSize(int(max(11, min(20, height / 36))))
    return font


def rates_text(analysed: float, shown: float) -> str:
    return f"analysed {analysed:.1f} frames/s · video {shown:.1f} frames/s"


def heatmap_image(result: FrameShown | None) -> QtGui.QImage | None:
    """``result``'s heatmap (values in [0, 1]) in colours, or None."""
    scaled = None if result is None else result.heatmap
    if scaled is None:
        return None
    rgb = np.ascontiguousarray(apply_colormap(scaled, HEATMAP_COLORMAP))
    height, width = rgb.shape[:2]
    return QtGui.QImage(rgb.data, width, height, width * 3, QtGui.QImage.Format.Format_RGB888).copy()


def grid_image(result: FrameShown | None) -> QtGui.QImage | None:
    """``result``'s layer mosaic (uint8 RGB) as an image, or None."""
    grid = None if result is None else result.layer_grid
    if grid is None:
        return None
    rgb = np.ascontiguousarray(grid)
    height, width = rgb.shape[:2]
    return QtGui.QImage(rgb.data, width, height, width * 3, QtGui.QImage.Format.Format_RGB888).copy()


def paint_overlay(
    painter: QtGui.QPainter,
    area: QtCore.QRectF,
    result: FrameShown | None,
    rates: tuple[float, float],
    heatmap: QtGui.QImage | None = None,
    grid: QtGui.QImage | None = None,
    shown_time_s: float | None = None,
) -> None:
    """``heatmap`` over all of ``area``, the rates in its top-left corner, ``result``'s top-k bars in its
    bottom-left one and its layer's mosaic (``grid``) in the top-right one. ``shown_time_s``: the time of the frame
    drawn under it, when it is not the result's own (the result's age is then said)."""
    if heatmap is not None:
        painter.setOpacity(HEATMAP_OPACITY)
        painter.drawImage(area, heatmap)
        painter.setOpacity(1.0)
    font = _font(area.height())
    painter.setFont(font)
    metrics = QtGui.QFontMetricsF(font)
    line = metrics.height()
    pad = line * 0.35
    painter.setPen(Qt.PenStyle.NoPen)
    text = metrics.elidedText(rates_text(*rates), Qt.TextElideMode.ElideRight, area.width() - 2 * pad)
    width = min(metrics.horizontalAdvance(text) + 2 * pad, area.width())
    box = QtCore.QRectF(area.left(), area.top(), width, line + 2 * pad)
    painter.fillRect(box, BOX_COLOUR)
    painter.setPen(TEXT_COLOUR)
    painter.drawText(box.adjusted(pad, pad, -pad, -pad), Qt.AlignmentFlag.AlignLeft, text)
    if result is None or not result.topk:
        return
    if grid is not None and not grid.isNull():
        _paint_grid(painter, area, grid, f"{result.layer} ({result.model})", metrics, pad)
    rows = list(result.topk)
    bar_width = min(area.width() * 0.6, line * 16)
    height = (len(rows) + 1) * (line + pad) + pad
    panel = QtCore.QRectF(area.left(), area.bottom() - height, bar_width + 2 * pad, height)
    painter.fillRect(panel, BOX_COLOUR)
    title = f"{result.model}, frame {result.time_s:.2f} s"  # the model: a recorded frame says what drew it
    if result.heatmap_class:
        title = f"frame {result.time_s:.2f} s, map of {result.heatmap_class}"
    elif result.notes:
        title += f"; {result.notes[0]}"
    age = None if shown_time_s is None else shown_time_s - result.time_s
    if age is not None and age >= STALE_S:  # a slow network: say the bars are of an earlier frame
        title = f"{age:.1f} s ago: " + title
    title = metrics.elidedText(title, Qt.TextElideMode.ElideRight, bar_width)
    painter.drawText(QtCore.QRectF(panel.left() + pad, panel.top() + pad, bar_width, line), 0, title)
    for row, top in enumerate(rows, 1):
        y = panel.top() + pad + row * (line + pad)
        bar = QtCore.QRectF(panel.left() + pad, y, bar_width * max(0.0, min(1.0, top.prob)), line)
        painter.fillRect(bar, BAR_COLOUR)
        label = metrics.elidedText(f"{top.prob:.2f}  {top.name}", Qt.TextElideMode.ElideRight, bar_width - pad)
        painter.drawText(
            QtCore.QRectF(panel.left() + 2 * pad, y, bar_width, line), Qt.AlignmentFlag.AlignVCenter, label
        )


def _paint_grid(
    painter: QtGui.QPainter,
    area: QtCore.QRectF,
    grid: QtGui.QImage,
    caption: str,
    metrics: QtGui.QFontMetricsF,
    pad: float,
) -> None:
    """The layer's mosaic in ``area``'s top-right corner, at most 45 % of its width and half its height, its
    cells sharp, under a line naming the layer."""
    line = metrics.height()
    size = QtCore.QSizeF(grid.size()).scaled(
        QtCore.QSizeF(area.width() * 0.45, area.height() * 0.5 - line - 2 * pad), Qt.AspectRatioMode.KeepAspectRatio
    )
    width = max(size.width(), min(metrics.horizontalAdvance(caption), area.width() * 0.45))
    box = QtCore.QRectF(area.right() - width - 2 * pad, area.top(), width + 2 * pad, size.height() + line + 3 * pad)
    painter.fillRect(box, BOX_COLOUR)
    text = metrics.elidedText(caption, Qt.TextElideMode.ElideRight, width)
    painter.drawText(QtCore.QRectF(box.left() + pad, box.top() + pad, width, line), 0, text)
    smooth = painter.testRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
    painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)  # a cell is a block, not a blur
    target = QtCore.QRectF(box.right() - pad - size.width(), box.top() + line + 2 * pad, size.width(), size.height())
    painter.drawImage(target, grid)
    painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, smooth)


def annotated(frame: QtGui.QImage, result: FrameShown | None, rates: tuple[float, float]) -> QtGui.QImage:
    """``frame`` with the overlay drawn on it at its own size (what Record saves)."""
    image = frame.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
    paint_overlay(painter, QtCore.QRectF(image.rect()), result, rates, heatmap_image(result), grid_image(result))
    painter.end()
    return image


class LiveCanvas(QtWidgets.QWidget):
    """The newest frame, fitted, with the overlay (:func:`paint_overlay`) over the frame's area."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("liveCanvas")
        self.setMinimumSize(96, 72)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.frame: QtGui.QImage | None = None
        self.frame_time_s: float | None = None  # the shown frame's time in the stream
        self.result: FrameShown | None = None
        self.heatmap: QtGui.QImage | None = None  # the result's heatmap in colours, made once per result
        self.grid: QtGui.QImage | None = None  # the result's layer mosaic, made once per result
        self.rates = (0.0, 0.0)
        self.paints = 0  # counted for the tests: frames are drawn, not queued

    def set_frame(self, frame: QtGui.QImage | None, time_s: float | None = None) -> None:
        self.frame, self.frame_time_s = frame, time_s
        self.update()

    def set_result(self, result: FrameShown | None) -> None:
        self.result = result
        self.heatmap = heatmap_image(result)
        self.grid = grid_image(result)
        self.update()

    def set_rates(self, analysed: float, shown: float) -> None:
        self.rates = (analysed, shown)

    def frame_area(self) -> QtCore.QRectF:
        """Where the frame is drawn: fitted in the widget, centred, its aspect kept."""
        if self.frame is None or self.frame.isNull():
            return QtCore.QRectF(self.rect())
        size = QtCore.QSizeF(self.frame.size()).scaled(QtCore.QSizeF(self.size()), Qt.AspectRatioMode.KeepAspectRatio)
        left, top = (self.width() - size.width()) / 2, (self.height() - size.height()) / 2
        return QtCore.QRectF(left, top, size.width(), size.height())

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        self.paints += 1
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.frame is None or self.frame.isNull():
            painter.setPen(TEXT_COLOUR)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, WAITING)
            return
        area = self.frame_area()
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(area, self.frame)
        paint_overlay(painter, area, self.result, self.rates, self.heatmap, self.grid, self.frame_time_s)


class LivePanel(QtWidgets.QWidget):
    """The canvas under a row of controls: the source, Freeze (Space), Record and Stop.

    Signals:
        freezeToggled(bool): the user froze (True) or unfroze the live view.
        heatmapToggled(bool): the heatmap over the frame was switched on or off.
        layerToggled(bool): the mosaic of the Activations tab's layer over the frame was switched on or off.
        recordToggled(bool): Record was switched on (the window asks where) or off.
        stopRequested(): the user stopped the camera or the video.
    """

    freezeToggled = Signal(bool)
    heatmapToggled = Signal(bool)
    layerToggled = Signal(bool)
    recordToggled = Signal(bool)
    stopRequested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("livePanel")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QtWidgets.QHBoxLayout()
        self.source_label = QtWidgets.QLabel()
        self.source_label.setObjectName("liveSource")
        self.source_label.setMinimumWidth(0)  # elided by the layout: the panel must not widen the window
        self.source_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.freeze_button = QtWidgets.QToolButton()
        self.freeze_button.setText("Freeze")
        self.freeze_button.setObjectName("liveFreeze")
        self.freeze_button.setCheckable(True)
        self.freeze_button.setToolTip("Space: the frame shown becomes an image in the list (every tab works on it)")
        self.heatmap_button = QtWidgets.QToolButton()
        self.heatmap_button.setText("Heatmap")
        self.heatmap_button.setObjectName("liveHeatmap")
        self.heatmap_button.setCheckable(True)
        self.heatmap_button.setToolTip(
            "A single-scale dense heatmap over each analysed frame: of the class chosen in the Heatmap tab, else of "
            "the frame's top-1 (slower: a pass over the whole frame)"
        )
        self.layer_button = QtWidgets.QToolButton()
        self.layer_button.setText("Layer")
        self.layer_button.setObjectName("liveLayer")
        self.layer_button.setCheckable(True)
        self.layer_button.setToolTip(
            "Every channel of the Activations tab's layer for each analysed frame, drawn in the top-right corner "
            "(recorded in the same forward pass)"
        )
        self.record_button = QtWidgets.QToolButton()
        self.record_button.setText("Record")
        self.record_button.setObjectName("liveRecord")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Save each analysed frame, with its top-k drawn on it, as a PNG in a folder")
        self.stop_button = QtWidgets.QToolButton()
        self.stop_button.setText("Stop")
        self.stop_button.setObjectName("liveStop")
        buttons = (self.freeze_button, self.heatmap_button, self.layer_button, self.record_button, self.stop_button)
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout.addWidget(self.source_label)  # its own line: the buttons take a narrow panel's whole width
        layout.addLayout(row)
        self.canvas = LiveCanvas(self)
        layout.addWidget(self.canvas, 1)
        self.freeze_button.toggled.connect(self._frozen)
        self.record_button.toggled.connect(self.recordToggled)
        self.heatmap_button.toggled.connect(self.heatmapToggled)
        self.layer_button.toggled.connect(self.layerToggled)
        self.stop_button.clicked.connect(self.stopRequested)

    def _frozen(self, frozen: bool) -> None:
        self.freeze_button.setText("Unfreeze" if frozen else "Freeze")
        self.freezeToggled.emit(frozen)

    def set_source(self, text: str) -> None:
        self.source_label.setText(text)
        self.source_label.setToolTip(text)

    def set_frozen(self, frozen: bool) -> None:
        """Show the frozen state without saying it again (the window froze or resumed)."""
        blocked = self.freeze_button.blockSignals(True)
        self.freeze_button.setChecked(frozen)
        self.freeze_button.setText("Unfreeze" if frozen else "Freeze")
        self.freeze_button.blockSignals(blocked)

    def set_recording(self, recording: bool) -> None:
        blocked = self.record_button.blockSignals(True)
        self.record_button.setChecked(recording)
        self.record_button.blockSignals(blocked)
