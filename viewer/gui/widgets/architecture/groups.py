"""A window with ResNeXt's aggregated-transformations picture of one block (its grouped convolution's pathways).

The layout comes from the worker (``core.graph.groups.expand_groups`` + the engine's layout); this window only
paints it with the Architecture tab's own scene items, beside its title and the note on the equivalence, and
exports it as the tab exports its diagram (SVG or PNG, written all or nothing, the save dialog asking before
it replaces a file).
"""

from __future__ import annotations

import html

from PySide6 import QtWidgets
from PySide6.QtCore import Signal

from viewer.core.diagram.layout import Layout
from viewer.core.errors import ExportError
from viewer.core.file_export import stem_from
from viewer.gui.widgets.architecture.diagram import DiagramView
from viewer.gui.widgets.architecture.export import (
    DIAGRAM_FILTERS,
    DiagramExports,
    ask_export_path,
)
from viewer.gui.widgets.architecture.scene import SceneItems, draw_layout
from viewer.gui.widgets.common.export_message import ExportMessage
from viewer.gui.widgets.common.window_fit import fit_on_screen

__all__ = ["GroupsWindow"]


class GroupsWindow(DiagramExports, QtWidgets.QDialog):
    """Non-modal window (objectName ``architectureGroups``) drawing one aggregated-transformations layout.

    Signals:
        exported(str): a file of the drawing was written (its path).
    """

    exported = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("architectureGroups")
        self.setWindowTitle("Expanded groups")
        self.layout_shown: Layout | None = None
        self.title = QtWidgets.QLabel("")
        self.title.setObjectName("groupsTitle")
        self.note = QtWidgets.QLabel("")
        self.note.setObjectName("groupsNote")
        self.note.setWordWrap(True)
        self.diagram = DiagramView(self)
        self.items = SceneItems()
        fit = QtWidgets.QPushButton("Fit")
        fit.setObjectName("groupsFitButton")
        fit.clicked.connect(self.diagram.request_fit)
        export = QtWidgets.QPushButton("Export…")
        export.setObjectName("groupsExportButton")
        export.setToolTip("Save the pathways' drawing as SVG or PNG")
        export.clicked.connect(self._on_export_clicked)
        self.export_message = ExportMessage("groupsExportMessage")
        header = QtWidgets.QHBoxLayout()
        header.addWidget(self.title, 1)
        for button in (fit, export):
            button.setAutoDefault(False)  # in a dialog, Enter would press it (and open a save dialog)
            header.addWidget(button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.export_message)
        layout.addWidget(self.note)
        layout.addWidget(self.diagram, 1)
        fit_on_screen(self, (1100, 700))  # a 1366×768 screen has less room than that

    def show_layout(self, layout: Layout) -> None:
        """Draw ``layout``, fit it, and bring the window up."""
        view = layout.view
        self.layout_shown = layout
        self.title.setText(f"<b>{html.escape(view.model_name)}</b>")
        self.note.setText(html.escape(" ".join(view.notes)))
        self.export_message.say("")
        self.diagram.direction = layout.direction
        self.items = draw_layout(self.diagram.scene(), layout)
        self.show()
        self.raise_()
        self.diagram.request_fit()

    # --- export (DiagramExports) -----------------------------------------------------------------------
    def choose_export_path(self) -> str:
        """Ask where to save (QFileDialog confirms overwriting); '' when cancelled. Tests override this."""
        shown = self.layout_shown
        name = "groups" if shown is None else stem_from({"model": shown.view.model_name}, "groups")
        return ask_export_path(self, "Export the pathways", name + ".svg", DIAGRAM_FILTERS)

    def _drawn_layout(self) -> Layout:
        if self.layout_shown is None or not self.items.nodes:
            raise ExportError("There is no drawing to export yet: wait until it is drawn.")
        return self.layout_shown

    def _exported(self, path: str) -> None:
        self.exported.emit(path)
