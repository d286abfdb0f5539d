"""A window with ResNeXt's aggregated-transformations picture of one block (its grouped convolution's pathways).

The layout comes from the worker (``core.graph_groups.expand_groups`` + the engine's layout); this window only
paints it with the Architecture tab's own scene items, beside its title and the note on the equivalence.
"""

from __future__ import annotations

import html

from PySide6 import QtWidgets

from viewer.core.layout import Layout
from viewer.gui.widgets.architecture_diagram import DiagramView
from viewer.gui.widgets.architecture_scene import SceneItems, draw_layout

__all__ = ["GroupsWindow"]


class GroupsWindow(QtWidgets.QDialog):
    """Non-modal window (objectName ``architectureGroups``) drawing one aggregated-transformations layout."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("architectureGroups")
        self.setWindowTitle("Expanded groups")
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
        header = QtWidgets.QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(fit)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.note)
        layout.addWidget(self.diagram, 1)
        self.resize(1100, 700)

    def show_layout(self, layout: Layout) -> None:
        """Draw ``layout``, fit it, and bring the window up."""
        view = layout.view
        self.title.setText(f"<b>{html.escape(view.model_name)}</b>")
        self.note.setText(html.escape(" ".join(view.notes)))
        self.items = draw_layout(self.diagram.scene(), layout)
        self.show()
        self.raise_()
        self.diagram.request_fit()
