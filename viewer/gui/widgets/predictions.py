"""Predictions tab: the top-k as horizontal bars, and what the network actually sees beside the original.

Everything drawn comes from the engine's ``Prediction``: class index and name, probability or logit,
timings, the de-normalised network input (``Prediction.seen``). Random-init weights are said so in red.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal

from viewer.core.lecture.tta import CropBox, tta_description
from viewer.core.network.recipe import used_details, used_label
from viewer.gui.widgets.common.export_message import ExportMessage
from viewer.gui.widgets.common.fitted_picture import FittedPicture
from viewer.gui.widgets.common.plots import pg
from viewer.gui.widgets.common.png import png_bytes

__all__ = ["ClassShown", "PredictionShown", "PredictionsView", "array_to_pixmap"]

NO_IMAGE = "No prediction yet: open, drop or paste an image."
CROP_SIDE = 72
PREVIEW_LARGEST, PREVIEW_SMALLEST = 224, 100
BAR_COLOUR = "#3b7dd8"
TOP_COLOUR = "#1b5fbf"
CHART_EXPORT_SIZE = QtCore.QSize(960, 600)  # a view never laid out (its tab never shown) is exported at this size


class ClassShown(Protocol):
    """One bar of the top-k (the engine's ``inference.TopClass``)."""

    @property
    def index(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def logit(self) -> float: ...
    @property
    def prob(self) -> float: ...


class PredictionShown(Protocol):
    """What this view draws of a prediction (``viewer.core.results.prediction.Prediction``)."""

    @property
    def image(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def weights(self) -> str: ...
    @property
    def pretrained(self) -> bool: ...
    @property
    def device(self) -> str: ...
    @property
    def preprocess(self) -> str: ...
    @property
    def recipe(
        self,
    ) -> Mapping[str, object]: ...  # the preprocessing applied (``viewer.core.network.recipe.recipe_used``)
    @property
    def tta(self) -> bool: ...
    @property
    def topk(self) -> Sequence[ClassShown]: ...
    @property
    def timings_ms(self) -> Mapping[str, float]: ...
    @property
    def seen(self) -> np.ndarray: ...  # the network's input de-normalised, uint8
    @property
    def tta_crops(self) -> Sequence[CropBox]: ...
    @property
    def tta_geometry(self) -> Mapping[str, object] | None: ...
    @property
    def tta_average(self) -> str | None: ...
    @property
    def tta_seen(self) -> Sequence[np.ndarray] | None: ...


def array_to_pixmap(array: np.ndarray) -> QtGui.QPixmap:
    """A QPixmap of a uint8 HxW or HxWx3 array (copied: the QImage must not outlive the array)."""
    data = np.ascontiguousarray(array)
    height, width = data.shape[:2]
    if data.ndim == 2:
        image = QtGui.QImage(data.data, width, height, data.strides[0], QtGui.QImage.Format.Format_Grayscale8)
    else:
        image = QtGui.QImage(data.data, width, height, data.strides[0], QtGui.QImage.Format.Format_RGB888)
    return QtGui.QPixmap.fromImage(image.copy())


class PredictionsView(QtWidgets.QWidget):
    """Top-k bars with k and probability/logit controls; ``set_prediction(None)`` clears (never stale).

    Signals:
        topkRequested(int): the user changed k (the state re-classifies).
        exportRequested(): Export… pressed (the window asks where and writes CSV + JSON + chart PNG).
    """

    topkRequested = Signal(int)
    exportRequested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("topkView")
        self._prediction: PredictionShown | None = None
        self._original: np.ndarray | None = None
        self._reason = ""  # why there is no prediction although an image is open (no model)
        self._busy = ""
        self.header = QtWidgets.QLabel(NO_IMAGE)
        self.header.setObjectName("predictionHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(QtCore.Qt.TextFormat.RichText)
        # Room for two lines whatever it says: a prediction's header (model · weights · device · preprocess …)
        # wraps into two at the usual widths, a placeholder ("Loading resnet18…") takes one, and a header that
        # changed height with each model switch re-laid out and repainted the chart and both previews twice.
        self.header.setMinimumHeight(2 * self.header.fontMetrics().lineSpacing())
        self.k_spin = QtWidgets.QSpinBox(minimum=1, maximum=50, value=5)
        self.k_spin.setObjectName("topkSpin")
        self.k_spin.setPrefix("top ")
        self.logit_toggle = QtWidgets.QCheckBox("Show logits")
        self.logit_toggle.setObjectName("logitToggle")
        self.logit_toggle.setToolTip("Bars show raw logits instead of softmax probabilities")
        self.timing = QtWidgets.QLabel("")
        self.timing.setObjectName("predictionTiming")
        self.export_button = QtWidgets.QPushButton("Export…")
        self.export_button.setEnabled(False)
        self.export_button.setObjectName("exportPredictionsButton")
        self.export_button.setToolTip("Save the top-k as CSV and JSON (with how it was computed) and the chart as PNG")
        self.export_message = ExportMessage("predictionsExportMessage")
        self._build_plot()
        self._build_previews()

        controls = QtWidgets.QHBoxLayout()
        controls.addWidget(self.k_spin)
        controls.addWidget(self.logit_toggle)
        controls.addWidget(self.crops_toggle)
        controls.addStretch(1)
        controls.addWidget(self.timing)
        controls.addWidget(self.export_button)
        previews = QtWidgets.QGridLayout()
        previews.addWidget(QtWidgets.QLabel("Original"), 0, 0)
        previews.addWidget(self.seen_caption, 0, 1)
        previews.addWidget(self.original_label, 1, 0)
        previews.addWidget(self.seen_label, 1, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(controls)
        layout.addWidget(self.export_message)
        layout.addWidget(self.plot, 3)
        layout.addLayout(previews, 1)
        layout.addWidget(self.crops_box)

        self.k_spin.valueChanged.connect(self.topkRequested)
        self.export_button.clicked.connect(self.exportRequested)
        self.logit_toggle.toggled.connect(lambda _on: self._draw())
        self.crops_toggle.toggled.connect(lambda _on: self._draw_crops())
        self.plot.getPlotItem().hide()  # empty until a prediction comes (no axes of nothing)

    def _build_plot(self) -> None:
        """The bars of the top-k, class names as the left axis' ticks."""
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("topkPlot")
        self.plot.setBackground(self.palette().color(QtGui.QPalette.ColorRole.Base))
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getPlotItem().getAxis("left").setStyle(tickLength=0)
        self.plot.getViewBox().invertY(True)
        self.plot.setAcceptDrops(False)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[], brush=BAR_COLOUR)
        self.plot.addItem(self.bars)
        self._labels: list[pg.TextItem] = []
        self._axis_for_logits: bool | None = None  # the mode the bottom axis was last set up for
        self._add_labels(5)  # the default k, made now: creating them when a result lands stalls the GUI thread

    def _build_previews(self) -> None:
        """The original, what the network sees, and (with ten-crop TTA) the ten views."""
        # Whole pictures scaled to the room the plot leaves them (a fixed size was cut off at 1366×768).
        self.original_label = FittedPicture(largest=PREVIEW_LARGEST, smallest=PREVIEW_SMALLEST)
        self.original_label.setObjectName("originalPreview")
        self.seen_label = FittedPicture(largest=PREVIEW_LARGEST, smallest=PREVIEW_SMALLEST)
        self.seen_label.setObjectName("seenPreview")
        for label in (self.original_label, self.seen_label):
            label.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.seen_caption = QtWidgets.QLabel("What the network sees")
        self.seen_caption.setObjectName("seenCaption")
        # With TTA: the ten views the network saw (Krizhevsky's corners + centre and their mirrors).
        self.crops_toggle = QtWidgets.QCheckBox("Show the ten crops")
        self.crops_toggle.setChecked(True)
        self.crops_toggle.setObjectName("cropsToggle")
        self.crops_toggle.setToolTip("With ten-crop TTA: the ten views whose softmax outputs are averaged")
        self.crops_box = QtWidgets.QWidget()
        self.crops_box.setObjectName("tenCrops")
        crops_grid = QtWidgets.QGridLayout(self.crops_box)
        crops_grid.setContentsMargins(0, 0, 0, 0)
        self.crop_labels: list[QtWidgets.QLabel] = []
        self.crop_tags: list[QtWidgets.QLabel] = []  # TL, TR, C, BL, BR (mirrored): drawn, not only in tooltips
        for number in range(10):
            crop = QtWidgets.QLabel()
            crop.setObjectName(f"crop{number}")
            crop.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            crop.setFixedSize(CROP_SIDE, CROP_SIDE)
            tag = QtWidgets.QLabel()
            tag.setObjectName(f"cropTag{number}")
            tag.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.AlignmentFlag.AlignTop)
            row, column = 2 * (number // 5), number % 5
            crops_grid.addWidget(crop, row, column, QtCore.Qt.AlignmentFlag.AlignHCenter)
            crops_grid.addWidget(tag, row + 1, column)
            self.crop_labels.append(crop)
            self.crop_tags.append(tag)
        self.crops_box.hide()
        self.crops_toggle.hide()

    # --- setters -----------------------------------------------------------------------------------
    def set_prediction(self, prediction: PredictionShown | None) -> None:
        self._prediction = prediction
        self._draw()
        self._draw_crops()
        self.export_button.setEnabled(prediction is not None)

    def chart_png(self) -> bytes:
        """The top-k chart as drawn, PNG-encoded (the export's picture).

        A view whose tab was never shown has never been laid out (its chart is 0 pixels high, and its grab an
        empty image): it is laid out first at its tab's size, or ``CHART_EXPORT_SIZE`` when that is unknown.
        """
        if not self.isVisible():
            self._lay_out_unshown()
            # The first paint sizes the class-name axis to its texts; the re-layout that follows is posted.
            self.plot.grab()
            QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
        return png_bytes(self.plot.grab().toImage())

    def show_export_message(self, text: str) -> None:
        """Why the last export failed, under the controls ('' hides it)."""
        self.export_message.say(text)

    def _lay_out_unshown(self) -> None:
        parent = self.parentWidget()
        size = parent.size() if parent is not None else QtCore.QSize()
        if size.width() < CHART_EXPORT_SIZE.width() // 2 or size.height() < CHART_EXPORT_SIZE.height() // 2:
            size = CHART_EXPORT_SIZE
        self.resize(size)  # the tab resizes it again when it is shown
        layout = self.layout()
        if layout is not None:
            layout.activate()  # the children's geometry now; grab() then sends their pending resize events

    def shown_crops(self) -> list[str]:
        """The captions drawn under the crops shown, in order (empty when none are)."""
        return (
            [
                tag.text()
                for label, tag in zip(self.crop_labels, self.crop_tags, strict=True)
                if label.pixmap() is not None and not label.pixmap().isNull()
            ]
            if self.crops_box.isVisible()
            else []
        )

    def _draw_crops(self) -> None:
        prediction = self._prediction
        views = prediction.tta_seen if prediction is not None else None
        boxes = prediction.tta_crops if prediction is not None else ()
        self.crops_toggle.setVisible(bool(views))  # only with TTA, where there are crops to show
        show = bool(views) and self.crops_toggle.isChecked()
        self.crops_box.setVisible(show)
        if not show:
            return
        for label, tag, view, box in zip(self.crop_labels, self.crop_tags, views or (), boxes, strict=False):
            label.setPixmap(
                array_to_pixmap(view).scaled(
                    CROP_SIDE,
                    CROP_SIDE,
                    QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                    QtCore.Qt.TransformationMode.SmoothTransformation,
                )
            )
            tag.setText(box.tag)
            where = f"{box.label}: box {tuple(box.box)} of the rescaled image"
            label.setToolTip(where)
            tag.setToolTip(where)

    def set_original(self, array: np.ndarray | None) -> None:
        self._original = array
        self._set_preview(self.original_label, array)
        if self._prediction is None:
            self.header.setText(self._placeholder())

    def set_topk(self, k: int) -> None:
        blocked = self.k_spin.blockSignals(True)
        self.k_spin.setValue(k)
        self.k_spin.blockSignals(blocked)

    def set_show_logits(self, on: bool) -> None:
        self.logit_toggle.setChecked(on)

    def set_busy(self, text: str) -> None:
        """Say what is being computed while no prediction is shown."""
        self._busy = text
        if self._prediction is None:
            self.header.setText(self._placeholder())

    def set_reason(self, text: str) -> None:
        """Why no prediction can come (no model loaded), said instead of the bars; "" when one can."""
        self._reason = text
        if self._prediction is None:
            self.header.setText(self._placeholder())

    def _placeholder(self) -> str:
        """The header while there is no prediction: the real reason, never "open an image" over an image."""
        if self._reason:
            return self._reason
        if self._busy:
            return self._busy
        # Never "Classifying…" here: that is said only while a job runs (``set_busy``), not after one failed.
        return NO_IMAGE if self._original is None else "No prediction for this image yet."

    # --- queries -----------------------------------------------------------------------------------
    def rows(self) -> list[tuple[int, str, float]]:
        """(class index, class name, shown value) of every bar, top first: what the user reads."""
        if self._prediction is None:
            return []
        logits = self.logit_toggle.isChecked()
        return [(t.index, t.name, t.logit if logits else t.prob) for t in self._prediction.topk]

    def top_names(self) -> list[str]:
        return [name for _, name, _ in self.rows()]

    def prediction(self) -> PredictionShown | None:
        return self._prediction

    # --- drawing -----------------------------------------------------------------------------------
    def _draw(self) -> None:
        for label in self._labels:
            label.hide()
        prediction = self._prediction
        if prediction is None:
            # Hidden while empty: its axes re-lay themselves out over several event-loop turns, each a repaint
            # of an empty chart (four per model switch, while the engine loads the next model on the same cores).
            self.plot.getPlotItem().hide()
            self.bars.setOpts(x0=[], y=[], width=[], height=0.7)
            self.plot.getPlotItem().getAxis("left").setTicks([[]])
            self.timing.setText("")
            self._set_preview(self.seen_label, None)
            self.header.setText(self._placeholder())
            self.header.setToolTip("")
            return
        rows = self.rows()
        logits = self.logit_toggle.isChecked()
        values = np.array([value for _, _, value in rows], dtype=np.float64)
        brushes = [TOP_COLOUR] + [BAR_COLOUR] * (len(rows) - 1)
        self.bars.setOpts(
            x0=np.minimum(values, 0), y=np.arange(len(rows)), width=np.abs(values), height=0.7, brushes=brushes
        )
        # Class names as the left axis' ticks, the value at the end of each bar.
        self.plot.getPlotItem().getAxis("left").setTicks(
            [[(i, f"{name}  #{index}") for i, (index, name, _) in enumerate(rows)]]
        )
        self._add_labels(len(rows) - len(self._labels))  # made once and reused
        for label, (position, (_, _, value)) in zip(self._labels, enumerate(rows), strict=False):
            label.setText(f"{value:.3f}" if logits else f"{value:.1%}")
            label.setAnchor((0, 0.5) if value >= 0 else (1, 0.5))
            label.setPos(float(value), position)
            label.show()
        high = float(max(values.max(), 0.0)) if len(values) else 1.0
        low = float(min(values.min(), 0.0)) if len(values) else 0.0
        span = (high - low) or 1.0
        # Room on both sides for the value labels.
        bottom = self.plot.getPlotItem().getAxis("bottom")
        if logits:
            self.plot.setXRange(low - (span * 0.15 if low < 0 else 0), high + span * 0.15, padding=0)
        else:
            self.plot.setXRange(0, 1.15, padding=0)
        self.plot.setYRange(-0.6, len(rows) - 0.4, padding=0)
        if self._axis_for_logits is not logits:  # set once per mode: the axis re-lays its label out each time
            self._axis_for_logits = logits
            # The range goes past 1 only to leave room for the labels: no tick promises a probability above 1.
            bottom.setTicks(None if logits else [[(tick / 5, f"{tick / 5:.1f}") for tick in range(6)]])
            self.plot.getPlotItem().setLabel("bottom", "logit" if logits else "probability")
        warning = (
            ""
            if prediction.pretrained
            else " <span style='color:#b3261e'><b>random init: not trained, the classes mean nothing</b></span>"
        )
        extras = (
            f", ten-crop TTA ({tta_description(prediction.tta_geometry, prediction.tta_average)})"
            if prediction.tta
            else ""
        )
        self.header.setText(
            f"<b>{prediction.model}</b> · weights {prediction.weights} · {prediction.device} · "
            f"preprocess {prediction.preprocess}{used_label(prediction.recipe)}{extras}{warning}"
        )
        self.header.setToolTip(used_details(prediction.recipe))
        timings = prediction.timings_ms
        self.timing.setText(" · ".join(f"{name} {ms:.0f} ms" for name, ms in timings.items()))
        self._set_preview(self.seen_label, prediction.seen)
        self.plot.getPlotItem().show()

    def _add_labels(self, count: int) -> None:
        for _ in range(count):
            label = pg.TextItem("", color="#202020")
            label.hide()
            self.plot.addItem(label)
            self._labels.append(label)

    def _set_preview(self, label: FittedPicture, array: np.ndarray | None) -> None:
        if array is None:
            label.clear_picture()
        else:
            label.set_picture(array_to_pixmap(array))
