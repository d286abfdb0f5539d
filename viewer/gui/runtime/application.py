"""The QApplication: names for QSettings, the window's garbage collector, and
:mod:`viewer.gui.runtime.error_sink` installed as the hook of uncaught exceptions (in Qt slots and in threads)."""

from __future__ import annotations

import sys
import threading
import time

from PySide6 import QtWidgets

from viewer.gui.runtime import collector, settings
from viewer.gui.runtime.error_sink import error_sink

__all__ = ["LAUNCHED_AT", "create_application"]

# When the process started the GUI (for the launch-to-window time shown in the log and the status bar).
LAUNCHED_AT = time.perf_counter()
_configured = False


def create_application(argv: list[str] | None = None) -> QtWidgets.QApplication:
    """The QApplication (created once), with the app's names (pyqtgraph is configured by its first user:
    :mod:`viewer.gui.widgets.common.plots`)."""
    global _configured
    existing = QtWidgets.QApplication.instance()
    if existing is None:
        app = QtWidgets.QApplication(argv if argv is not None else sys.argv[:1])
    elif isinstance(existing, QtWidgets.QApplication):
        app = existing
    else:  # a QCoreApplication made elsewhere cannot show windows
        raise RuntimeError("a non-GUI QCoreApplication already exists")
    if not _configured:
        app.setOrganizationName(settings.ORGANIZATION)
        app.setApplicationName(settings.APPLICATION)
        app.setApplicationDisplayName("ConvNet Viewer")
        collector.install(app)  # garbage is collected on this thread only (see viewer.gui.runtime.collector)
        sys.excepthook = error_sink.excepthook
        threading.excepthook = error_sink.thread_excepthook
        _configured = True
    return app
