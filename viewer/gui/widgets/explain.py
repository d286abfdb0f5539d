"""Explain tab: the explanation methods side by side over the current image, for one class.

One panel per method (dense map, Grad-CAM, occlusion, saliency, integrated gradients), all drawn with one shared
colormap and one opacity; each map spans its own range (the methods' units differ: probability, gradient,
score drop). A method that does not apply to the network is greyed out, with the reason as its tooltip. Each
panel exports its map (PNG overlay, NPY, JSON) through ``exportRequested``. A pure view.

The cheap methods come by themselves; occlusion and integrated gradients take hundreds of passes, so their
panels offer a button that says the cost first (``costlyRequested``), estimated from the forward time the
worker measured (:mod:`viewer.core.explain_cost`). Maps are drawn over the image they were computed for, which
comes with them (``set_explanations``), never over whatever image is shown meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.colormap.images import overlay  # the exports' colours
from viewer.core.errors import ViewerError
from viewer.core.explain_cost import COSTLY_METHODS, check_occlusion, estimate_cost
from viewer.core.options import IG_STEPS, OCCLUSION_PATCH, OCCLUSION_STRIDE, ExplainOptions
from viewer.core.progress import Progress
from viewer.gui.widgets.common.elided_label import ElidedLabel
from viewer.gui.widgets.common.fitted_picture import FittedPicture
from viewer.gui.widgets.common.turns import DrawWhenShown

__all__ = ["EXPLAIN_COLORMAPS", "METHOD_TITLES", "ExplainShown", "ExplainView", "MapShown", "MethodPanel"]

EXPLAIN_COLORMAPS = ("turbo", "jet", "viridis", "inferno", "magma", "gray")
METHOD_TITLES = {
    "dense": "Dense map (convolutionized)",
    "gradcam": "Grad-CAM (last conv stage)",
    "occlusion": "Occlusion (Zeiler & Fergus)",
    "saliency": "Gradient saliency",
    "ig": "Integrated gradients",
}
PANEL_SIDE = 260  # the pictures' side where there is room; they shrink to fit the window, down to a third of it
CAPTION_LINES = 3
UNTRAINED = "<span style='color:#b3261e'><b>random init: not trained, the maps mean nothing</b></span>"
READY = "The dense map, Grad-CAM and saliency come by themselves; occlusion and integrated gradients when asked."


# What the view reads of the results, as protocols: widgets never import the engine nor the rest of the GUI
# (import-linter contracts, which count imports under TYPE_CHECKING too). compare_links.py has mypy check that
# the engine's ``Explanation`` and the worker's ``ExplainSet`` satisfy them.
class MapShown(Protocol):
    """One method's map (``viewer.core.results.explain.Explanation``)."""

    @property
    def scores(self) -> np.ndarray: ...  # float32 (H, W) in the image's pixels
    @property
    def parameters(self) -> Mapping[str, object]: ...


class ExplainShown(Protocol):
    """The methods' maps of one class, and why the others are missing (``viewer.core.results.explain.ExplainSet``)."""

    @property
    def model(self) -> str: ...
    @property
    def class_index(self) -> int | None: ...
    @property
    def class_name(self) -> str: ...
    @property
    def results(self) -> Mapping[str, MapShown]: ...
    @property
    def reasons(self) -> Mapping[str, str]: ...
    @property
    def pretrained(self) -> bool: ...
    @property
    def input_size(self) -> tuple[int, int]: ...  # (width, height) the methods see
    @property
    def forward_ms(self) -> float: ...  # one forward pass of that input; 0 when not measured


