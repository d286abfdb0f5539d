"""The selected channel, large, beside the network input with that channel laid over it.

Clicking a cell of the large channel emits its (row, col); the owner asks the activation's receptive field
for the box and ``show_receptive_field`` draws it over the input image.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.colormap.ranges import score_range
from viewer.core.colormap.tables import LUT_SIZE, lookup_table
from viewer.gui.widgets.common.plots import pg

__all__ = ["ChannelDetail", "lookup_table", "pyqtgraph_colormap"]


@functools.lru_cache(maxsize=16)
def pyqtgraph_colormap(name: str) -> pg.ColorMap:
    """A named colormap from ``cmap`` (the one the engine's PNG exports use), so screen and file agree."""
    return pg.ColorMap(np.linspace(0.0, 1.0, LUT_SIZE), lookup_table(name))


class ChannelDetail(QtWidgets.QWidget):
    """Large channel view (objectName ``channelView``) + overlay on the input, with an alpha slider."""

    cellClicked = Signal(int, int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._channel_map: np.ndarray | None = None
        self._channel: int | None = None
        self._input_image: np.ndarray | None = None
        self._input_size: tuple[int, int] | None = None  # (height, width) of the network input
        self._activation: Any = None
        self._box: tuple[float, float, float, float] | None = None
        self._cell: tuple[int, int] | None = None

        self.view = pg.GraphicsLayoutWidget()
        self.view.setObjectName("channelView")
        self.view.setBackground(self.palette().color(QtGui.QPalette.ColorRole.Base))  # as the image panel's
        self.view.setMinimumHeight(180)
        self.channel_box = self.view.addViewBox(row=0, col=0, lockAspect=True, enableMenu=False)
        self.overlay_box = self.view.addViewBox(row=0, col=1, lockAspect=True, enableMenu=False)
        for box in (self.channel_box, self.overlay_box):
            box.invertY(True)
        self.channel_item = pg.ImageItem(axisOrder="row-major")
        self.channel_box.addItem(self.channel_item)
        self.cell_mark = QtWidgets.QGraphicsRectItem()
        self.cell_mark.setPen(pg.mkPen("#ffff00", width=2))
        self.cell_mark.hide()
        self.channel_box.addItem(self.cell_mark)

        self.input_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_box.addItem(self.input_item)
        self.overlay_box.addItem(self.overlay_item)
        self.box_mark = QtWidgets.QGraphicsRectItem()
        self.box_mark.setPen(pg.mkPen("#ffff00", width=2))
        self.box_mark.hide()
        self.overlay_box.addItem(self.box_mark)
        self.view.scene().sigMouseClicked.connect(self._on_clicked)

        self.info = QtWidgets.QLabel()
        self.info.setObjectName("channelInfo")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.alpha = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.alpha.setObjectName("overlayAlpha")
        self.alpha.setRange(0, 100)
        self.alpha.setValue(60)
        self.alpha.setMaximumWidth(160)
        self.alpha.valueChanged.connect(self._apply_alpha)
        self.alpha.setToolTip("Opacity of the channel over the input image")

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.info, 1)
        self.alpha_label = QtWidgets.QLabel("Overlay")
        bar.addWidget(self.alpha_label)
        bar.addWidget(self.alpha)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        # A flat output (Linear, pooled features) has no map to enlarge: all its units as bars instead.
        self.units = pg.PlotWidget()
        self.units.setObjectName("unitsView")
        self.units.setLabel("bottom", "unit")
        self.units.setLabel("left", "value")
        self.units.setMouseEnabled(x=True, y=False)
        self.unit_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#5b8def", pen=None)
        self.selected_bar = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#ff9f1c", pen=None)
        self.units.addItem(self.unit_bars)
        self.units.addItem(self.selected_bar)
        self.pages = QtWidgets.QStackedWidget()
        self.pages.addWidget(self.view)
        self.pages.addWidget(self.units)
        layout.addWidget(self.pages, 1)
        self._apply_alpha()

    # ----------------------------------------------------------------------------------------- state
    @property
    def channel_image(self) -> np.ndarray | None:
        """The (H, W) map shown large."""
        return self._channel_map

    @property
    def receptive_field_box(self) -> tuple[float, float, float, float] | None:
        """The box drawn over the input, (x0, y0, x1, y1) in network-input pixels."""
        return self._box if self.box_mark.isVisible() else None

    @property
    def showing_units(self) -> bool:
        """True for a flat activation (N,): its units are drawn as bars, not as a map."""
        return self._activation is not None and np.ndim(self._activation.array) == 1

    def _show_units(self, channel: int) -> None:
        values = np.asarray(self._activation.array, dtype=np.float32)
        self.unit_bars.setOpts(x=np.arange(values.size), height=values)
        self.selected_bar.setOpts(x=[channel], height=[values[channel]])
        self.units.autoRange()
        self.pages.setCurrentWidget(self.units)
        self._set_overlay_controls_visible(False)
        self.info.setText(self._describe())

    def _set_overlay_controls_visible(self, visible: bool) -> None:
        self.alpha.setVisible(visible)
        self.alpha_label.setVisible(visible)

    @property
    def overlay_alpha(self) -> float:
        return self.overlay_item.opacity()

    # ----------------------------------------------------------------------------------------- setters
    def set_colormap(self, name: str) -> None:
        table = lookup_table(name)
        self.channel_item.setLookupTable(table)
        self.overlay_item.setLookupTable(table)

    def set_geometry(self, activation: Any) -> None:
        """A new activation: remember its network-input size (C, H, W) and forget the old cell and box."""
        self._activation = activation
        self._channel = None
        self._box = self._cell = None
        self.cell_mark.hide()
        self.box_mark.hide()
        shape = getattr(activation, "input_shape", None)
        if shape is not None and len(shape) >= 2:
            self._input_size = (int(shape[-2]), int(shape[-1]))

    def set_input_image(self, image: np.ndarray | None) -> None:
        self._input_image = None if image is None else np.asarray(image)
        if self._input_image is None:
            self.input_item.clear()
        else:
            # uint8 without levels goes to a QImage as it is (levels would rescale it at every render).
            self.input_item.setImage(self._input_image, autoLevels=False)
            self.input_item.setRect(QtCore.QRectF(0, 0, self._input_image.shape[1], self._input_image.shape[0]))
        self._place_overlay()

    def set_channel(
        self, channel: int | None, channel_map: np.ndarray | None, levels: tuple | None = None, activation: Any = None
    ) -> None:
        """Show one (H, W) map; ``levels`` None scales it on its own (per-channel normalisation)."""
        changed = channel != self._channel or activation is not self._activation
        self._channel, self._channel_map = channel, channel_map
        if activation is not None:
            self._activation = activation
        if changed:
            self.cell_mark.hide()
            self.box_mark.hide()
            self._box = self._cell = None
        if channel is None or channel_map is None:
            self.channel_item.clear()
            self.overlay_item.clear()
            self.info.setText("")
            self.pages.setCurrentWidget(self.view)
            return
        if self.showing_units:
            self._show_units(channel)
            return
        self.pages.setCurrentWidget(self.view)
        self._set_overlay_controls_visible(True)
        levels = score_range(channel_map, *(levels or (None, None)))  # a dead channel: one flat colour
        self.channel_item.setImage(channel_map, levels=levels, autoLevels=False)
        self.overlay_item.setImage(channel_map, levels=levels, autoLevels=False)
        self.channel_box.autoRange(padding=0.02)
        self._place_overlay()
        self.info.setText(self._describe())

    def _describe(self) -> str:
        channel, activation = self._channel, self._activation
        if channel is None or self._channel_map is None:
            return ""
        text = f"{'unit' if self.showing_units else 'channel'} {channel}"
        for label, attribute in (("mean", "mean"), ("max", "max"), ("zeros", "zero_fraction")):
            values = getattr(activation, attribute, None)
            if values is not None and np.ndim(values) and channel < len(values):
                text += f" · {label} {float(values[channel]):.3g}"
        dead = getattr(activation, "dead", None)
        if dead is not None and np.ndim(dead) and channel < len(dead) and bool(dead[channel]):
            text += " · dead"
        # x is the column and y the row, in the cell as in the pixels it sees; pixel ranges are inclusive and
        # their size is said, so that "x 12..17" is not read as ending before 17.
        if self._cell is not None:
            row, column = self._cell
            text += f" · cell x {column}, y {row} = {float(self._channel_map[row, column]):.3g}"
        if self._box is not None:
            x0, y0, x1, y1 = self._box
            (left, right), (top, bottom) = _pixels(x0, x1), _pixels(y0, y1)
            text += f" · sees x {left}..{right}, y {top}..{bottom} ({right - left + 1}×{bottom - top + 1} px)"
        return text

    def _place_overlay(self) -> None:
        if self._input_image is not None:
            height, width = self._input_image.shape[:2]
        elif self._input_size is not None:
            height, width = self._input_size
        elif self._channel_map is not None:
            height, width = self._channel_map.shape
        else:
            return
        # Stretching the map over the whole input is how the cell grid lines up with the image; the exact
        # per-cell footprint is the receptive-field box drawn on click.
        self.overlay_item.setRect(QtCore.QRectF(0, 0, width, height))
        self.overlay_box.autoRange(padding=0.02)

    def _apply_alpha(self) -> None:
        self.overlay_item.setOpacity(self.alpha.value() / 100)

    # ----------------------------------------------------------------------------------------- clicks
    def cell_center(self, row: int, column: int) -> QtCore.QPoint:
        """Widget coordinates (in ``view.viewport()``) of a cell's centre, for clicks in tests."""
        scene_point = self.channel_box.mapViewToScene(QtCore.QPointF(column + 0.5, row + 0.5))
        return self.view.mapFromScene(scene_point)

    def _on_clicked(self, event: MouseClickEvent) -> None:
        if self._channel_map is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if not self.channel_box.sceneBoundingRect().contains(event.scenePos()):
            return
        point = self.channel_box.mapSceneToView(event.scenePos())
        row, column = int(np.floor(point.y())), int(np.floor(point.x()))
        height, width = self._channel_map.shape
        if 0 <= row < height and 0 <= column < width:
            self.cellClicked.emit(row, column)

    def show_receptive_field(self, row: int, column: int) -> tuple[float, float, float, float] | None:
        """Mark cell (row, col) and draw its receptive-field box on the input; returns the box (or None)."""
        self._cell = (row, column)
        self.cell_mark.setRect(QtCore.QRectF(column, row, 1, 1))
        self.cell_mark.show()
        field = getattr(self._activation, "receptive_field", None)
        if field is None:
            self._box = None
            self.box_mark.hide()
        else:
            # Clipped to the input: the part of a field that hangs over the border only sees padding.
            clip = (
                self._input_size
                if self._input_size is not None
                else (None if self._input_image is None else tuple(self._input_image.shape[:2]))
            )
            x0, y0, x1, y1 = (float(v) for v in field.box(row, column, clip=clip))
            self._box = (x0, y0, x1, y1)
            self.box_mark.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
            self.box_mark.show()
        self.info.setText(self._describe())
        return self._box


def _pixels(start: float, end: float) -> tuple[int, int]:
    """The first and last pixel (inclusive) a box edge pair covers, pixel ``i`` spanning ``[i, i+1)``."""
    first = math.floor(start)
    return first, max(first, math.ceil(end) - 1)
