"""Activations tab: a layer tree, a mosaic of the layer's channels and a large view of one channel.

A pure view over engine results: ``set_summary`` fills the tree from a ``Summary``, ``set_activation`` shows
an ``Activation`` (captured by the engine on the worker), and user actions leave as signals. The app answers
``layerRequested`` by capturing that layer and calling ``set_activation``.

The mosaic of a wide layer takes 100-200 ms of numpy to draw, too long for the GUI thread. In the app
(``deferred_grids`` True) the worker draws it: ``set_activation(activation, grid)`` receives it with the
capture, a change of colormap, scale or sort leaves as ``gridOptionsChanged`` and the new mosaic comes back
through ``set_grid`` (the old one stays until then). Standalone (``deferred_grids`` False) the view draws it
itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.activation_grid import ChannelGrid, GridOptions, MosaicLayout, effective_normalize, render_grid
from viewer.core.options import ACTIVATION_COLORMAPS, SORT_KEYS
from viewer.gui.widgets.activations.large import ChannelDetail
from viewer.gui.widgets.activations.tree import LayerTree
from viewer.gui.widgets.architecture.format import format_shape
from viewer.gui.widgets.common.export_message import ExportMessage
from viewer.gui.widgets.common.plots import pg
from viewer.gui.widgets.common.turns import DrawWhenShown

if TYPE_CHECKING:
    from viewer.core.results.activation import Activation
    from viewer.core.results.summary import Summary

__all__ = ["COLORMAPS", "ActivationsView"]

COLORMAPS = ACTIVATION_COLORMAPS
NORMALISATIONS = {"per channel": "channel", "per layer": "layer"}  # label -> channel_grid(normalize=...)


class ActivationsView(QtWidgets.QWidget):
    """Layer tree + channel mosaic + selected channel, large and over the network input.

    Signals:
        layerRequested(str): the user picked a node in the tree (not emitted by ``select_layer``).
        channelSelected(int): the user clicked a channel in the mosaic (channel index in the layer).
        receptiveFieldRequested(int, int): the user clicked cell (row, col) of the large channel view.
        receptiveFieldBox(float, float, float, float): that cell's receptive field (x0, y0, x1, y1) in
            network-input pixels; also drawn over the input image here.
        gridOptionsChanged(GridOptions): the user changed colormap, scale or sort (with ``deferred_grids``
            the app answers with ``set_grid``).
    """

    layerRequested = Signal(str)
    channelSelected = Signal(int)
    receptiveFieldRequested = Signal(int, int)
    receptiveFieldBox = Signal(float, float, float, float)
    gridOptionsChanged = Signal(object)
    exportRequested = Signal()  # Export… pressed: the window writes the grid PNG and the layer's NPY

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._summary: Summary | None = None
        self._activation: Activation | None = None
        self._grid: ChannelGrid | None = None  # the mosaic on screen (always of ``_activation``)
        self._order: np.ndarray = np.zeros(0, dtype=np.int64)
        self._layout: MosaicLayout | None = None
        self.deferred_grids = False  # True in the app: mosaics are drawn on the worker, see the module docstring
        # Most results arrive while another tab is shown: image, ranges and the large channel cost the GUI thread
        # milliseconds each and nobody sees them. They go into the graphics items when the tab is shown, in its
        # Show event (before its first paint: the tab never shows the previous layer's pictures).
        self._when_shown = DrawWhenShown(self, self._draw_items, when_shown="now")
        self._selected_channel: int | None = None
        self._build()

    # ----------------------------------------------------------------------------------------- layout
    def _build(self) -> None:
        self.tree = LayerTree()
        self.tree.layerChosen.connect(self.layerRequested)

        self.notice = QtWidgets.QLabel()
        self.notice.setObjectName("activationsNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("QLabel { background: #fff3cd; color: #664d03; padding: 4px; }")
        self.notice.hide()

        self.colormap_picker = QtWidgets.QComboBox()
        self.colormap_picker.setObjectName("activationColormap")
        self.colormap_picker.addItems(COLORMAPS)
        self.normalisation_picker = QtWidgets.QComboBox()
        self.normalisation_picker.setObjectName("activationNormalisation")
        self.normalisation_picker.addItems(list(NORMALISATIONS))
        self.sort_picker = QtWidgets.QComboBox()
        self.sort_picker.setObjectName("activationSort")
        self.sort_picker.addItems(SORT_KEYS)
        for picker in (self.colormap_picker, self.normalisation_picker, self.sort_picker):
            picker.currentIndexChanged.connect(self._on_options_changed)
        controls = QtWidgets.QHBoxLayout()
        for label, widget in (
            ("Colormap", self.colormap_picker),
            ("Scale", self.normalisation_picker),
            ("Sort by", self.sort_picker),
        ):
            controls.addWidget(QtWidgets.QLabel(label))
            controls.addWidget(widget)
        controls.addStretch(1)
        self.export_button = QtWidgets.QPushButton("Export…")
        self.export_button.setEnabled(False)
        self.export_button.setObjectName("exportActivationsButton")
        self.export_button.setToolTip("Save the channel grid as PNG and the layer's values (all channels) as NPY")
        self.export_button.clicked.connect(self.exportRequested)
        controls.addWidget(self.export_button)
        self.export_message = ExportMessage("activationsExportMessage")

        self.header = QtWidgets.QLabel("Pick a layer on the left.")
        self.header.setObjectName("activationHeader")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.grid = pg.GraphicsLayoutWidget()
        self.grid.setObjectName("activationGrid")
        self.grid.setBackground(self.palette().color(QtGui.QPalette.ColorRole.Base))  # as the image panel's
        self.grid.setMinimumSize(200, 200)
        self._grid_box = self.grid.addViewBox(lockAspect=True, enableMenu=False)
        self._grid_box.invertY(True)
        self._mosaic_item = pg.ImageItem(axisOrder="row-major")
        self._grid_box.addItem(self._mosaic_item)
        self._grid_selection = QtWidgets.QGraphicsRectItem()
        self._grid_selection.setPen(pg.mkPen("#ffffff", width=2))
        self._grid_selection.hide()
        self._grid_box.addItem(self._grid_selection)
        self.grid.scene().sigMouseClicked.connect(self._on_grid_clicked)
        self.grid.scene().sigMouseMoved.connect(self._on_grid_hovered)

        self.detail = ChannelDetail(self)
        self.detail.cellClicked.connect(self._on_cell_clicked)

        right = QtWidgets.QWidget()
        right_layout = QtWidgets.QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.notice)
        right_layout.addWidget(self.export_message)
        right_layout.addLayout(controls)
        right_layout.addWidget(self.header)
        views = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        views.addWidget(self.grid)
        views.addWidget(self.detail)
        views.setSizes([500, 400])
        right_layout.addWidget(views, 1)

        splitter = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.tree)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([340, 760])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # ----------------------------------------------------------------------------------------- public API
    @property
    def current_layer(self) -> str | None:
        """Name of the layer selected in the tree (or shown, when an activation arrived for it)."""
        return self.tree.current_layer

    @property
    def shown_channel_count(self) -> int:
        """How many channels (or units, for a flat output) the mosaic shows."""
        return 0 if self._activation is None else int(np.shape(self._activation.array)[0])

    @property
    def selected_channel(self) -> int | None:
        """Channel index (in the layer, not the mosaic position) shown in the large view."""
        return self._selected_channel

    @property
    def channel_order(self) -> list[int]:
        """Channel indices in mosaic order (follows the sort picker)."""
        return [int(i) for i in self._order]

    @property
    def shown_grid(self) -> ChannelGrid | None:
        """The mosaic on screen (None while the app draws it on the worker)."""
        return self._grid

    def grid_options(self) -> GridOptions:
        """The mosaic options the pickers show."""
        return GridOptions(
            NORMALISATIONS[self.normalisation_picker.currentText()],
            self.sort_picker.currentText(),
            self.colormap_picker.currentText(),
        )

    @property
    def notice_text(self) -> str:
        return self.notice.text() if self.notice.isVisible() or self.notice.text() else ""

    @property
    def layout_info(self) -> MosaicLayout | None:
        """Geometry of the mosaic, for tests and for mapping clicks."""
        return self._layout

    def set_summary(self, summary: Summary | None) -> None:
        """Fill the layer tree from an engine ``Summary`` (None clears it)."""
        self.tree.set_summary(summary)

    def select_layer(self, name: str) -> None:
        """Select ``name`` in the tree without emitting ``layerRequested`` (the app already knows)."""
        self.tree.select_layer(name)

    def set_activation(self, activation: Activation | None, grid: ChannelGrid | None = None) -> None:
        """Show an engine ``Activation``: its channels in the mosaic, the first one (or the same one) large.

        ``grid`` is its mosaic drawn on the worker; without one (or with one of another activation) the view
        draws it here, unless ``deferred_grids`` is set: then the mosaic stays empty until ``set_grid``.
        """
        self._activation = activation
        self.export_button.setEnabled(activation is not None)
        self._clear_mosaic()
        if activation is None:
            self._selected_channel = None
            self.detail.set_channel(None, None)
            self.header.setText("Pick a layer on the left.")
            return
        if activation.layer != self.tree.current_layer:
            self.select_layer(activation.layer)
        if self._selected_channel is None or self._selected_channel >= self.shown_channel_count:
            self._selected_channel = 0
        self.detail.set_geometry(activation)
        if grid is None or grid.activation is not activation:
            if self.deferred_grids:
                self.header.setText(f"<b>{activation.layer}</b> · drawing {self.shown_channel_count} channels…")
                self._when_shown.request()
                return
            grid = render_grid(activation, self.grid_options())
        self.set_grid(grid)

    def set_grid(self, grid: ChannelGrid) -> None:
        """Show a mosaic drawn on the worker; ignored unless it was drawn from the activation shown."""
        activation = self._activation
        if activation is None or grid.activation is not activation:
            return
        self._grid = grid
        self._order = np.asarray(activation.order[grid.options.order], dtype=np.int64)
        self._layout = grid.layout
        count = self.shown_channel_count
        dead_count = int(np.asarray(activation.dead, dtype=bool).sum())
        shape = format_shape(np.shape(activation.array))
        size = f"{count} units" if np.ndim(activation.array) == 1 else f"{shape} · {count} channels"
        self.header.setText(
            f"<b>{activation.layer}</b> · {size} · {dead_count} dead (zero everywhere, red border) · "
            f"sorted by {grid.options.order}"
        )
        self._when_shown.request()

    def _draw_items(self) -> None:
        """Put the shown grid and channel into the graphics items (``_when_shown``: once shown, if hidden)."""
        if self._grid is not None:
            # No levels: a uint8 RGB image then goes to a QImage as it is, without a rescale at each paint.
            self._mosaic_item.setImage(self._grid.image, autoLevels=False)
            self._grid_box.autoRange(padding=0.01)
        self._show_selected()

    def set_input_image(self, image: np.ndarray | None) -> None:
        """The network input as uint8 HxWx3 (or HxW), e.g. ``Prediction.seen``; the overlay's background."""
        self.detail.set_input_image(image)

    def set_notice(self, text: str) -> None:
        """A short message above the views (e.g. a memory-budget refusal, "random init"); '' hides it."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def show_export_message(self, text: str) -> None:
        """Why the last export failed, above the views ('' hides it)."""
        self.export_message.say(text)

    def select_channel(self, channel: int) -> None:
        """Show ``channel`` large and mark it in the mosaic (as a click would, and emits channelSelected)."""
        if self._activation is None or not 0 <= channel < self.shown_channel_count:
            return
        self._selected_channel = int(channel)
        self._show_selected()
        self.channelSelected.emit(int(channel))

    def channel_center(self, channel: int) -> QtCore.QPoint:
        """Widget coordinates (in ``grid.viewport()``) of a channel's tile centre, for clicks in tests."""
        layout = self._layout
        if layout is None:
            raise ValueError("no mosaic is shown")
        position = int(np.flatnonzero(self._order == channel)[0])
        x, y = layout.tile_origin(position)
        centre = QtCore.QPointF(x + layout.tile_width / 2, y + layout.tile_height / 2)
        return self.grid.mapFromScene(self._grid_box.mapViewToScene(centre))

    # ----------------------------------------------------------------------------------------- drawing
    def _clear_mosaic(self) -> None:
        self._grid = None
        self._order = np.zeros(0, dtype=np.int64)
        self._layout = None
        self._mosaic_item.clear()
        self._grid_selection.hide()

    def _on_options_changed(self) -> None:
        options = self.grid_options()
        self.gridOptionsChanged.emit(options)
        if not self.deferred_grids and self._activation is not None:
            self.set_grid(render_grid(self._activation, options))

    def _show_selected(self) -> None:
        channel, activation, grid = self._selected_channel, self._activation, self._grid
        if activation is None or channel is None:
            return
        if not self.isVisible():
            self._when_shown.request()  # hidden: the mosaic and the channel are drawn together when shown
            return
        if grid is not None:
            position = int(np.flatnonzero(self._order == channel)[0])
            x, y = grid.layout.tile_origin(position)
            self._grid_selection.setRect(QtCore.QRectF(x, y, grid.layout.tile_width, grid.layout.tile_height))
            self._grid_selection.show()
        array = np.asarray(activation.array)
        # A flat output (Linear, pooled features) is N one-pixel maps, one per unit.
        maps = array.reshape(array.shape[0], 1, 1) if array.ndim == 1 else array
        options = grid.options if grid is not None else self.grid_options()
        per_channel = effective_normalize(options, *maps.shape[1:]) == "channel"
        # The layer's range comes with the mosaic (computed on the worker); one channel's own range is cheap.
        levels = None if per_channel or grid is None else grid.levels
        self.detail.set_colormap(options.colormap)
        self.detail.set_channel(channel, maps[channel].astype(np.float32), levels=levels, activation=activation)

    def _on_grid_clicked(self, event: MouseClickEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        channel = self._channel_at(event.scenePos())
        if channel is not None:
            self.select_channel(channel)

    def _channel_at(self, scene_position: QtCore.QPointF) -> int | None:
        if self._layout is None or not self._grid_box.sceneBoundingRect().contains(scene_position):
            return None
        point = self._grid_box.mapSceneToView(scene_position)
        position = self._layout.position_at(point.x(), point.y())
        return None if position is None else int(self._order[position])

    def _on_grid_hovered(self, scene_position: QtCore.QPointF) -> None:
        channel = self._channel_at(scene_position)
        activation = self._activation
        if channel is None or activation is None:
            self.grid.setToolTip("")
            return
        mean, peak = float(activation.mean[channel]), float(activation.max[channel])
        text = f"channel {channel}: mean {mean:.3g}, max {peak:.3g}"
        if bool(np.asarray(activation.dead)[channel]):
            text += " (dead: zero everywhere on this image)"
        self.grid.setToolTip(text)

    def _on_cell_clicked(self, row: int, column: int) -> None:
        self.receptiveFieldRequested.emit(row, column)
        box = self.detail.show_receptive_field(row, column)
        if box is not None:
            self.receptiveFieldBox.emit(*box)
