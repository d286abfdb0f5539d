"""The Architecture tab's find bar (a layer or block name with completion; Enter asks for it), its button row, its
direction box (the data flowing down or to the right) and its wrapped labels."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.diagram.layout import Direction

__all__ = ["DIRECTION_CHOICES", "ButtonSpec", "FindBar", "button_row", "direction_combo", "wrapped_label"]

ButtonSpec = tuple[str, str, Callable[[], object], str]  # text, objectName, slot, tooltip
DIRECTION_CHOICES = (("Top-down", "TB"), ("Left-to-right", "LR"))  # text, the layout's direction


class FindBar(QtWidgets.QWidget):
    """A line edit (objectName ``architectureFind``) completing every node and block name.

    Signals:
        findRequested(str): Enter was pressed, or a completion chosen, with this (stripped) text.
    """

    findRequested = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QtWidgets.QLineEdit()
        self.edit.setObjectName("architectureFind")
        self.edit.setPlaceholderText("Find a layer… (e.g. layer1.0.conv2)")
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(220)
        self._names = QtCore.QStringListModel(self)
        completer = QtWidgets.QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)  # "branch3" finds every Inception's branch3
        completer.setMaxVisibleItems(16)
        completer.activated.connect(self._on_completion)
        self.edit.setCompleter(completer)
        self.edit.returnPressed.connect(self._on_return)
        self.edit.textEdited.connect(lambda _text: self.set_message(""))
        self.message = QtWidgets.QLabel("")
        self.message.setObjectName("architectureFindMessage")
        self.message.setStyleSheet("color: #b0413e")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.message, 1)

    def completer(self) -> QtWidgets.QCompleter:
        return self.edit.completer()

    def set_names(self, names: Iterable[str]) -> None:
        """The names offered as completions (node ids and block names)."""
        self._names.setStringList(sorted(set(names)))
        self.set_message("")

    def set_message(self, text: str) -> None:
        """Why the last search found nothing ('' clears it)."""
        self.message.setText(text)
        self.message.setToolTip(text)

    def _on_completion(self, text: str) -> None:
        self.edit.setText(text)
        self._on_return()

    def _on_return(self) -> None:
        text = self.edit.text().strip()
        if text:
            self.findRequested.emit(text)


def button_row(
    find_bar: FindBar, specs: Sequence[ButtonSpec]
) -> tuple[QtWidgets.QHBoxLayout, dict[str, QtWidgets.QPushButton]]:
    """The find bar, stretched, then one push button per spec; the buttons by objectName."""
    row = QtWidgets.QHBoxLayout()
    row.addWidget(find_bar, 1)
    buttons: dict[str, QtWidgets.QPushButton] = {}
    for text, name, slot, tip in specs:
        button = QtWidgets.QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        row.addWidget(button)
        buttons[name] = button
    return row, buttons


def direction_combo(chosen: Callable[[Direction], object]) -> QtWidgets.QComboBox:
    """The direction box (objectName ``architectureDirection``); ``chosen("TB" | "LR")`` when its choice changes."""
    combo = QtWidgets.QComboBox()
    combo.setObjectName("architectureDirection")
    combo.setToolTip(
        "Where the data flows: top-down as in the lecture's figures, or left-to-right, which fits a deep, narrow "
        "network (GoogLeNet) on a wide screen at a readable size"
    )
    for text, direction in DIRECTION_CHOICES:
        combo.addItem(text, direction)
    combo.currentIndexChanged.connect(lambda _index: chosen("LR" if combo.currentData() == "LR" else "TB"))
    return combo


def wrapped_label(name: str) -> QtWidgets.QLabel:
    """A selectable label that wraps (a long variant line or note must not widen the window)."""
    label = QtWidgets.QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
