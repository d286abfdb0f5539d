"""Compare tab: 2–6 networks on the current image, side by side.

Pickers (network and weights) on top, then one column per network: its top-k as bars, the warm inference time
(median of a few runs, labelled as such), parameters, GMACs and ImageNet accuracy of the weights loaded, where
torchvision publishes it. A pure view: ``networksRequested(list)`` asks for a comparison; ``set_comparison``
draws the engine's ``Comparison``. A network that could not run is a column with its reason and the remedies
the window offers for weights that cannot be had (``remedyRequested(index, action)``); a random-init network's
column says in red that its classes mean nothing, as the Predictions tab does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.colormap.images import overlay  # the exports' colours
from viewer.core.progress import Progress
from viewer.gui.widgets.common.elided_label import ElidedLabel

__all__ = ["REMEDIES", "CompareView", "ComparisonShown", "NetworkColumn", "NetworkShown", "RegistryShown", "TopShown"]

MAX_NETWORKS = 6
ERROR_LINES = 16  # a download failure with its URL and cache path fits; a traceback's tail is elided
PICKER_CHARACTERS = 10  # what a closed picker shows at least; its list is as wide as its longest entry
# What a failed column offers: (action, button text); the links carry them out.
REMEDIES = (
    ("random", "Use random weights"),
    ("file", "Choose a weights file…"),
    ("folder", "Open the weights folder"),
)
READY = "Choose 2 to 6 networks and press Compare: they run one after the other on the current image."
UNTRAINED = "<span style='color:#b3261e'><b>random init: not trained, its classes mean nothing</b></span>"


# What the view reads of the engine's results, as protocols: widgets never import the engine (an import-linter
# contract, which counts imports under TYPE_CHECKING too). compare_links.py has mypy check that the engine's
# dataclasses satisfy them. Read-only properties, so that frozen and plain dataclasses both do.
class TopShown(Protocol):
    """One class of a network's top-k (``viewer.core.results.prediction.TopClass``, as a prediction's)."""

    @property
    def index(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def prob(self) -> float: ...


class NetworkShown(Protocol):
    """One network's result, as a column draws it (the engine's ``compare.NetworkResult``)."""

    @property
    def model(self) -> str: ...
    @property
    def weights(self) -> str: ...
    @property
    def pretrained(self) -> bool: ...
    @property
    def error(self) -> str: ...  # why it did not run; "" when it did
    @property
    def topk(self) -> Sequence[TopShown]: ...
    @property
    def time_ms(self) -> float: ...
    @property
    def runs(self) -> int: ...
    @property
    def device(self) -> str: ...
    @property
    def params(self) -> int: ...
    @property
    def gmacs(self) -> float | None: ...
    @property
    def accuracy(self) -> Mapping[str, float]: ...
    @property
    def accuracy_dataset(self) -> str: ...
    @property
    def notes(self) -> Sequence[str]: ...
    @property
    def heatmap(self) -> np.ndarray | None: ...


class ComparisonShown(Protocol):
    """The networks' results on one image (``viewer.core.results.compare.Comparison``)."""

    @property
    def image_path(self) -> str: ...
    @property
    def networks(self) -> Sequence[NetworkShown]: ...


