"""The one error sink: every error the app shows goes through :data:`error_sink`.

Job failures (via the state's notices) and uncaught exceptions in Qt slots (``sys.excepthook``) or threads
(``threading.excepthook``, both installed by :func:`viewer.gui.runtime.application.create_application`). A bug
becomes one notice in the banner that says where its log is, with the traceback in the banner's details and appended
to that log, instead of a traceback in a terminal nobody reads (or the app killed). Its own module, apart from the
application, so that the state can report a job's bug without importing what the application configures.
"""

from __future__ import annotations

import datetime
import os
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal

__all__ = ["LOG_NAME", "ErrorSink", "error_sink", "log_folder"]

LOG_NAME = "errors.log"
MAX_LOG_BYTES = 1_000_000  # beyond it the log is moved to errors.log.1 (one old generation kept)


def log_folder() -> Path:
    """Where bug logs go: a ``logs`` folder beside the settings when they are an INI file (tests, screenshots
    and portable installs point them at a folder of their own, and the logs follow), else the platform's
    application data folder (``~/.local/share/convnet-viewer/viewer/logs`` on Linux)."""
    store = QSettings()
    if store.format() == QSettings.Format.IniFormat:
        return Path(store.fileName()).parent / "logs"
    location = QStandardPaths.StandardLocation.AppLocalDataLocation
    return Path(QStandardPaths.writableLocation(location) or Path.home() / ".convnet-viewer") / "logs"


class ErrorSink(QObject):
    """Where every error message ends up; the main window shows ``reported`` in its banner.

    ``log_path`` is the file bugs are appended to (None: ``log_folder() / LOG_NAME``, read at each bug).
    """

    reported = Signal(str, str, str)  # text, details, level

    def __init__(self) -> None:
        super().__init__()
        self.log_path: Path | None = None
        self._lock = threading.Lock()  # threads' bugs and the GUI thread's append to one file

    def report(self, text: str, details: str = "", level: str = "error") -> None:
        self.reported.emit(text, details, level)

    def excepthook(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        """``sys.excepthook``: one notice (and a log entry) per exception that left a handler."""
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        try:
            self._report_bug(kind, error, trace)
        except BaseException as failure:  # the last resort must not raise in its turn
            sys.stderr.write(f"viewer: {kind.__name__}: {error} (and reporting it failed: {failure!r})\n")

    def thread_excepthook(self, hook: threading.ExceptHookArgs) -> None:
        """``threading.excepthook``: a thread's bug reported like a slot's (the signal crosses to the GUI)."""
        if hook.exc_value is not None and not issubclass(hook.exc_type, SystemExit):  # as threading's own hook
            self.excepthook(hook.exc_type, hook.exc_value, hook.exc_traceback)

    def _report_bug(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        from viewer.core.errors import ViewerError

        if isinstance(error, ViewerError):  # a sentence for the user, not a bug
            self.report(str(error), "", "error")
            return
        details = "".join(traceback.format_exception(kind, error, trace))
        first = str(error).splitlines()[0][:200] if str(error).strip() else ""
        summary = f"Bug: {kind.__name__}{': ' + first if first else ''}"
        written = self._append_log(details)
        where = f"in {written}" if isinstance(written, Path) else f"not in a log ({written})"
        if self.isSignalConnected(self.metaObject().method(self.metaObject().indexOfSignal(_REPORTED))):
            self.report(f"{summary.rstrip('.')}. The app goes on; the traceback is {where} and under Details.", details)
        else:  # no window to show it (yet): one line on stderr, never the traceback
            sys.stderr.write(f"viewer: {summary}; the traceback is {where}\n")

    def _append_log(self, details: str) -> Path | str:
        """Append one entry to the log; its path, or why it could not be written."""
        path = self.log_path or log_folder() / LOG_NAME
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        try:
            with self._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
                    os.replace(path, path.with_name(path.name + ".1"))
                with path.open("a", encoding="utf-8") as log:
                    log.write(f"--- {stamp} (pid {os.getpid()})\n{details}\n")
        except OSError as failure:
            return failure.strerror or type(failure).__name__
        return path


_REPORTED = "reported(QString,QString,QString)"
error_sink = ErrorSink()
