"""The diagram's scene as file bytes: SVG (vector, QtSvg; text stays text) and PNG (twice the screen's scale).

Pure rendering of what is on the scene, and the table as CSV; the view writes the bytes atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from viewer.core.file_export import atomic_write
from viewer.core.graph import Graph
from viewer.gui.widgets.architecture_scene import JoinItem, NodeItem
from viewer.gui.widgets.png import png_bytes

__all__ = ["PNG_SCALE", "export_format", "graph_csv", "scene_png", "scene_svg", "unselected_render", "write_file"]

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
    return bytes(buffer.data().data())


def scene_png(scene: QtWidgets.QGraphicsScene, render: Render | None = None, scale: float = PNG_SCALE) -> bytes:
    """The scene as a PNG on white at ``scale`` pixels per scene unit."""
    size = (scene.sceneRect().size() * scale).toSize()
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
    (render or _default_render(scene))(painter, QtCore.QRectF(0, 0, size.width(), size.height()))
    painter.end()
    return png_bytes(image)


CSV_COLUMNS = (
    "name",
    "label",
    "kind",
    "type",
    "depth",
    "module",
    "call",
    "calls",
    "output_shape",
    "params",
    "macs",
    "rf_size",
    "rf_jump",
    "training_only",
)


def graph_csv(graph: Graph) -> str:
    """The Architecture table as CSV: one row per ``viewer.core.graph_table.graph_rows`` row (blocks and calls,
    execution order), shapes as ``1x64x56x56``, receptive field size and jump as ``HxW``."""
    import csv
    import io

    from viewer.core.graph_table import graph_rows

    def pair(value: Iterable[object] | None) -> str:
        return "" if value is None else "x".join(str(v) for v in value)

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in graph_rows(graph):
        field = row.receptive_field
        writer.writerow(
            [
                row.name,
                row.label,
                row.kind,
                row.type,
                row.depth,
                row.module or "",
                row.call,
                row.calls,
                pair(row.shape),
                row.params,
                row.macs,
                pair(field.size if field else None),
                pair(field.jump if field else None),
                row.training_only,
            ]
        )
    return buffer.getvalue()


def export_format(path: str) -> tuple[str, str]:
    """The format a chosen file name asks for ("png", "csv" or "svg") and the path to write; a name without a
    suffix becomes an SVG (the dialog's first filter)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".png", ".csv"):
        return suffix[1:], path
    return "svg", path if Path(path).suffix else path + ".svg"


def unselected_render(scene: QtWidgets.QGraphicsScene, selected: NodeItem | JoinItem | None) -> Render:
    """Paint ``scene`` with the ``selected`` box drawn plain: an export shows the network, not the selection."""

    def render(painter: QtGui.QPainter, target: QtCore.QRectF) -> None:
        if selected is not None:
            selected.set_selected_look(False)
        scene.render(painter, target, scene.sceneRect())
        if selected is not None:
            selected.set_selected_look(True)

    return render


def write_file(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` all or nothing, replacing a file there (the save dialog asked)."""

    def write(handle: BinaryIO) -> None:
        handle.write(data)

    return atomic_write(path, write, force=True)
