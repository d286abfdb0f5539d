"""The diagram's scene as PNG bytes (twice the screen's scale; its SVG is :mod:`viewer.core.diagram.svg`'s, the
same file as ``viewer graph --svg``).

Pure rendering of what is on the scene, and the table as CSV; the view writes the bytes atomically. The Export…
flow the diagram windows share (the Architecture tab, the expanded groups' window) is here too: ask where
(``ask_export_path``: the save dialog confirms overwriting), then write by the name's suffix (``run_export``),
saying what failed in one sentence.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from PySide6 import QtCore, QtGui, QtWidgets

from viewer.core.diagram.layout import Layout
from viewer.core.diagram.svg import graph_svg
from viewer.core.errors import ViewerError
from viewer.core.file_export import atomic_write
from viewer.core.graph.dataflow import Graph
from viewer.gui.widgets.architecture.diagram import DiagramView
from viewer.gui.widgets.architecture.scene import JoinItem, NodeItem
from viewer.gui.widgets.common.export_message import ExportMessage
from viewer.gui.widgets.common.png import png_bytes

__all__ = [
    "DIAGRAM_FILTERS",
    "PNG_SCALE",
    "DiagramExports",
    "Render",
    "ask_export_path",
    "export_format",
    "graph_csv",
    "run_export",
    "scene_png",
    "unselected_render",
    "write_file",
]

PNG_SCALE = 2.0  # exported PNGs at twice the screen resolution stay sharp on slides

DIAGRAM_FILTERS = "SVG image (*.svg);;PNG image (*.png)"

Render = Callable[[QtGui.QPainter, QtCore.QRectF], None]


def _default_render(scene: QtWidgets.QGraphicsScene) -> Render:
    return lambda painter, target: scene.render(painter, target, scene.sceneRect())


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
    """The Architecture table as CSV: one row per ``viewer.core.graph.table.graph_rows`` row (blocks and calls,
    execution order), shapes as ``1x64x56x56``, receptive field size and jump as ``HxW``."""
    import csv
    import io

    from viewer.core.graph.table import graph_rows

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


def export_format(path: str, others: Iterable[str] = ("png", "csv")) -> tuple[str, str]:
    """The format a chosen file name asks for (one of ``others``, else "svg") and the path to write; a name without
    a suffix becomes an SVG (the dialog's first filter)."""
    suffix = Path(path).suffix.lower()
    if suffix[1:] in others:
        return suffix[1:], path
    return "svg", path if Path(path).suffix else path + ".svg"


def ask_export_path(parent: QtWidgets.QWidget, caption: str, name: str, filters: str) -> str:
    """The save dialog (it asks before overwriting a file); '' when cancelled."""
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, caption, name, filters)
    return path


def run_export(path: str, writers: Mapping[str, Callable[[str], object]], say: Callable[[str], None]) -> None:
    """Write ``path`` with the writer its suffix asks for ("svg" for any other); a failure is ``say``'s sentence.

    What the user can cause (a read-only or missing folder, a full disk, a folder in the way) must not leave an
    Export… button's slot, or it would reach sys.excepthook as a traceback.
    """
    kind, path = export_format(path, [kind for kind in writers if kind != "svg"])
    try:
        writers[kind](path)
    except ViewerError as error:
        say(str(error))
    except OSError as error:  # not one the writer turned into a sentence (it turns those it meets)
        say(f"Cannot write {path}: {error.strerror or error}.")


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


class DiagramExports:
    """Export… of a drawn diagram, the same for the Architecture tab and the pathways window: SVG (the file of
    :mod:`viewer.core.diagram.svg`, as ``viewer graph --svg`` writes it), PNG of the scene at twice its scale, each
    written whole or not at all; a failure is one sentence under the owner's Export… button.

    A mix-in for the two widgets: they give their scene (``diagram``), their ``export_message``, the layout drawn
    (:meth:`_drawn_layout`) and the dialog (:meth:`choose_export_path`); each ``export_*`` raises ``ExportError``
    (one sentence) when it cannot write.
    """

    diagram: DiagramView
    export_message: ExportMessage

    def export_svg(self, path: str | os.PathLike[str]) -> Path:
        """Write the diagram as SVG (vector, text kept as text: the same file as ``viewer graph --svg``),
        atomically; overwrites ``path``."""
        return self._write(path, graph_svg(self._drawn_layout()).encode("utf-8"))

    def export_png(self, path: str | os.PathLike[str]) -> Path:
        """Write the diagram as PNG at twice screen resolution, atomically; overwrites ``path``."""
        self._drawn_layout()
        return self._write(path, scene_png(self.diagram.scene(), self._export_render(), PNG_SCALE))

    def show_export_message(self, text: str) -> None:
        """Why the last export failed, under the buttons ('' hides it)."""
        self.export_message.say(text)

    def choose_export_path(self) -> str:
        """Ask where to save (the dialog confirms overwriting); '' when cancelled. Tests override this."""
        raise NotImplementedError

    def _drawn_layout(self) -> Layout:
        """The layout on screen; ``ExportError`` while there is none drawn."""
        raise NotImplementedError

    def _exported(self, path: str) -> None:
        """A file was written (the owner's ``exported`` signal)."""
        raise NotImplementedError

    def _export_render(self) -> Render | None:
        return None  # the scene as it is

    def _export_writers(self) -> dict[str, Callable[[str], object]]:
        return {"png": self.export_png, "svg": self.export_svg}

    def _write(self, path: str | os.PathLike[str], data: bytes) -> Path:
        written = write_file(path, data)
        self._exported(str(written))
        return written

    def _on_export_clicked(self) -> None:
        self.show_export_message("")
        path = self.choose_export_path()
        if path:
            run_export(path, self._export_writers(), self.show_export_message)
