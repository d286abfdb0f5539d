"""Where the first window goes: the preferred size where the screen has room, shrunk to fit where it has not."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

__all__ = ["PREFERRED_SIZE", "fit_on_screen"]

PREFERRED_SIZE = (1400, 860)  # the first window's size where the screen has room for it
# What a window manager's frame and a panel take beyond availableGeometry's client area, roughly.
_FRAME_ALLOWANCE = (16, 48)


def fit_on_screen(window: QtWidgets.QWidget, size: tuple[int, int]) -> None:
    """Resize ``window`` to ``size``, shrunk to fit its screen's available area, and move it inside it.

    A 1366×768 laptop has no room for the preferred 1400×860: a window wider than the screen hides its
    right-hand controls. A geometry restored from another (larger) screen is brought back the same way.
    """
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(*size)
        return
    area = screen.availableGeometry()
    width = max(min(size[0], area.width() - _FRAME_ALLOWANCE[0]), window.minimumSizeHint().width())
    height = min(size[1], area.height() - _FRAME_ALLOWANCE[1])
    window.resize(width, height)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.left()), max(area.left(), area.right() - width - _FRAME_ALLOWANCE[0]))
    y = min(max(frame.y(), area.top()), max(area.top(), area.bottom() - height - _FRAME_ALLOWANCE[1]))
    window.move(x, y)