def _at_most(array: np.ndarray, side: int) -> np.ndarray:
    """Every n-th row and column, so that the longer side is at most about ``side`` (a view, no copy)."""
    step = max(1, -(-max(array.shape[:2]) // side))
    return array[::step, ::step]


def _pixmap(rgb: np.ndarray) -> QtGui.QPixmap:
    data = np.ascontiguousarray(rgb[:, :, :3])
    height, width = data.shape[:2]
    image = QtGui.QImage(data.data, width, height, 3 * width, QtGui.QImage.Format.Format_RGB888)
    return QtGui.QPixmap.fromImage(image.copy())


class MethodPanel(QtWidgets.QFrame):
    """One method: title, the map over the image, Export (objectName ``explainPanel_<method>``)."""

    exportClicked = Signal(str)
    computeClicked = Signal(str)  # a costly method's "Compute" (its panel says the cost first)

    def __init__(self, method: str) -> None:
        super().__init__()
        self.method = method
        self.setObjectName(f"explainPanel_{method}")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        layout = QtWidgets.QVBoxLayout(self)
        self.title = ElidedLabel(METHOD_TITLES[method])
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.picture = FittedPicture("—", largest=PANEL_SIDE, smallest=PANEL_SIDE // 3)
        # A reason can be a paragraph: three lines of it, the whole in the tooltip (the panel's too).
        self.caption = ElidedLabel("", objectName="explainCaption", lines=CAPTION_LINES)
        self.export_button = QtWidgets.QPushButton("Export…")
        self.export_button.setObjectName("explainExport")
        self.export_button.setEnabled(False)
        self.compute_button: QtWidgets.QPushButton | None = None
        widgets: list[QtWidgets.QWidget] = [self.title, self.picture, self.caption]
        if method in COSTLY_METHODS:
            self.compute_button = QtWidgets.QPushButton("Compute")
            self.compute_button.setObjectName("explainComputeCostly")
            self.compute_button.setEnabled(False)
            self.compute_button.clicked.connect(lambda: self.computeClicked.emit(self.method))
            widgets.append(self.compute_button)
        for widget in (*widgets, self.export_button):
            layout.addWidget(widget)
        self.export_button.clicked.connect(lambda: self.exportClicked.emit(self.method))
        self.reason: str | None = None
        self.shown = False

    def set_result(self, rgb: np.ndarray | None, caption: str) -> None:
        self.reason, self.shown = None, rgb is not None
        self.setEnabled(True)
        self.setToolTip("")
        if rgb is not None:
            self.picture.set_picture(_pixmap(rgb))
        else:
            self.picture.set_picture(QtGui.QPixmap())
            self.picture.setText("…")
        self.caption.setText(caption)
        self.export_button.setEnabled(rgb is not None)

    def set_unavailable(self, reason: str) -> None:
        """Greyed out, with ``reason`` as tooltip and caption."""
        self.reason, self.shown = reason, False
        self.picture.set_picture(QtGui.QPixmap())
        self.picture.setText("not available")
        self.caption.setText(reason)
        self.setToolTip(reason)
        self.setEnabled(False)


class ExplainView(QtWidgets.QWidget):
    """Class, method options, Compute/Cancel, shared colormap and opacity, and the panels.

    Signals:
        computeRequested(list, object, dict): methods, class (None: top, or text: an index or a name), options
            per method ({"occlusion": {"patch": 32, "stride": 8}, "ig": {"steps": 32}}).
        exportRequested(str, str): method and the path chosen.
        cancelRequested().
    """

    computeRequested = Signal(list, object, dict)
    costlyRequested = Signal(str, dict)  # occlusion or ig, and the options per method
    exportRequested = Signal(str, str)
    cancelRequested = Signal()

    def __init__(self, methods: Sequence[str] = tuple(METHOD_TITLES), parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explainView")
        self.methods = list(methods)
        self.image: np.ndarray | None = None
        self.found: ExplainShown | None = None
        # A costly method's maps often land after the user has left the tab: the five overlays (numpy, tens of
        # milliseconds) are made a turn after it is shown again, not for a tab nobody sees.
        self._when_shown = DrawWhenShown(self, self._redraw)
        layout = QtWidgets.QVBoxLayout(self)
        controls = QtWidgets.QHBoxLayout()
        self.class_edit = QtWidgets.QLineEdit()
        self.class_edit.setObjectName("explainClass")
        self.class_edit.setPlaceholderText("class: top, an index or a name")
        self.patch = QtWidgets.QSpinBox(minimum=4, maximum=224, value=OCCLUSION_PATCH)
        self.patch.setObjectName("explainPatch")
        self.stride = QtWidgets.QSpinBox(minimum=1, maximum=224, value=OCCLUSION_STRIDE)
        self.stride.setObjectName("explainStride")
        self.steps = QtWidgets.QSpinBox(minimum=4, maximum=256, value=IG_STEPS)
        self.steps.setObjectName("explainSteps")
        self.colormap = QtWidgets.QComboBox()
        self.colormap.setObjectName("explainColormap")
        self.colormap.addItems(EXPLAIN_COLORMAPS)
        self.opacity = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.opacity.setObjectName("explainOpacity")
        self.opacity.setRange(0, 100)
        self.opacity.setValue(50)
        self.compute_button = QtWidgets.QPushButton("Explain")
        self.compute_button.setObjectName("explainCompute")
        self.compute_button.setToolTip("Explain this class (top: the network's first) with the cheap methods")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("explainCancel")
        self.cancel_button.setEnabled(False)  # until a job of this tab runs
        labelled = (
            ("Class", self.class_edit),
            ("Patch", self.patch),
            ("Stride", self.stride),
            ("IG steps", self.steps),
            ("Colormap", self.colormap),
            ("Opacity", self.opacity),
        )
        for label, widget in labelled:
            controls.addWidget(QtWidgets.QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.compute_button)
        controls.addWidget(self.cancel_button)
        layout.addLayout(controls)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("explainProgress")
        self.progress.hide()
        # Up to three lines, elided, the whole text on hover: a long error must not widen the window.
        self.status = ElidedLabel(READY, objectName="explainStatus", lines=3)
        self.untrained = QtWidgets.QLabel(UNTRAINED)
        self.untrained.setObjectName("explainUntrained")
        self.untrained.setWordWrap(True)
        self.untrained.hide()
        layout.addWidget(self.status)
        layout.addWidget(self.untrained)
        layout.addWidget(self.progress)
        grid = QtWidgets.QGridLayout()
        self.panels: dict[str, MethodPanel] = {}
        for index, method in enumerate(self.methods):
            panel = MethodPanel(method)
            panel.exportClicked.connect(self._choose_export)
            panel.computeClicked.connect(self._request_costly)
            grid.addWidget(panel, index // 3, index % 3)
            self.panels[method] = panel
        for column in range(min(3, len(self.methods))):  # equal columns, whatever their captions ask for
            grid.setColumnStretch(column, 1)
        for row in range((len(self.methods) + 2) // 3):
            grid.setRowStretch(row, 1)
        layout.addLayout(grid, 1)
        self.compute_button.clicked.connect(self.request)
        self.class_edit.returnPressed.connect(self.request)  # Return in the class field explains that class
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self.colormap.currentTextChanged.connect(lambda _name: self._when_shown.request())
        self.opacity.valueChanged.connect(lambda _value: self._when_shown.request())
        for spin in (self.patch, self.stride, self.steps):
            spin.valueChanged.connect(lambda _value: self._show_costs())

    @property
    def alpha(self) -> float:
        return self.opacity.value() / 100

    def options(self) -> ExplainOptions:
        """The methods' options as set in the controls."""
        return {
            "occlusion": {"patch": self.patch.value(), "stride": self.stride.value()},
            "ig": {"steps": self.steps.value(), "chunks": min(4, self.steps.value())},
        }

    def wanted_class(self) -> int | str | None:
        text = self.class_edit.text().strip()
        return None if text in ("", "top") else (int(text) if text.isdecimal() and text.isascii() else text)

    def request(self) -> None:
        self.computeRequested.emit(list(self.methods), self.wanted_class(), dict(self.options()))

    def _request_costly(self, method: str) -> None:
        self.costlyRequested.emit(method, dict(self.options()))

    def set_image(self, rgb: np.ndarray | None) -> None:
        """The image shown (maps of it are on their way); the maps of another image go."""
        self.image = rgb
        self.set_explanations(None)

    def set_running(self, running: bool) -> None:
        """Cancel is there while a job of this tab runs (as the Heatmap tab's)."""
        self.cancel_button.setEnabled(running)

    def set_progress(self, step: Progress | None) -> None:
        if step is None:
            self.progress.hide()
            return
        self.progress.show()
        self.progress.setRange(0, max(1, step.total))
        self.progress.setValue(step.step)
        self.status.setText(step.message)

    def set_explanations(self, found: ExplainShown | None, image: np.ndarray | None = None) -> None:
        """Draw an ExplainSet over ``image``, the one it was computed for (None: clear, a new one is on its way)."""
        self.found = found
        if image is not None:
            self.image = image
        self.untrained.setVisible(found is not None and not found.pretrained)
        if found is None:
            self._when_shown.cancel()
            for panel in self.panels.values():
                panel.set_result(None, "")
            self._show_costs()
            return
        self.progress.hide()
        self.status.setText(f"{found.model}: class {found.class_index} {found.class_name}")
        self.status.setToolTip("")
        self._when_shown.request()
        self._show_costs()

    def _show_costs(self) -> None:
        """Each costly panel not computed yet: its Compute button with the cost of the current options."""
        found = self.found
        for method in COSTLY_METHODS:
            panel = self.panels.get(method)
            if panel is None or panel.compute_button is None:
                continue
            button = panel.compute_button
            done = found is not None and (method in found.results or method in found.reasons)
            button.setVisible(not done)
            if found is None or found.forward_ms <= 0:
                button.setEnabled(False)
                button.setText("Compute")
                button.setToolTip("The cost is said once the dense map, Grad-CAM and saliency are shown.")
                continue
            options = self.options().get(method, {})
            if method == "occlusion":
                try:  # a patch or stride that would make the map meaningless is said before, not after, a run
                    check_occlusion(found.input_size, self.patch.value(), self.stride.value())
                except ViewerError as error:
                    button.setEnabled(False)
                    button.setText("Compute: change the patch or stride")
                    button.setToolTip(str(error))
                    continue
            cost = estimate_cost(method, found.input_size, found.forward_ms, options)
            button.setEnabled(True)
            button.setText(f"Compute ({cost.short})")  # short: a long button squeezed the other panels' columns
            button.setToolTip(
                f"{cost.text}: from one forward pass measured at {found.forward_ms:.0f} ms on "
                f"{found.input_size[0]}×{found.input_size[1]}; batches make it faster."
            )

    def _redraw(self) -> None:
        """Each panel's map over the image, or its reason (``_when_shown``: once shown, if hidden)."""
        found = self.found
        if found is None or self.image is None:
            return
        for method, panel in self.panels.items():
            if method in found.reasons:
                panel.set_unavailable(found.reasons[method])
            elif method in found.results:
                result = found.results[method]
                scores = result.scores
                # Coloured at the panel's size, not the image's: at 500² each map cost 13 ms of the GUI thread,
                # three in one turn the longest stall of a tab switch (the 200-switch bench row).
                side = round(PANEL_SIDE * max(1.0, self.devicePixelRatioF()))
                rgb = overlay(
                    _at_most(self.image, side),
                    _at_most(scores, side),
                    alpha=self.alpha,
                    colormap=self.colormap.currentText(),
                )
                extra = result.parameters.get("layer") or ", ".join(
                    f"{k} {v}" for k, v in result.parameters.items() if k in ("patch", "stride", "steps")
                )
                caption = f"range {float(scores.min()):.3g} … {float(scores.max()):.3g}"
                panel.set_result(rgb, f"{caption}; {extra}" if extra else caption)

    def _choose_export(self, method: str) -> None:
        # Replacing is asked once for the whole set (PNG, NPY, JSON) by the links, not here for the PNG alone.
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self,
            f"Export the {method} map (PNG + NPY + JSON)",
            "",
            "PNG (*.png)",
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.exportRequested.emit(method, path)

    def show_error(self, text: str) -> None:
        """Say ``text`` on this tab (a notice about an explanation: its failure, its cancel)."""
        self.progress.hide()
        self.status.setText(text)
        self.status.setToolTip(text)

    def clear_error(self) -> None:
        """The notice said no longer holds."""
        found = self.found
        self.status.setText(READY if found is None else f"{found.model}: class {found.class_index} {found.class_name}")
        self.status.setToolTip("")
