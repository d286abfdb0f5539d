"""Model, weights, device and preprocessing pickers.

The model list is grouped by family in the lecture's order (LeNet, AlexNet, VGG, NiN, GoogLeNet/Inception,
ResNet, ResNeXt, then the rest), each entry with its parameters and GMACs (``ModelSpec.label()``). A custom
model file is Python code: the bar asks before running a file (path + content hash) it has not run before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.network.choice import ModelChoice
from viewer.core.network.preset_fit import preset_reason, tta_reason
from viewer.core.options import PRESET_LABELS
from viewer.core.trust import ModelFileTrust

if TYPE_CHECKING:  # numpy comes with the results module: the model bar is made before the window's views
    from viewer.core.network.spec import NetworkSpec
    from viewer.core.results.session import ModelInfo, Registry

__all__ = ["PRESETS", "ModelBar"]

PRESETS = tuple(PRESET_LABELS.items())  # (value, label) of the preset picker
RANDOM = "none"
FROM_FILE = "\x00file"
CUSTOM_MODEL = "\x00custom"
_DATA = Qt.ItemDataRole.UserRole
NOT_LOADED = "not loaded: "
UNFIT = " ⚠"  # marks a preset or TTA that does not suit the loaded weights (the tooltip says why)
TTA_TIP = (
    "Krizhevsky's test-time augmentation: the four corner and centre crops of the central square and their "
    "mirrors, softmax outputs averaged"
)


class ModelBar(QtWidgets.QWidget):
    """Pickers that emit the user's choice; the state answers by loading it and calling the setters.

    Signals:
        choiceRequested(ModelChoice): model, weights or device picked.
        optionsRequested(str, bool): preprocessing preset and ten-crop TTA toggled.
    """

    choiceRequested = Signal(object)
    optionsRequested = Signal(str, bool)

    def __init__(
        self,
        parent: QtWidgets.QWidget | None = None,
        *,
        trust: ModelFileTrust,
        start_folder: Callable[[], str] = lambda: "",
    ) -> None:
        super().__init__(parent)
        self._trust = trust  # decides whether a model file must be asked about; this widget only asks
        self._start_folder = start_folder  # where the file dialogs open
        self._choice = ModelChoice()
        self._failed = False  # the shown weights could not be loaded (set_failed)
        self._specs: dict[str, NetworkSpec] = {}
        self._updating = False
        # Dialogs go through these so that tests (and scripts) can answer them without a modal loop.
        self.ask_open_file: Callable[[str, str], str] = self._ask_open_file
        self.ask_item: Callable[[str, str, list[str]], str | None] = self._ask_item
        self.ask_yes_no: Callable[[str, str], bool] = self._ask_yes_no

        self.model_picker = QtWidgets.QComboBox()
        self.model_picker.setObjectName("modelPicker")
        self.model_picker.setMinimumContentsLength(28)
        self.model_picker.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_picker.setMaxVisibleItems(30)
        self.model_picker.addItem("Loading models…")
        self.model_picker.setEnabled(False)
        self.weights_picker = QtWidgets.QComboBox()
        self.weights_picker.setObjectName("weightsPicker")
        self.weights_picker.setMinimumContentsLength(18)
        self.weights_picker.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.device_picker = QtWidgets.QComboBox()
        self.device_picker.setObjectName("devicePicker")
        self.device_picker.addItem("Auto", "auto")
        self.preset_picker = QtWidgets.QComboBox()
        self.preset_picker.setObjectName("presetPicker")
        for value, text in PRESETS:
            self.preset_picker.addItem(text, value)
        self.tta_box = QtWidgets.QCheckBox("Ten-crop TTA")
        self.tta_box.setObjectName("ttaToggle")
        self.tta_box.setToolTip(TTA_TIP)

        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for label, widget in (
            ("Model", self.model_picker),
            ("Weights", self.weights_picker),
            ("Device", self.device_picker),
            ("Preprocess", self.preset_picker),
        ):
            caption = QtWidgets.QLabel(label)
            caption.setBuddy(widget)
            layout.addWidget(caption)
            layout.addWidget(widget)
        layout.addWidget(self.tta_box)
        layout.addStretch(1)

        self.model_picker.activated.connect(self._on_model_activated)
        self.weights_picker.activated.connect(self._on_weights_activated)
        self.device_picker.activated.connect(self._on_device_activated)
        self.preset_picker.activated.connect(self._emit_options)
        self.preset_picker.currentIndexChanged.connect(
            lambda row: self.preset_picker.setToolTip(
                self.preset_picker.itemData(row, Qt.ItemDataRole.ToolTipRole) or ""
            )
        )
        self.tta_box.toggled.connect(self._emit_options)

    # --- setters (from the state) ------------------------------------------------------------------
    def set_registry(self, registry: Registry) -> None:
        """Fill the pickers from the core ``Registry``: grouped models, devices."""
        self._updating = True
        try:
            self._specs = {spec.name: spec for spec in registry.specs}
            picker = self.model_picker
            picker.clear()
            model = picker.model()
            assert isinstance(model, QtGui.QStandardItemModel)
            order = {family: index for index, family in enumerate(registry.family_order)}
            groups: dict[str, list[NetworkSpec]] = {}
            for spec in registry.specs:
                groups.setdefault(spec.family, []).append(spec)
            for family in sorted(groups, key=lambda f: order.get(f, len(order))):
                header = QtGui.QStandardItem(f"— {family} —")
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                font = header.font()
                font.setBold(True)
                header.setFont(font)
                model.appendRow(header)
                for spec in groups[family]:
                    item = QtGui.QStandardItem("    " + spec.label())
                    item.setData(spec.name, _DATA)
                    item.setToolTip(spec.paper)
                    model.appendRow(item)
            custom = QtGui.QStandardItem("Custom model file…")
            custom.setData(CUSTOM_MODEL, _DATA)
            model.appendRow(custom)
            picker.setEnabled(True)
            self.device_picker.clear()
            self.device_picker.addItem(f"Auto ({registry.auto_device})", "auto")
            for device in registry.devices:
                self.device_picker.addItem(device.upper() if device in ("cpu", "mps") else device, device)
        finally:
            self._updating = False
        self.set_choice(self._choice)

    def set_choice(self, choice: ModelChoice) -> None:
        """Show ``choice`` without emitting anything."""
        self._choice = choice
        self._updating = True
        try:
            if choice.model_file:
                label = f"Custom: {Path(choice.model_file.rpartition(':')[0] or choice.model_file).name}"
                index = self.model_picker.findData(choice.model_file, _DATA)
                if index < 0:
                    self.model_picker.insertItem(self.model_picker.count() - 1, label, choice.model_file)
                    index = self.model_picker.findData(choice.model_file, _DATA)
                self.model_picker.setCurrentIndex(index)
            else:
                index = self.model_picker.findData(choice.model, _DATA)
                if index >= 0:
                    self.model_picker.setCurrentIndex(index)
            self._fill_weights(choice)
            device = self.device_picker.findData(choice.device)
            if device < 0:
                self.device_picker.addItem(choice.device, choice.device)
                device = self.device_picker.findData(choice.device)
            self.device_picker.setCurrentIndex(device)
        finally:
            self._updating = False

    def set_failed(self, failed: bool) -> None:
        """Mark the shown weights "not loaded" (a failed download or file): the picker never claims weights
        that are not in use."""
        self._failed = failed
        index = self.weights_picker.currentIndex()
        if index < 0:
            return
        # In front, where a narrow picker still shows it: "not loaded: IMAGENET1K_V1".
        text = self.weights_picker.itemText(index).removeprefix(NOT_LOADED)
        self.weights_picker.setItemText(index, NOT_LOADED + text.replace(" (default)", "") if failed else text)
        self.weights_picker.setToolTip(
            "These weights could not be loaded: the message above says why." if failed else ""
        )

    def set_fit(self, info: ModelInfo | None) -> None:
        """Mark the presets and TTA that do not suit the loaded weights (the core ModelInfo), with the reason as
        tooltip. Nothing is forbidden: a marked choice can still be picked, to see what it does."""
        for row, (value, text) in enumerate(PRESETS):
            reason = (
                None
                if info is None
                else preset_reason(
                    value,
                    model=info.name,
                    weights=info.weights,
                    pretrained=info.pretrained,
                    categories=info.categories,
                    mean=info.mean,
                    std=info.std,
                )
            )
            self.preset_picker.setItemText(row, text + UNFIT if reason else text)
            self.preset_picker.setItemData(row, reason or "", Qt.ItemDataRole.ToolTipRole)
        current = self.preset_picker.currentIndex()
        self.preset_picker.setToolTip(self.preset_picker.itemData(current, Qt.ItemDataRole.ToolTipRole) or "")
        reason = (
            None
            if info is None
            else tta_reason(
                model=info.name, weights=info.weights, pretrained=info.pretrained, categories=info.categories
            )
        )
        self.tta_box.setText("Ten-crop TTA" + (UNFIT if reason else ""))
        self.tta_box.setToolTip(reason or TTA_TIP)

    def unfit_reason(self, preset: str | None = None) -> str:
        """The tooltip of ``preset`` (or TTA when None): why it does not fit, "" when it does."""
        if preset is None:
            return "" if self.tta_box.toolTip() == TTA_TIP else self.tta_box.toolTip()
        row = self.preset_picker.findData(preset)
        return self.preset_picker.itemData(row, Qt.ItemDataRole.ToolTipRole) or ""

    def weights_text(self) -> str:
        """What the weights picker shows."""
        return self.weights_picker.currentText()

    def set_options(self, preset: str, tta: bool) -> None:
        self._updating = True
        try:
            self.preset_picker.setCurrentIndex(max(0, self.preset_picker.findData(preset)))
            self.tta_box.setChecked(tta)
        finally:
            self._updating = False

    def choice(self) -> ModelChoice:
        return self._choice

    # --- user actions ------------------------------------------------------------------------------
    def pick_model(self, name: str) -> None:
        """Choose a registry model with its default weights (what selecting it in the picker does)."""
        spec = self._specs.get(name)
        weights = "default" if spec is None or spec.has_pretrained else RANDOM
        self._request(ModelChoice(name, weights, None, self._choice.device))

    def pick_weights(self, weights: str) -> None:
        """``default``, ``none``, an enum name or the path of a state_dict file (with its own recipe: the state
        applies the one remembered for a file)."""
        self._request(replace(self._choice, weights=weights, recipe=None))

    def pick_device(self, device: str) -> None:
        self._request(replace(self._choice, device=device))

    def choose_weights_file(self) -> None:
        path = self.ask_open_file(
            "Choose a weights file (a state_dict)", "PyTorch weights (*.pt *.pth *.th *.bin *.ckpt);;All files (*)"
        )
        if path:
            self.pick_weights(path)
        else:  # cancelled: the pickers show the choice as it was, "not loaded" included
            self.set_choice(self._choice)
            self.set_failed(self._failed)

    def choose_model_file(self) -> None:
        """Pick a Python file and its builder function; ask before running a file not run before."""
        path = self.ask_open_file(
            "Choose a model file (Python, with a function returning an nn.Module)", "Python files (*.py)"
        )
        if not path:
            self.set_choice(self._choice)
            return
        try:
            source = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            self._refuse(f"{Path(path).name}: cannot be read ({error.strerror}).")
            return
        functions = re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", source, flags=re.MULTILINE)
        if not functions:
            self._refuse(f"{Path(path).name}: defines no top-level function that could build a model.")
            return
        function = (
            functions[0]
            if len(functions) == 1
            else self.ask_item("Model builder", "Which function builds the model?", functions)
        )
        if not function:
            self.set_choice(self._choice)
            return
        self.use_model_file(path, function)

    def use_model_file(self, path: str, function: str) -> bool:
        """Switch to ``path:function`` after the user agreed to run it (once per path and content)."""
        try:
            review = self._trust.review(path)
        except OSError as error:
            self._refuse(f"{Path(path).name}: cannot be read ({error.strerror or error}).")
            return False
        if review.question is not None:
            if not self.ask_yes_no("Run a model file?", review.question):
                self.set_choice(self._choice)
                return False
            self._trust.allow(review)
        model_file = f"{Path(path).resolve()}:{function}"
        self._request(ModelChoice(None, RANDOM, model_file, self._choice.device, review.sha256))
        return True

    # --- internals ---------------------------------------------------------------------------------
    def _request(self, choice: ModelChoice) -> None:
        self.set_choice(choice)
        self.choiceRequested.emit(choice)

    def _refuse(self, text: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Model file", text)
        self.set_choice(self._choice)

    def _fill_weights(self, choice: ModelChoice) -> None:
        picker = self.weights_picker
        picker.clear()
        spec = self._specs.get(choice.model or "")
        if spec is not None and not choice.model_file:
            for name in spec.weights:
                picker.addItem(f"{name} (default)" if name == spec.default_weights else name, name)
        picker.addItem("Random init (not trained)", RANDOM)
        if choice.weights not in ("default", RANDOM) and (spec is None or choice.weights not in spec.weights):
            picker.addItem(f"File: {Path(choice.weights).name}", choice.weights)
        picker.addItem("From file…", FROM_FILE)
        wanted = spec.default_weights if (choice.weights == "default" and spec is not None) else choice.weights
        if wanted is None:
            wanted = RANDOM
        picker.setCurrentIndex(max(0, picker.findData(wanted)))

    def _on_model_activated(self, index: int) -> None:
        data = self.model_picker.itemData(index, _DATA)
        if self._updating or data is None:
            return
        if data == CUSTOM_MODEL:
            self.choose_model_file()
        elif ":" in str(data):  # a custom model file chosen before ("path:function")
            path, _, function = str(data).rpartition(":")
            self.use_model_file(path, function)  # asks again if the file changed since
        else:
            self.pick_model(str(data))

    def _on_weights_activated(self, index: int) -> None:
        data = self.weights_picker.itemData(index)
        if self._updating or data is None:
            return
        if data == FROM_FILE:
            self.choose_weights_file()
        else:
            self.pick_weights(str(data))

    def _on_device_activated(self, index: int) -> None:
        data = self.device_picker.itemData(index)
        if not self._updating and data is not None:
            self.pick_device(str(data))

    def _emit_options(self, *_args: object) -> None:
        if not self._updating:
            self.optionsRequested.emit(str(self.preset_picker.currentData()), self.tta_box.isChecked())

    def _ask_open_file(self, title: str, filters: str) -> str:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, title, self._start_folder(), filters)
        return path

    def _ask_item(self, title: str, label: str, items: list[str]) -> str | None:
        item, ok = QtWidgets.QInputDialog.getItem(self, title, label, items, 0, False)
        return item if ok else None

    def _ask_yes_no(self, title: str, text: str) -> bool:
        answer = QtWidgets.QMessageBox.question(self, title, text)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes
