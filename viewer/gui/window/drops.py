"""Drops anywhere on the main window: every child hands a drag of files to the window, which opens them.

Qt hands a drag to the innermost widget that accepts drops, else to its nearest such ancestor (the window).
Graphics views accept drops by default: they stop accepting them, so drops on them reach the window natively.
Text fields (which would paste the file's URL) keep accepting, and only they are filtered, by :class:`DropRouter`,
which forwards their drag and drop events to the window. An application-wide filter would send every event of
the app (thousands a second while views repaint) through Python, each crossing waiting for the GIL while the
worker runs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["DropRouter"]

_TEXTS = (QtWidgets.QLineEdit, QtWidgets.QPlainTextEdit, QtWidgets.QTextEdit)
_KINDS = (QtCore.QEvent.Type.DragEnter, QtCore.QEvent.Type.DragMove, QtCore.QEvent.Type.Drop)


class DropRouter(QtCore.QObject):
    """Routes the drag and drop events of ``window``'s text fields to ``on_drag`` and ``on_drop`` (the window's
    own handlers)."""

    def __init__(
        self,
        window: QtWidgets.QMainWindow,
        on_drag: Callable[[QtGui.QDropEvent], None],
        on_drop: Callable[[QtGui.QDropEvent], None],
    ) -> None:
        super().__init__(window)
        self._window, self._on_drag, self._on_drop = window, on_drag, on_drop

    def watch(self) -> None:
        """Cover the window's children; call again when children were added (a filter installed twice is kept
        once)."""
        for child in self._window.findChildren(QtWidgets.QWidget):
            if not child.acceptDrops():
                continue
            if isinstance(child, _TEXTS) or isinstance(child.parentWidget(), _TEXTS):  # a text edit's viewport
                child.installEventFilter(self)
            else:
                child.setAcceptDrops(False)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        window = self._window
        if (
            event.type() in _KINDS
            and isinstance(event, QtGui.QDropEvent)  # drag enter and move events are drop events too
            and isinstance(watched, QtWidgets.QWidget)
            and watched is not window
            and watched.window() is window
        ):
            if event.type() == QtCore.QEvent.Type.Drop:
                self._on_drop(event)
            else:
                self._on_drag(event)
            return True
        return super().eventFilter(watched, event)
