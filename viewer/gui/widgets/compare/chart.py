"""The lecture's summary chart: ImageNet top-1 accuracy against cost for every network with ImageNet weights.

pyqtgraph draws it: one ``ScatterPlotItem`` per lecture family (its colour and legend entry), x on a log axis
(GMACs, or the latency measured on this device), point *area* proportional to the parameter count, the lecture's
networks labelled. Clicking a point emits ``picked(name)``. :func:`render_chart` draws it without a window
(``viewer models --chart``) and writes PNG (pyqtgraph's exporter) or a vector SVG (``zoo_chart_svg``).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Signal

from viewer.core.errors import ExportError, ViewerError
from viewer.core.file_export import atomic_write
from viewer.core.lecture.zoo import ZooPoint
from viewer.gui.widgets.common.plots import pg
from viewer.gui.widgets.common.png import png_bytes
from viewer.gui.widgets.common.window_fit import fit_on_screen
from viewer.gui.widgets.compare.chart_svg import chart_svg

__all__ = ["AXES", "ChartWindow", "ZooChart", "export_chart", "family_colours", "render_chart"]

AXES = {"gmacs": "GMACs (log scale)", "latency": "latency per image, ms (log scale, measured here)"}
MAX_DIAMETER = 56.0  # px, for the largest network; area ∝ parameters, so diameter ∝ √parameters
# Colour-blind-safe qualitative colours (Okabe & Ito, then Tableau's), one per family in the lecture's order.
_PALETTE = (
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
    "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#ff9896", "#aec7e8", "#98df8a",
    "#393b79", "#843c39", "#637939", "#7b4173",
)  # fmt: skip

# Where two labelled networks sit close together, one label goes to the left or below its point.
_LABEL_ANCHORS = {"googlenet": (1.0, 1.0), "resnet50": (0.0, 0.0)}


def family_colours(points: Sequence[ZooPoint]) -> dict[str, str]:
    """One colour per family, in the order families first appear (the registry lists them in lecture order)."""
    families = list(dict.fromkeys(point.family for point in points))
    return {family: _PALETTE[index % len(_PALETTE)] for index, family in enumerate(families)}


def _x_value(point: ZooPoint, axis: str) -> float | None:
    value = point.gmacs if axis == "gmacs" else point.latency_ms
    return math.log10(value) if value is not None and value > 0 else None


class ZooChart(QtWidgets.QWidget):
    """The chart (objectName ``zooChart``); ``picked(str)`` names the network of a clicked point."""

    picked = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("zooChart")
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("zooChartPlot")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._points: list[ZooPoint] = []
        self._axis = "gmacs"
        self.scatters: dict[str, pg.ScatterPlotItem] = {}
        self.labels: dict[str, pg.TextItem] = {}
        self.legend = self.plot.getPlotItem().addLegend(offset=(-10, -10), labelTextColor="k")

    @property
    def axis(self) -> str:
        return self._axis

    def set_points(self, points: Sequence[ZooPoint], axis: str = "gmacs") -> None:
        """Draw ``points`` with ``axis`` ("gmacs" or "latency") on x; points without that value are left out."""
        if axis not in AXES:
            raise ValueError(f"axis must be one of {', '.join(AXES)}")
        self._points, self._axis = list(points), axis
        item = self.plot.getPlotItem()
        item.clear()
        self.legend.clear()
        self.scatters, self.labels = {}, {}
        shown = [p for p in self._points if _x_value(p, axis) is not None]
        largest = max((p.params for p in shown), default=1)
        colours = family_colours(self._points)
        for family, colour in colours.items():
            members = [p for p in shown if p.family == family]
            if not members:
                continue
            spots = [
                {
                    "pos": (_x_value(p, axis), p.acc1),
                    "size": max(3.0, MAX_DIAMETER * math.sqrt(p.params / largest)),
                    "data": p.name,
                    "brush": pg.mkBrush(colour + "B0"),
                    "pen": pg.mkPen("#202020", width=1 if p.lecture else 0.5),
                }
                for p in members
            ]
            scatter = pg.ScatterPlotItem(
                spots=spots,
                name=family,
                hoverable=True,
                tip=self._tip,
                brush=pg.mkBrush(colour),  # the legend's swatch
                pen=pg.mkPen("#202020", width=0.5),
                size=10,
            )
            scatter.sigClicked.connect(self._clicked)
            item.addItem(scatter)
            self.scatters[family] = scatter
        for p in shown:
            if p.lecture:
                label = pg.TextItem(p.name, color="k", anchor=_LABEL_ANCHORS.get(p.name, (0, 1)))
                label.setPos(_x_value(p, axis) or 0.0, p.acc1)
                item.addItem(label)
                self.labels[p.name] = label
        item.setLabel("bottom", AXES[axis])
        item.setLabel("left", "ImageNet top-1 accuracy, % (torchvision)")
        item.getAxis("bottom").setLogMode(True)
        item.setTitle("Accuracy against cost · point area ∝ parameters", color="k")
        item.showGrid(x=True, y=True, alpha=0.2)

    def _tip(self, x: float, y: float, data: Any) -> str:
        point = next((p for p in self._points if p.name == data), None)
        return point.label if point else str(data)

    def _clicked(self, _item: pg.ScatterPlotItem, spots: Sequence[Any], *_event: Any) -> None:
        if len(spots):
            self.picked.emit(str(spots[0].data()))

    def pick(self, name: str) -> None:
        """Emit ``picked(name)`` as a click on that point would (keyboard and tests)."""
        spot = self.spot_of(name)
        if spot is None:
            raise KeyError(name)
        self._clicked(self.scatters[self._family_of(name)], [spot])

    def _family_of(self, name: str) -> str:
        return next(p.family for p in self._points if p.name == name)

    def spot_of(self, name: str) -> Any:
        """The scatter spot of network ``name`` (None if not drawn)."""
        scatter = self.scatters.get(self._family_of(name)) if any(p.name == name for p in self._points) else None
        if scatter is None:
            return None
        return next((spot for spot in scatter.points() if spot.data() == name), None)

    def export(self, path: str | os.PathLike[str]) -> Path:
        return export_chart(self.plot.getPlotItem(), path)


class ChartWindow(QtWidgets.QWidget):
    """The chart in its own window: x axis switch, latency measurement, PNG/SVG export (``zooChartWindow``).

    Signals: ``picked(str)`` (a point clicked), ``measureRequested()`` (measure latency on this device),
    ``axisChanged(str)``.
    """

    picked = Signal(str)
    measureRequested = Signal()
    axisChanged = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, QtCore.Qt.WindowType.Window)
        self.setObjectName("zooChartWindow")
        self.setWindowTitle("Accuracy against cost")
        self.chart = ZooChart(self)
        self.axis = QtWidgets.QComboBox()
        self.axis.setObjectName("zooAxis")
        self.axis.addItem("GMACs", "gmacs")
        self.axis.addItem("latency on this device", "latency")
        self.measure_button = QtWidgets.QPushButton("Measure latency")
        self.measure_button.setObjectName("zooMeasure")
        self.export_button = QtWidgets.QPushButton("Export PNG/SVG…")
        self.export_button.setObjectName("zooExport")
        self.status = QtWidgets.QLabel("Click a point to pick that network.")
        self.status.setObjectName("zooStatus")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("zooProgress")
        self.progress.hide()
        bar = QtWidgets.QHBoxLayout()
        for widget in (QtWidgets.QLabel("x axis"), self.axis, self.measure_button, self.export_button):
            bar.addWidget(widget)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.progress)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.chart, 1)
        self._points: list[ZooPoint] = []
        self.chart.picked.connect(self.picked.emit)
        self.chart.picked.connect(lambda name: self.status.setText(f"Picked {name}."))
        self.measure_button.clicked.connect(self.measureRequested.emit)
        self.export_button.clicked.connect(self._choose_export)
        self.axis.currentIndexChanged.connect(lambda _i: self._draw())
        fit_on_screen(self, (1100, 750))  # a 1366×768 screen has less room than that

    def set_points(self, points: Sequence[ZooPoint]) -> None:
        self._points = list(points)
        self.progress.hide()
        self._draw()

    def _draw(self) -> None:
        axis = self.axis.currentData() or "gmacs"
        if axis == "latency" and not any(p.latency_ms for p in self._points):
            self.status.setText("No latency measured on this device yet: press Measure latency.")
        self.chart.set_points(self._points, axis)
        self.axisChanged.emit(axis)

    def set_progress(self, step: Any) -> None:
        self.progress.show()
        self.progress.setRange(0, max(1, step.total))
        self.progress.setValue(step.step)
        self.status.setText(step.message)

    def _choose_export(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the chart", "", "PNG (*.png);;SVG (*.svg)")
        if path:
            try:
                self.chart.export(path)
            except ViewerError as error:  # a read-only or missing folder, a full disk: said here, never raised
                self.status.setText(str(error))
                return
            self.status.setText(f"Wrote {path}.")


def export_chart(plot_item: pg.PlotItem, path: str | os.PathLike[str], width: int = 1400) -> Path:
    """Write the chart as PNG (pyqtgraph's ``ImageExporter``) or SVG (:func:`chart_svg`: vector, written from the
    same laid-out plot) by its suffix, through the app's one atomic writer (``viewer.core.file_export``): the
    bytes are drawn first, then written and renamed; an existing file is replaced (the save dialog, or the CLI's
    ``--force`` check, asked)."""
    import pyqtgraph.exporters as exporters

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ExportError(f"{target.name}: the chart is written as .png or .svg.")
    if suffix == ".png":
        exporter = exporters.ImageExporter(plot_item)
        exporter.parameters()["width"] = width
        data = png_bytes(exporter.export(toBytes=True))
    else:
        data = chart_svg(plot_item, width)
    return atomic_write(target, lambda handle: handle.write(data), force=True)


def _quiet_offscreen(kind: QtCore.QtMsgType, context: QtCore.QMessageLogContext, message: str) -> None:
    """Drop the offscreen platform's "does not support propagateSizeHints()" warning, print anything else.

    ``render_chart`` shows its widget (off screen) so that pyqtgraph lays the plot out at its size, and the
    offscreen platform plugin, which the CLI uses when there is no display, warns that it cannot pass size hints
    to a window manager there is none of: harmless, and a line of noise in ``viewer models --chart``'s output.
    """
    if "propagateSizeHints" not in message:
        sys.stderr.write(message + "\n")


def render_chart(
    points: Sequence[ZooPoint],
    path: str | os.PathLike[str],
    *,
    axis: str = "gmacs",
    size: tuple[int, int] = (1200, 800),
) -> Path:
    """Draw the chart without showing a window and write it to ``path`` (.png or .svg)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # nothing to show it on: no window system needed
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    previous = QtCore.qInstallMessageHandler(_quiet_offscreen)
    try:
        chart = ZooChart()
        chart.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        chart.resize(*size)
        chart.show()  # laid out at its size: the exporters read the scene's geometry
        chart.set_points(points, axis)
        chart.plot.getPlotItem().vb.autoRange()
        app.processEvents()
        written = chart.export(path)
        chart.close()
        chart.deleteLater()
        QtCore.QCoreApplication.sendPostedEvents(None, 0)
    finally:
        QtCore.qInstallMessageHandler(previous)  # None puts Qt's default handler back
    return written
