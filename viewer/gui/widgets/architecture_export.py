"""The diagram's scene as file bytes: SVG (vector, QtSvg; text stays text) and PNG (twice the screen's scale).

Pure rendering of what is on the scene; the view writes the bytes atomically.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

__all__ = ["PNG_SCALE", "scene_png", "scene_svg"]

PNG_SCALE = 2.0  # exported PNGs at twice the screen resolution stay sharp on slides

Render = Callable[[QtGui.QPainter, QtCore.QRectF], None]


def _default_render(scene: QtWidgets.QGraphicsScene) -> Render:
    return lambda painter, target: scene.render(painter, target, scene.sceneRect())


def scene_svg(scene: QtWidgets.QGraphicsScene, title: str, render: Render | None = None) -> bytes:
    """The scene as an SVG document; ``render(painter, target)`` paints it (default: ``scene.render``)."""
    rect = scene.sceneRect()
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(rect.size().toSize())
    generator.setViewBox(QtCore.QRectF(0, 0, rect.width(), rect.height()))
    generator.setTitle(title)
    generator.setDescription("convnet viewer architecture diagram")
    painter = QtGui.QPainter(generator)
    (render or _default_render(scene))(painter, QtCore.QRectF(0, 0, rect.width(), rect.height()))
    painter.end()
    return bytes(buffer.data())


def scene_png(scene: QtWidgets.QGraphicsScene, render: Render | None = None, scale: float = PNG_SCALE) -> bytes:
    """The scene as a PNG on white at ``scale`` pixels per scene unit."""
    size = (scene.sceneRect().size() * scale).toSize()
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
    (render or _default_render(scene))(painter, QtCore.QRectF(0, 0, size.width(), size.height()))
    painter.end()
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())
