"""The recipe dialog: which preprocessing a weights file was trained with (non-modal; the window stays usable).

It offers the architecture's torchvision weights, each with its resize, crop and interpolation ("IMAGENET1K_V1 —
resize 256, crop 224, bilinear"), what the file says or else the network's default, and explicit values. The
answer is the text ``--recipe`` takes (``viewer.core.network.recipe``): an enum name, ``resize=…,crop=…,…``, or None for
the file's own (or the default).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6 import QtWidgets
from PySide6.QtCore import Signal

from viewer.core.network.recipe import INTERPOLATIONS, Recipe, RecipeError, parse_recipe

__all__ = ["RecipeDialog"]

MAX_SIDE = 4096


class RecipeDialog(QtWidgets.QDialog):
    """Pick the recipe of a weights file; ``set_offer`` fills it, OK emits the answer and closes it.

    Signals:
        recipeChosen(object): the text ``--recipe`` takes, or None for what the file says (or the default).
    """

    recipeChosen = Signal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recipeDialog")
        self.setWindowTitle("Weights recipe")
        self.setModal(False)
        self._channels = 3
        self._choices: list[tuple[QtWidgets.QRadioButton, str | None]] = []  # (button, answer); explicit apart
        self.question = QtWidgets.QLabel()
        self.question.setWordWrap(True)
        self.options = QtWidgets.QVBoxLayout()
        self.group = QtWidgets.QButtonGroup(self)
        self.explicit = QtWidgets.QRadioButton("Explicit values:")
        self.explicit.setObjectName("recipe_explicit")
        self.resize_box = QtWidgets.QSpinBox()
        self.resize_box.setObjectName("recipeResize")
        self.crop_box = QtWidgets.QSpinBox()
        self.crop_box.setObjectName("recipeCrop")
        for box in (self.resize_box, self.crop_box):
            box.setRange(1, MAX_SIDE)
            box.setSuffix(" px")
        self.interpolation_box = QtWidgets.QComboBox()
        self.interpolation_box.setObjectName("recipeInterpolation")
        self.interpolation_box.addItems(INTERPOLATIONS)
        self.mean_field = QtWidgets.QLineEdit()
        self.mean_field.setObjectName("recipeMean")
        self.std_field = QtWidgets.QLineEdit()
        self.std_field.setObjectName("recipeStd")
        self.values = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(self.values)
        form.setContentsMargins(24, 0, 0, 0)
        form.addRow("Resize the short side to", self.resize_box)
        form.addRow("Centre crop", self.crop_box)
        form.addRow("Interpolation", self.interpolation_box)
        form.addRow("Mean (per channel)", self.mean_field)
        form.addRow("Std (per channel)", self.std_field)
        self.error = QtWidgets.QLabel()
        self.error.setObjectName("recipeError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e")
        self.error.hide()
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addLayout(self.options)
        layout.addWidget(self.explicit)
        layout.addWidget(self.values)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.group.addButton(self.explicit)
        self.explicit.toggled.connect(self.values.setEnabled)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)

    def set_offer(
        self, file_name: str, choices: Sequence[Recipe], own: Recipe, in_use: Recipe, current: str | None
    ) -> None:
        """Offer ``choices`` (the torchvision weights' recipes) and ``own`` (what the file says, or the network's
        default when ``own.assumed``); ``current`` (the answer in use) is checked, ``in_use`` fills the values."""
        self.question.setText(
            f"Which preprocessing was <b>{file_name}</b> trained with? Weights give their published accuracy only "
            "with their own. The answer is remembered for this file."
        )
        for button, _answer in self._choices:
            self.group.removeButton(button)
            self.options.removeWidget(button)
            button.deleteLater()
        self._choices = []
        for recipe in choices:
            self._add(
                f"{recipe.name} — resize {recipe.resize}, crop {recipe.crop}, {recipe.interpolation}", recipe.name
            )
        what = "The network's default" if own.assumed else "As the file says"
        self._add(f"{what} — {own.short_label}", None, name="recipe_default")
        self._channels = len(in_use.mean)
        self.resize_box.setValue(in_use.resize)
        self.crop_box.setValue(in_use.crop)
        self.interpolation_box.setCurrentText(in_use.interpolation)
        self.mean_field.setText(", ".join(f"{v:g}" for v in in_use.mean))
        self.std_field.setText(", ".join(f"{v:g}" for v in in_use.std))
        self.error.hide()
        if current is not None and "=" not in current:
            current = current.strip().upper()  # an enum name, as --recipe may spell it
        checked = next((button for button, answer in self._choices if answer == current), self.explicit)
        checked.setChecked(True)
        self.values.setEnabled(checked is self.explicit)

    def option(self, answer: str | None) -> QtWidgets.QRadioButton:
        """The button that answers ``answer`` (an enum name, None for the file's own or the default; any other
        text: the explicit values)."""
        return next((button for button, offered in self._choices if offered == answer), self.explicit)

    def answer(self) -> str | None:
        """What OK would answer; raises RecipeError for explicit values that cannot be read."""
        for button, answer in self._choices:
            if button.isChecked():
                return answer
        per_channel = {
            key: ":".join(v for v in re.split(r"[\s,:;]+", field.text().strip()) if v)
            for key, field in (("mean", self.mean_field), ("std", self.std_field))
        }
        text = (
            f"resize={self.resize_box.value()},crop={self.crop_box.value()},"
            f"interpolation={self.interpolation_box.currentText()},mean={per_channel['mean']},std={per_channel['std']}"
        )
        parse_recipe(text, channels=self._channels)  # one sentence saying what is wrong
        return text

    def _add(self, text: str, answer: str | None, name: str = "") -> None:
        button = QtWidgets.QRadioButton(text)
        button.setObjectName(name or f"recipe_{answer}")
        self.group.addButton(button)
        self.options.addWidget(button)
        self._choices.append((button, answer))

    def _accept(self) -> None:
        try:
            answer = self.answer()
        except RecipeError as error:
            self.error.setText(str(error).replace("--recipe: ", ""))
            self.error.show()
            return
        self.error.hide()
        self.accept()
        self.recipeChosen.emit(answer)
