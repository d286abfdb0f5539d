"""The window's status bar: what is loaded, what runs now, its progress and a Cancel button."""

from __future__ import annotations

from PySide6 import QtWidgets

from viewer.gui.widgets.common.elided_label import ElidedLabel

__all__ = ["JobStatusBar"]


class JobStatusBar(QtWidgets.QStatusBar):
    """``status_label`` (device, model, timings), ``busy_label`` (the running job), ``progress_bar`` and
    ``cancel_button`` (objectNames ``statusText``, ``busyText``, ``progressBar``, ``cancelButton``)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.status_label = ElidedLabel("Starting…", objectName="statusText")
        self.busy_label = ElidedLabel("", objectName="busyText")
        self.busy_label.setMaximumWidth(320)
        self.progress_bar = QtWidgets.QProgressBar()
        self.progress_bar.setObjectName("progressBar")
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.hide()
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.hide()
        self.addWidget(self.status_label, 1)
        self.addPermanentWidget(self.busy_label)
        self.addPermanentWidget(self.progress_bar)
        self.addPermanentWidget(self.cancel_button)

    def set_busy(self, description: str) -> None:
        """A job runs (``description``, with a busy bar and Cancel), or none does ('')."""
        self.busy_label.setText(f"{description}…" if description else "")
        self.cancel_button.setVisible(bool(description))
        if description:
            self.progress_bar.setRange(0, 0)
            self.progress_bar.show()
        else:
            self.progress_bar.hide()

    def show_progress(self, step: int, total: int, message: str = "") -> None:
        """``step`` of ``total`` done (a busy bar when the total is unknown, 0); ``message`` replaces the job's."""
        self.progress_bar.setRange(0, total if total > 0 else 0)
        if total > 0:
            self.progress_bar.setValue(step)
        if message:
            self.busy_label.setText(message)
        self.progress_bar.show()

    def hide_progress(self) -> None:
        self.progress_bar.hide()
