"""PNG bytes of a Qt image, for exports that are written atomically (the bytes first, then the file)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui

__all__ = ["png_bytes"]


def png_bytes(image: QtGui.QImage) -> bytes:
    """``image`` encoded as PNG (through QImageWriter, whose format argument PySide6 types correctly)."""
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    QtGui.QImageWriter(buffer, b"PNG").write(image)
    return bytes(buffer.data().data())
