"""The Architecture tab's toggle for the convolutionized graph, with the image size to draw it for.

Checked, it asks for the chosen network made fully convolutional at that size (``convolutionizedRequested``);
the graph is built on the worker and drawn by the tab's own diagram in place of the plain one. Offered only where
``convolutionize_refusal`` finds no reason against it; otherwise the reason is the sentence under the buttons.
"""

from __future__ import annotations

import re

from PySide6 import QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.core.graph.convolutionizable import convolutionize_refusal, is_convolutionized
from viewer.core.graph.dataflow import Graph

__all__ = ["DEFAULT_SIZE", "ConvolutionizeBar", "parse_size"]

DEFAULT_SIZE = (1024, 768)  # the lecture's example: a photograph, larger than the network's own 224×224


def parse_size(text: str) -> tuple[int, int] | None:
    """``"1024×768"``, ``"1024x768"`` or ``"1024 768"`` → (width, height); None if it is not two positive numbers."""
    match = re.fullmatch(r"\s*(\d+)\s*[x×X* ,]\s*(\d+)\s*", text)
    if match is None:
        return None
    width, height = int(match[1]), int(match[2])
    return (width, height) if width > 0 and height > 0 else None


class ConvolutionizeBar(QtWidgets.QWidget):
    """Check box (``convolutionizeToggle``) and size field (``convolutionizeSize``); ``message`` is placed by
    the parent (a sentence: why not, or what went wrong).

    Signals:
        convolutionizedRequested(object): (width, height) to show the network convolutionized, None to show it plain.
    """

    convolutionizedRequested = Signal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QtWidgets.QCheckBox("Convolutionized at")
        self.toggle.setObjectName("convolutionizeToggle")
        self.toggle.setToolTip("Draw the network fully convolutional (fc layers as convolutions) for a larger image")
        self.size_edit = QtWidgets.QLineEdit(f"{DEFAULT_SIZE[0]}×{DEFAULT_SIZE[1]}")
        self.size_edit.setObjectName("convolutionizeSize")
        self.size_edit.setToolTip("Image width×height in pixels; Enter redraws")
        self.size_edit.setMaximumWidth(self.size_edit.fontMetrics().horizontalAdvance("00000×00000"))
        self.message = QtWidgets.QLabel("")
        self.message.setObjectName("convolutionizeMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #8a4b00")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.size_edit)
        self.toggle.toggled.connect(self._changed)
        self.size_edit.returnPressed.connect(self._changed)
        self.set_graph(None)

    def set_graph(self, graph: Graph | None) -> None:
        """Offer the toggle for ``graph``'s network, or say why not (turning it off if it was on)."""
        if graph is not None and is_convolutionized(graph):
            self.say("")
            return  # the form it asked for: nothing to change
        refusal = "" if graph is None else convolutionize_refusal(graph)
        self.toggle.setEnabled(graph is not None and not refusal)
        self.size_edit.setEnabled(graph is not None and not refusal)
        if refusal and self.toggle.isChecked():
            self.toggle.setChecked(False)  # the state hears it: a later network is shown plain
        self.say(refusal)

    def say(self, text: str) -> None:
        """Show ``text`` under the buttons ('' hides it)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @property
    def requested_size(self) -> tuple[int, int] | None:
        """The size asked for while checked (None when unchecked or the field is not a size)."""
        return parse_size(self.size_edit.text()) if self.toggle.isChecked() else None

    def _changed(self) -> None:
        if not self.toggle.isChecked():
            self.say("")
            self.convolutionizedRequested.emit(None)
            return
        size = parse_size(self.size_edit.text())
        if size is None:
            self.say(f"{self.size_edit.text()!r} is not a size: width×height in pixels, e.g. 1024×768.")
            return
        self.say("")
        self.convolutionizedRequested.emit(size)
