"""The empty window's welcome: sample images one click away, and what to do (drop, open, paste, shortcuts).

Shown in place of the image panel while no image is open; the first image replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

__all__ = ["SampleImage", "WelcomeView"]

ICON_SIDE = 120


@dataclass(frozen=True)
class SampleImage:
    """A sample to offer: its file, a caption, and the network it is meant for (None: any ImageNet one)."""

    path: Path
    caption: str
    model: str | None = None


class WelcomeView(QtWidgets.QScrollArea):
    """Sample buttons (objectName ``sample_<file stem>``) and the first steps.

    Signals:
        sampleRequested(str, object): the sample's path and the network it is meant for (None: any ImageNet one).
    """

    sampleRequested = Signal(str, object)

    def __init__(
        self,
        parent: QtWidgets.QWidget | None = None,
        *,
        samples: Sequence[SampleImage] = (),
        shortcuts: Sequence[tuple[str, str]] = (),
    ) -> None:
        """``shortcuts`` are (keys, what they do); the first three (open, paste, drop) are told in words."""
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        body = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(body)
        layout.setContentsMargins(16, 12, 16, 12)

        title = QtWidgets.QLabel("<h2>Look inside a network</h2>")
        steps = QtWidgets.QLabel(
            "<b>Drop</b> images or folders anywhere on this window, <b>open</b> them with Ctrl+O, or "
            "<b>paste</b> an image or its path with Ctrl+V. Or try one of these:"
        )
        steps.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(steps)

        grid = QtWidgets.QGridLayout()
        self.sample_buttons: dict[str, QtWidgets.QToolButton] = {}
        for number, sample in enumerate(samples):
            button = self._sample_button(sample)
            grid.addWidget(button, number // 2, number % 2)
        layout.addLayout(grid)

        keys = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{text}</td></tr>" for k, text in shortcuts[3:])
        shortcuts_label = QtWidgets.QLabel(
            f"<p><b>Shortcuts</b></p><table>{keys}</table>"
            "<p>Help › The lecture in this app: where each network and idea of the "
            "lecture is shown.</p>",
        )
        shortcuts_label.setObjectName("welcomeShortcuts")
        shortcuts_label.setWordWrap(True)
        layout.addWidget(shortcuts_label)
        layout.addStretch(1)
        self.setWidget(body)

    def _sample_button(self, sample: SampleImage) -> QtWidgets.QToolButton:
        path = sample.path
        button = QtWidgets.QToolButton()
        button.setObjectName(f"sample_{path.stem}")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setAutoRaise(True)
        pixmap = QtGui.QPixmap(str(path))
        if not pixmap.isNull():
            # A 28-px digit scaled up without smoothing stays a crisp digit.
            mode = (
                Qt.TransformationMode.FastTransformation
                if pixmap.width() < 64
                else Qt.TransformationMode.SmoothTransformation
            )
            button.setIcon(QtGui.QIcon(pixmap.scaled(ICON_SIDE, ICON_SIDE, Qt.AspectRatioMode.KeepAspectRatio, mode)))
        button.setIconSize(QtCore.QSize(ICON_SIDE, ICON_SIDE))
        button.setText(sample.caption)
        button.setToolTip(f"Open {path.name}" + (f" with {sample.model}" if sample.model else ""))
        button.clicked.connect(lambda _checked=False: self.sampleRequested.emit(str(path), sample.model))
        self.sample_buttons[path.name] = button
        return button
