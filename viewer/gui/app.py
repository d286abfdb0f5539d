"""The QApplication: names for QSettings, pyqtgraph's row-major images, and the one error sink.

Every error the app shows goes through :data:`error_sink`: job failures (via the state) and uncaught
exceptions in Qt slots (``sys.excepthook``), so that a bug shows a short message with the traceback in
the banner's details instead of vanishing into a terminal or killing the app.
"""

from __future__ import annotations

import sys
import time
import traceback
from types import TracebackType

from PySide6 import QtWidgets
from PySide6.QtCore import QObject, Signal

from viewer.gui import settings

__all__ = ["LAUNCHED_AT", "ErrorSink", "create_application", "error_sink"]

# When the process started the GUI (for the launch-to-window time shown in the log and the status bar).
LAUNCHED_AT = time.perf_counter()
_configured = False
GIL_SWITCH_INTERVAL_S = 0.00005


class ErrorSink(QObject):
    """Where every error message ends up; the main window shows ``reported`` in its banner."""

    reported = Signal(str, str, str)  # text, details, level

    def report(self, text: str, details: str = "", level: str = "error") -> None:
        self.reported.emit(text, details, level)

    def excepthook(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        details = "".join(traceback.format_exception(kind, error, trace))
        sys.stderr.write(details)
        from viewer.core.errors import ViewerError

        if isinstance(error, ViewerError):
            self.report(str(error), "", "error")
        else:
            text = str(error).splitlines()[0][:200] if str(error) else ""
            self.report(f"Bug: {kind.__name__}{': ' + text if text else ''} (details show the traceback).", details)


error_sink = ErrorSink()


def create_application(argv: list[str] | None = None) -> QtWidgets.QApplication:
    """The QApplication (created once), with the app's names and pyqtgraph configured."""
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
        import pyqtgraph as pg

        pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
        # The worker runs Python-heavy code (torch.fx tracing, summaries) while the GUI thread draws. Each time
        # the GUI thread releases the GIL (most Qt calls do) it waits for the worker to hand it back, by
        # default up to 5 ms. A repaint crosses into Qt hundreds of times (pyqtgraph paints in Python); at 1 ms
        # the 200-switch soak's longest stalls were 77-123 ms on the 2-core VM, at 0.2 ms 53-66 ms, at 0.05 ms
        # 42-49 ms (below that the hand-over itself costs as much: 44 ms at 0.02 ms). An idle worker never waits.
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
        sys.excepthook = error_sink.excepthook
        _configured = True
    return app