class _SpecShown(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def weights(self) -> Sequence[str]: ...


class RegistryShown(Protocol):
    """The model zoo the pickers offer (``viewer.core.results.session.Registry`` of the engine's ``ModelSpec``s)."""

    @property
    def specs(self) -> Sequence[_SpecShown]: ...


def _pixmap(rgb: np.ndarray, side: int) -> QtGui.QPixmap:
    data = np.ascontiguousarray(rgb[:, :, :3])
    height, width = data.shape[:2]
    image = QtGui.QImage(data.data, width, height, 3 * width, QtGui.QImage.Format.Format_RGB888).copy()
    return QtGui.QPixmap.fromImage(image).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def _discard(layout: QtWidgets.QLayout, widget: QtWidgets.QWidget) -> None:
    """Take ``widget`` out of ``layout`` and off the screen now (deleteLater alone leaves it drawn, unlaid-out,
    until the event loop next deletes)."""
    layout.removeWidget(widget)
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


def _narrow(combo: QtWidgets.QComboBox) -> None:
    """A combo as wide as a few characters, not as its longest entry (82 network names, three pickers to a
    row, were 1100 px); its list still shows whole entries and its tooltip the current one."""
    combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(PICKER_CHARACTERS)
    combo.currentTextChanged.connect(combo.setToolTip)
    _fit_popup(combo)


def _fit_popup(combo: QtWidgets.QComboBox) -> None:
    view = combo.view()
    view.setMinimumWidth(view.sizeHintForColumn(0) + view.verticalScrollBar().sizeHint().width())


class _Picker(QtWidgets.QWidget):
    """One network and its weights."""

    def __init__(self, names: Sequence[str], weights_of: dict[str, Sequence[str]], name: str, weights: str) -> None:
        super().__init__()
        self.weights_of = weights_of
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.model = QtWidgets.QComboBox()
        self.model.setObjectName("compareModel")
        self.model.addItems(list(names) if names else [name])
        self.model.setCurrentText(name)
        self.model.setToolTip(name)
        self.weights = QtWidgets.QComboBox()
        self.weights.setObjectName("compareWeights")
        self.weights.setEditable(True)  # a state_dict file may be typed
        for combo in (self.model, self.weights):
            _narrow(combo)
        layout.addWidget(self.model, 2)
        layout.addWidget(self.weights, 2)
        self.model.currentTextChanged.connect(self._fill_weights)
        self._fill_weights(name)
        self.weights.setCurrentText(weights)
        field = self.weights.lineEdit()  # editable: it has one
        if field is not None:
            field.setCursorPosition(0)  # a narrow field shows the name's start, not its end

    def _fill_weights(self, name: str) -> None:
        self.weights.clear()
        self.weights.addItems(["default", *self.weights_of.get(name, ()), "none"])
        _fit_popup(self.weights)

    def value(self) -> tuple[str, str]:
        return self.model.currentText(), self.weights.currentText() or "default"


class NetworkColumn(QtWidgets.QFrame):
    """One network's result: title, top-k bars, time, params, GMACs, accuracy (objectName ``compareColumn``)."""

    remedyClicked = Signal(str)  # one of REMEDIES' actions

    def __init__(self, network: NetworkShown, heatmap_rgb: np.ndarray | None = None) -> None:
        super().__init__()
        self.setObjectName("compareColumn")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.network = network
        layout = QtWidgets.QVBoxLayout(self)
        title = QtWidgets.QLabel(f"<b>{network.model}</b><br><small>{network.weights}</small>")
        title.setWordWrap(True)
        title.setToolTip(f"{network.model} · {network.weights}")
        layout.addWidget(title)
        self.bars: list[QtWidgets.QProgressBar] = []
        self.remedies: dict[str, QtWidgets.QPushButton] = {}
        self.heatmap_label: QtWidgets.QLabel | None = None
        if network.error:
            layout.addWidget(QtWidgets.QLabel("<b>not run</b>:"))
            # Wrapped inside a path or a URL too (a plain label overflowed its column); the whole text in the
            # tooltip.
            self.facts: QtWidgets.QLabel = ElidedLabel(network.error, objectName="compareFacts", lines=ERROR_LINES)
            layout.addWidget(self.facts)
            for action, text in REMEDIES:
                button = QtWidgets.QPushButton(text)
                button.setObjectName(f"compareRemedy_{action}")
                button.clicked.connect(lambda _checked=False, a=action: self.remedyClicked.emit(a))
                layout.addWidget(button)
                self.remedies[action] = button
            layout.addStretch(1)
            return
        if not network.pretrained:
            untrained = QtWidgets.QLabel(UNTRAINED)
            untrained.setObjectName("compareUntrained")
            untrained.setWordWrap(True)
            layout.addWidget(untrained)
        for top in network.topk:
            name = ElidedLabel(top.name)  # a long class name elides inside its column
            name.setToolTip(f"{top.name} (class {top.index})")
            bar = QtWidgets.QProgressBar()
            bar.setObjectName("compareBar")
            bar.setRange(0, 1000)
            bar.setValue(round(1000 * top.prob))
            bar.setFormat(f"{100 * top.prob:.1f} %")
            bar.setMaximumHeight(14)
            layout.addWidget(name)
            layout.addWidget(bar)
            self.bars.append(bar)
        accuracy = network.accuracy
        acc = (
            f"acc@1 {accuracy['acc@1']:.2f} %" + (f" · acc@5 {accuracy['acc@5']:.2f} %" if "acc@5" in accuracy else "")
            if "acc@1" in accuracy
            else "not published for these weights"
        )
        dataset = f" ({network.accuracy_dataset})" if network.accuracy_dataset else ""
        gmacs = f"{network.gmacs:.3g}" if network.gmacs is not None else "?"
        self.facts = QtWidgets.QLabel(
            f"<b>time</b> {network.time_ms:.1f} ms<br><small>median of {network.runs} warm runs, batch 1, "
            f"{network.device}</small><br><b>params</b> {network.params / 1e6:.2f} M<br><b>GMACs</b> {gmacs}"
            f"<br><b>accuracy</b>{dataset}: {acc}"
        )
        self.facts.setObjectName("compareFacts")
        self.facts.setWordWrap(True)
        layout.addWidget(self.facts)
        if heatmap_rgb is not None:
            self.heatmap_label = QtWidgets.QLabel()
            self.heatmap_label.setObjectName("compareHeatmap")
            self.heatmap_label.setPixmap(_pixmap(heatmap_rgb, 200))
            layout.addWidget(self.heatmap_label)
        for note in network.notes:
            if not network.pretrained and note.startswith("random init"):
                continue  # said in red above
            label = QtWidgets.QLabel(f"<i>{note}</i>")
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addStretch(1)


class CompareView(QtWidgets.QWidget):
    """Network pickers, Compare/Cancel, progress and the columns (objectName ``compareView``)."""

    networksRequested = Signal(list)  # [(name, weights), ...]
    remedyRequested = Signal(int, str)  # a failed column's index, one of REMEDIES' actions
    cancelRequested = Signal()
    chartRequested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self.names: list[str] = []
        self.weights_of: dict[str, Sequence[str]] = {}
        self.pickers: list[_Picker] = []
        layout = QtWidgets.QVBoxLayout(self)
        self.picker_box = QtWidgets.QGridLayout()
        layout.addLayout(self.picker_box)
        buttons = QtWidgets.QHBoxLayout()
        self.add_button = QtWidgets.QPushButton("Add network")
        self.add_button.setObjectName("compareAdd")
        self.remove_button = QtWidgets.QPushButton("Remove last")
        self.remove_button.setObjectName("compareRemove")
        self.run_button = QtWidgets.QPushButton("Compare")
        self.run_button.setObjectName("compareRun")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("compareCancel")
        self.cancel_button.setEnabled(False)  # until a job of this tab runs
        self.chart_button = QtWidgets.QPushButton("Accuracy vs cost chart…")
        self.chart_button.setObjectName("compareChart")
        self.heatmap_class = QtWidgets.QLineEdit()
        self.heatmap_class.setObjectName("compareHeatmapClass")
        self.heatmap_class.setPlaceholderText("dense map of class (optional)")
        self.image: np.ndarray | None = None  # uint8 HxWx3, under the dense maps
        for button in (self.add_button, self.remove_button, self.run_button, self.cancel_button, self.chart_button):
            buttons.addWidget(button)
        buttons.addWidget(self.heatmap_class)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("compareProgress")
        self.progress.hide()
        # Up to three lines, elided, with the whole text on hover: an error as long as a paragraph (six networks'
        # reasons) made a one-line label 2300 px wide, and the window with it.
        self.status = ElidedLabel(READY, objectName="compareStatus", lines=3)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        self.columns_widget = QtWidgets.QWidget()
        self.columns_layout = QtWidgets.QHBoxLayout(self.columns_widget)
        self.columns_layout.setAlignment(Qt.AlignmentFlag.AlignLeft)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.columns_widget)
        layout.addWidget(scroll, 1)
        self.columns: list[NetworkColumn] = []
        self.add_button.clicked.connect(lambda: self._add(self.names[0] if self.names else "resnet18", "default"))
        self.remove_button.clicked.connect(self._remove)
        self.run_button.clicked.connect(self.request)
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self.chart_button.clicked.connect(self.chartRequested.emit)

    def set_registry(self, registry: RegistryShown) -> None:
        """Model names and their weights from the app's registry (``viewer.core.results.session.Registry``)."""
        self.names = [spec.name for spec in registry.specs]
        self.weights_of = {spec.name: tuple(spec.weights) for spec in registry.specs}
        self.set_networks(self.networks())

    def networks(self) -> list[tuple[str, str]]:
        return [picker.value() for picker in self.pickers]

    def set_networks(self, networks: Sequence[tuple[str, str]]) -> None:
        """Show these pickers (without asking for a comparison)."""
        for picker in self.pickers:
            _discard(self.picker_box, picker)
        self.pickers = []
        for name, weights in networks:
            self._add(name, weights)

    def _add(self, name: str, weights: str) -> None:
        if len(self.pickers) >= MAX_NETWORKS:
            return
        picker = _Picker(self.names, self.weights_of, name, weights)
        index = len(self.pickers)
        self.picker_box.addWidget(picker, index // 3, index % 3)
        self.pickers.append(picker)
        self._update_buttons()

    def _remove(self) -> None:
        if len(self.pickers) > 2:
            _discard(self.picker_box, self.pickers.pop())
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(len(self.pickers) < MAX_NETWORKS)
        self.remove_button.setEnabled(len(self.pickers) > 2)

    def request(self) -> None:
        self.networksRequested.emit(self.networks())

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

    def set_comparison(self, comparison: ComparisonShown | None) -> None:
        """Draw one column per network (None clears them, while a new comparison runs)."""
        for column in self.columns:
            _discard(self.columns_layout, column)
        self.columns = []
        if comparison is None:
            return
        self.progress.hide()
        maps = [n.heatmap for n in comparison.networks if n.heatmap is not None]
        # One colour scale for every network's map, so that their strengths compare.
        low = min((float(m.min()) for m in maps), default=0.0)
        high = max((float(m.max()) for m in maps), default=1.0)
        for network in comparison.networks:
            heatmap = network.heatmap
            rgb = None
            if heatmap is not None and self.image is not None:
                rgb = overlay(self.image, heatmap, alpha=0.5, colormap="turbo", vmin=low, vmax=high)
            column = NetworkColumn(network, rgb)
            index = len(self.columns)
            column.remedyClicked.connect(lambda action, i=index: self.remedyRequested.emit(i, action))
            column.setMinimumWidth(200)
            self.columns_layout.addWidget(column)
            self.columns.append(column)
        name = comparison.image_path.rsplit("/", 1)[-1]
        self.status.setText(f"{name}: {len(self.columns)} networks, run one after the other on this device.")

    def show_error(self, text: str) -> None:
        """Say ``text`` on this tab (a notice about a comparison: its failure, its cancel)."""
        self.progress.hide()
        self.status.setText(text)
        self.status.setToolTip(text)

    def clear_error(self) -> None:
        """The notice said no longer holds."""
        self.status.setText(READY)
        self.status.setToolTip("")
