"""Heatmap tab: pick a class, ask for a dense class heatmap, see it over the image with a colour bar.

A pure view over the engine's ``ClassHeatmap``: the parameters leave as ``computeRequested(HeatmapRequest)``, the
app runs ``dense_heatmap`` on the worker and feeds back ``set_progress`` / ``set_heatmap``. Export asks
for a path (and before overwriting) and leaves as ``exportRequested``; the app writes the files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.colormap.ranges import score_range
from viewer.core.file_export import heatmap_paths
from viewer.core.options import FUSIONS, HEATMAP_COLORMAPS, MODES, SCALE_PRESETS, HeatmapRequest
from viewer.core.options import parse_scales as parse_core_scales
from viewer.gui.widgets.activations.large import pyqtgraph_colormap
from viewer.gui.widgets.common.export_message import ExportMessage
from viewer.gui.widgets.common.plots import pg
from viewer.gui.widgets.common.turns import DrawWhenShown
from viewer.gui.widgets.heatmap.classes import ClassPicker

__all__ = ["HEATMAP_COLORMAPS", "HeatmapView", "parse_scales"]

DEFAULT_SCALES = "1, 1.4, 2"


def parse_scales(text: str) -> tuple[float, ...]:
    """``"1, 1.4, 2"`` -> ``(1.0, 1.4, 2.0)``, ``"overfeat"`` -> its preset; raises ValueError with a readable
    sentence otherwise (the core's parser, the CLI's too)."""
    try:
        return parse_core_scales(text)
    except ValueError as error:
        raise ValueError(f"Scales {text!r}: {error}.") from None


class HeatmapView(QtWidgets.QWidget):
    """Class picker, dense-evaluation options, overlay (objectName ``heatmapView``) and colour bar.

    Signals:
        computeRequested(HeatmapRequest): the class (an index), mode, scales, offsets and fusion chosen.
        cancelRequested(): the user pressed Cancel while busy.
        exportRequested(str, bool): a path chosen for the export and whether overwriting was confirmed
            (False when none of the files exists). The app writes with ``colormap_name`` and ``alpha``.
    """

    computeRequested = Signal(object)
    cancelRequested = Signal()
    exportRequested = Signal(str, bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: np.ndarray | None = None
        # Most image switches happen on another tab: the picture is drawn when this one is shown, in its Show
        # event (before its first paint), which keeps an image switch's work on the GUI thread short
        # (``viewer bench``: the 200-switch stall).
        self._when_shown = DrawWhenShown(self, self._draw_image, when_shown="now")
        self._heatmap: Any = None
        self._standing_notice = ""
        self._build()

    # ----------------------------------------------------------------------------------------- layout
    def _build(self) -> None:
        first, second = self._build_controls()
        self.notice = QtWidgets.QLabel()
        self.notice.setObjectName("heatmapNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("QLabel { background: #fff3cd; color: #664d03; padding: 4px; }")
        self.notice.hide()
        self._build_plot()
        self.info = QtWidgets.QLabel()
        self.info.setObjectName("heatmapInfo")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addWidget(self.notice)
        layout.addWidget(self.export_message)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.info)
        self._apply_alpha()
        self.set_busy(False)
        self.set_heatmap(None)

    def _build_controls(self) -> tuple[QtWidgets.QHBoxLayout, QtWidgets.QHBoxLayout]:
        """The two rows above the map: what to compute, then how to show it (and Cancel, Export)."""
        self.class_picker = ClassPicker(self)  # objectName heatmapClassPicker
        self.mode_picker = QtWidgets.QComboBox()
        self.mode_picker.setObjectName("heatmapMode")
        self.mode_picker.addItems(MODES)
        self.mode_picker.setToolTip("softmax: probability of the class at each place; logit: its raw score")
        self.scales_edit = QtWidgets.QLineEdit(DEFAULT_SCALES)
        self.scales_edit.setObjectName("heatmapScales")
        self.scales_edit.setToolTip(
            "Image short sides as multiples of the resize size (256 for ImageNet weights), not of the network's "
            f"input size; or a preset: {', '.join(SCALE_PRESETS)} (Sermanet et al.'s 6 scales)"
        )
        self.scales_edit.setCompleter(QtWidgets.QCompleter(list(SCALE_PRESETS), self.scales_edit))
        self.scales_edit.setMaximumWidth(110)
        self.scales_edit.returnPressed.connect(self._on_compute)
        self.offsets_check = QtWidgets.QCheckBox("offsets")
        self.offsets_check.setObjectName("heatmapOffsets")
        self.offsets_check.setToolTip("OverFeat's shifted final pooling: denser maps, more work")
        self.fuse_picker = QtWidgets.QComboBox()
        self.fuse_picker.setObjectName("heatmapFuse")
        self.fuse_picker.addItems(FUSIONS)
        self.fuse_picker.setToolTip("How the scales' maps are combined")

        self.colormap_picker = QtWidgets.QComboBox()
        self.colormap_picker.setObjectName("heatmapColormap")
        self.colormap_picker.addItems(HEATMAP_COLORMAPS)
        self.colormap_picker.currentIndexChanged.connect(self._apply_colormap)
        self.alpha_slider = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.alpha_slider.setObjectName("heatmapAlpha")
        self.alpha_slider.setRange(0, 100)
        self.alpha_slider.setValue(50)
        self.alpha_slider.setMaximumWidth(140)
        self.alpha_slider.valueChanged.connect(self._apply_alpha)
        self.compute_button = QtWidgets.QPushButton("Compute")
        self.compute_button.setObjectName("computeHeatmapButton")
        self.compute_button.setDefault(True)
        self.compute_button.clicked.connect(self._on_compute)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelHeatmapButton")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("heatmapProgress")
        self.progress.setTextVisible(True)
        self.export_button = QtWidgets.QPushButton("Export…")
        self.export_button.setObjectName("exportHeatmapButton")
        self.export_button.setToolTip("Save the overlay (PNG), the scores (NPY) and how they were made (JSON)")
        self.export_button.clicked.connect(self._on_export)
        self.export_message = ExportMessage("heatmapExportMessage")

        first = QtWidgets.QHBoxLayout()
        widget: QtWidgets.QWidget
        for label, widget in (
            ("Class", self.class_picker),
            ("Mode", self.mode_picker),
            ("Scales", self.scales_edit),
            (None, self.offsets_check),
            ("Fuse", self.fuse_picker),
        ):
            if label:
                first.addWidget(QtWidgets.QLabel(label))
            first.addWidget(widget, 3 if widget is self.class_picker else 0)
        first.addWidget(self.compute_button)
        second = QtWidgets.QHBoxLayout()
        for label, widget in (("Colormap", self.colormap_picker), ("Opacity", self.alpha_slider)):
            second.addWidget(QtWidgets.QLabel(label))
            second.addWidget(widget)
        second.addWidget(self.progress, 1)
        second.addStretch(0)  # holds the buttons right while the progress bar is hidden
        second.addWidget(self.cancel_button)
        second.addWidget(self.export_button)
        fixed = QtWidgets.QSizePolicy.Policy.Fixed
        for widget in (self.colormap_picker, self.cancel_button, self.export_button, self.compute_button):
            widget.setSizePolicy(fixed, widget.sizePolicy().verticalPolicy())
        return first, second

    def _build_plot(self) -> None:
        """The image, the map over it, its peak and the colour bar."""
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("heatmapView")
        self.plot = self.graphics.addPlot()
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.hideButtons()
        # No pixel axes: an image needs none, and redrawing their ticks for each new image was the costliest
        # part of this view's repaint (``viewer bench``: the GUI thread's stalls while switching images).
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.heat_item = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image_item)
        self.plot.addItem(self.heat_item)
        self.heat_item.setZValue(1)
        self.colorbar = pg.ColorBarItem(
            values=(0, 1),
            colorMap=pyqtgraph_colormap(HEATMAP_COLORMAPS[0]),
            interactive=False,
            label="score",
            colorMapMenu=False,
        )
        # Labels as wide as they need: the bar's fixed 45 px cut a near-flat map's ticks (a random-init network's
        # softmax, 0.00099987…0.00100013) down to six identical "0.001".
        self.colorbar.axis.setWidth(None)
        self.graphics.addItem(self.colorbar)
        self.peak_mark = pg.ScatterPlotItem(size=14, symbol="+", pen=pg.mkPen("w", width=2), brush=None)
        self.peak_mark.setZValue(2)
        self.plot.addItem(self.peak_mark)

    # ----------------------------------------------------------------------------------------- state
    @property
    def shown_class(self) -> int | None:
        """Class index of the heatmap on screen (None when there is none)."""
        return None if self._heatmap is None else int(self._heatmap.class_index)

    @property
    def selected_class(self) -> int | None:
        """Class index the picker resolves to (what Compute would ask for)."""
        return self.class_picker.class_index()

    @property
    def colormap_name(self) -> str:
        return self.colormap_picker.currentText()

    @property
    def alpha(self) -> float:
        """Heatmap opacity over the image, 0..1."""
        return self.alpha_slider.value() / 100

    @property
    def overlay_peak(self) -> tuple[float, float] | None:
        """(x, y) in displayed-image pixels of the hottest overlay pixel, from what the ImageItem shows."""
        shown = self.heat_item.image
        if self._heatmap is None or shown is None:
            return None
        row, column = np.unravel_index(int(np.nanargmax(shown)), shown.shape)
        rect = self.heat_item.mapRectToParent(self.heat_item.boundingRect())
        return (
            rect.x() + (column + 0.5) * rect.width() / shown.shape[1],
            rect.y() + (row + 0.5) * rect.height() / shown.shape[0],
        )

    @property
    def busy(self) -> bool:
        return self.cancel_button.isEnabled()

    # ----------------------------------------------------------------------------------------- API
    def set_image(self, image: np.ndarray | None) -> None:
        """The picture (uint8 HxWx3 or HxW) the heatmap is laid over; clears an older image's heatmap."""
        self._image = None if image is None else np.asarray(image)
        self.set_heatmap(None)
        self._when_shown.request()

    def _draw_image(self) -> None:
        if self._image is None:
            self.image_item.clear()
        else:
            self.image_item.setImage(self._image, autoLevels=False)  # uint8 without levels: shown as it is
        self.plot.autoRange(padding=0.01)

    def set_classes(self, categories: list[str], top_indices: list[int]) -> None:
        """All classes of the model, with this image's top-k (best first) listed before the rest."""
        self.class_picker.set_classes(categories, top_indices)

    def set_heatmap(self, heatmap: Any | None, on_screen: Any = None) -> None:
        """Show an engine ``ClassHeatmap`` over the image (None removes the overlay).

        ``on_screen`` (``viewer.core.results.heatmap.HeatmapOnScreen``) carries a small copy of the scores and
        their range made on the worker; without it the full scores are shown.
        """
        self._heatmap = heatmap
        self.export_button.setEnabled(heatmap is not None)
        if heatmap is None:
            self.heat_item.clear()
            self.peak_mark.setData([], [])
            self.info.setText("Pick a class and press Compute.")
            return
        if on_screen is not None and on_screen.heatmap is heatmap:
            scores, (low, high) = on_screen.scores, on_screen.levels
        else:
            scores = np.asarray(heatmap.scores, dtype=np.float32)
            low, high = score_range(scores)  # a flat map still draws (one colour)
        self.heat_item.setImage(scores, levels=(low, high), autoLevels=False)
        # Scores are in original-image pixels; the image on screen may be a smaller display copy, so the
        # map is stretched over whatever image is shown.
        height, width = self._image.shape[:2] if self._image is not None else scores.shape
        self.heat_item.setRect(QtCore.QRectF(0, 0, width, height))
        self.colorbar.setLevels((low, high))
        self._apply_colormap()
        self.colorbar.setImageItem(self.heat_item)
        peak_x, peak_y = self.overlay_peak or (0.0, 0.0)  # a heatmap was just set: there is a peak
        self.peak_mark.setData([peak_x], [peak_y])
        if self._image is None:
            self.plot.autoRange(padding=0.01)
        self.info.setText(self._describe(heatmap, high))

    def set_progress(self, step: int, total: int, message: str = "") -> None:
        """Advance the progress bar (a ``core.progress.Progress``)."""
        self.progress.setRange(0, max(int(total), 1))
        self.progress.setValue(int(step))
        self.progress.setFormat(f"{message}  %v/%m" if message else "%v/%m")

    def set_busy(self, busy: bool) -> None:
        """While computing: Compute off, Cancel and the progress bar on."""
        self.compute_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)  # "working" until the first progress report
            self.progress.setFormat("starting…")

    def set_notice(self, text: str) -> None:
        """A standing message above the image (e.g. "random init"); '' hides it. It comes back after a
        refused Compute's own message is gone."""
        self._standing_notice = text
        self._show_notice(text)

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def show_export_message(self, text: str) -> None:
        """Why the last export failed, above the picture ('' hides it)."""
        self.export_message.say(text)

    def choose_export_path(self) -> str:
        """Ask for an export path ('' when cancelled). Overwriting is asked separately. Tests override this."""
        suggested = f"{self._heatmap.class_name}.png" if self._heatmap is not None else "heatmap.png"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self,
            "Export heatmap",
            suggested,
            "PNG overlay + NPY + JSON (*.png)",
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite,
        )
        return path

    def confirm_overwrite(self, existing: list[Path]) -> bool:
        """Ask before replacing files. Tests override this."""
        names = "\n".join(str(path) for path in existing)
        answer = QtWidgets.QMessageBox.question(self, "Replace files?", f"These files exist:\n{names}\nReplace them?")
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    # ----------------------------------------------------------------------------------------- internals
    def _describe(self, heatmap: Any, peak: float) -> str:
        scales = ", ".join(f"{s:g}" for s in getattr(heatmap, "scales", ()))
        text = (
            f"<b>{heatmap.class_index} {heatmap.class_name}</b> · {heatmap.mode} · scales {scales} · "
            f"fuse {heatmap.fuse}{' · offsets' if heatmap.offsets else ''} · peak {peak:.3g} · "
            f"{heatmap.model}, {heatmap.weights}"
        )
        notes = list(getattr(heatmap, "notes", ()) or ())
        if notes:
            text += "<br>" + "<br>".join(f"note: {note}" for note in notes)
        return text

    def _apply_colormap(self) -> None:
        colormap = pyqtgraph_colormap(self.colormap_name)
        self.heat_item.setColorMap(colormap)
        self.colorbar.setColorMap(colormap)

    def _apply_alpha(self) -> None:
        self.heat_item.setOpacity(self.alpha)

    def _on_compute(self) -> None:
        index = self.class_picker.class_index()
        if index is None:
            text = self.class_picker.currentText()
            count = len(self.class_picker.matches(text))
            self._show_notice(
                f"{count} classes match {text!r}; pick one from the list."
                if count > 1
                else f"No class matches {text!r}; pick one from the list."
            )
            return
        try:
            scales = parse_scales(self.scales_edit.text())
        except ValueError as error:
            self._show_notice(str(error))
            return
        self._show_notice(self._standing_notice)  # a refusal's message goes, "random init" stays
        self.computeRequested.emit(
            HeatmapRequest(
                class_index=index,
                mode=MODES[self.mode_picker.currentIndex()],
                scales=scales,
                offsets=self.offsets_check.isChecked(),
                fuse=FUSIONS[self.fuse_picker.currentIndex()],
            )
        )

    def _on_export(self) -> None:
        if self._heatmap is None:
            return
        self.show_export_message("")
        path = self.choose_export_path()
        if not path:
            return
        try:
            existing = [p for p in self._bundle_paths(path) if p.exists()]
        except OSError as error:  # a path the system refuses even to look at: one sentence, never a traceback
            self.show_export_message(f"Cannot export to {path}: {error.strerror or error}.")
            return
        if existing and not self.confirm_overwrite(existing):
            return
        self.exportRequested.emit(path, bool(existing))

    def _bundle_paths(self, path: str | os.PathLike[str]) -> list[Path]:
        """Every file the export would write (overlay PNG, scores NPY, provenance JSON)."""
        return heatmap_paths(path, self._heatmap.provenance())
