"""Architecture tab: the network's data-flow graph as a diagram of boxes and as a table.

A pure view. ``set_graph`` (a core ``Graph``) fills the totals, notes, table and find bar; ``set_layout`` (a core
``Layout``, computed on the worker) draws the diagram. Opening or closing blocks does not lay anything out here:
the view asks for a new set of open blocks with ``expansionRequested`` (a new direction, top-down or left to
right, with ``directionChanged``) and draws the layout that comes back. The user's pick leaves as
``layerSelected`` (the app then shows that layer's activations).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Signal

from viewer.core.diagram.layout import Direction, Layout
from viewer.core.errors import ExportError, ModelError
from viewer.core.graph.dataflow import Graph, GraphView, expansion
from viewer.core.graph.keys import enclosing_blocks, grouped_block, key_of, layer_of
from viewer.gui.widgets.architecture.diagram import DiagramView
from viewer.gui.widgets.architecture.export import (
    DIAGRAM_FILTERS,
    PNG_SCALE,
    DiagramExports,
    Render,
    ask_export_path,
    graph_csv,
    unselected_render,
)
from viewer.gui.widgets.architecture.find import FindBar, button_row, direction_combo, wrapped_label
from viewer.gui.widgets.architecture.format import graph_notes_html, graph_totals_html
from viewer.gui.widgets.architecture.groups import GroupsWindow
from viewer.gui.widgets.architecture.lecture import LectureViews, block_notes
from viewer.gui.widgets.architecture.scene import SceneItems, drawing_steps
from viewer.gui.widgets.architecture.table import ArchitectureTable
from viewer.gui.widgets.common.export_message import ExportMessage
from viewer.gui.widgets.common.turns import DrawWhenShown, StepsInTurns

__all__ = ["PNG_SCALE", "ArchitectureView"]


class ArchitectureView(DiagramExports, QtWidgets.QWidget):
    """Diagram (objectName ``architectureView``), table (``architectureTable``) and totals of one network.

    Signals:
        layerSelected(str): the user picked a box, a row or a found name (a module path, a block, or a function
            node such as ``layer1.0.add``); not emitted by ``select_layer``.
        expansionRequested(object): the frozenset of blocks to show open; answer with ``set_layout``.
        directionChanged(str): the data should flow "TB" (down) or "LR" (right); answer with ``set_layout``. Also
            emitted by ``set_direction`` (the window restores the saved choice through it).
        exported(str): a diagram file was written (its path).
    """

    layerSelected = Signal(str)
    expansionRequested = Signal(object)
    directionChanged = Signal(str)
    groupsRequested = Signal(str)  # a block whose grouped convolution should be drawn as its pathways
    exported = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._graph: Graph | None = None
        self._layout: Layout | None = None
        self._items = SceneItems()
        self._drawing: StepsInTurns[SceneItems] = StepsInTurns(self)  # items are made a few boxes per turn
        # Hundreds of graphics items take tens of milliseconds of the GUI thread, and most layouts arrive while
        # another tab is shown: they are made when this one is, a turn after the tab switch has painted.
        self._when_shown = DrawWhenShown(self, self._draw)
        self._selected: str | None = None  # node id or block name
        self._focus: str | None = None  # key to bring into view once the next layout is drawn
        self._first_view = True  # the next drawing is the first of this graph
        self._pending_layer: str | None = None  # select_layer before the graph came
        self._searches: dict[str, str] = {}  # network -> the find box's text when it was last shown
        self._build()

    def _build(self) -> None:
        # Word-wrapped: a long variant line or note must not widen the window.
        self.totals, self.notes = wrapped_label("architectureTotals"), wrapped_label("architectureNotes")
        self.totals.setText("No network yet.")
        self.notes.setStyleSheet("color: #46505a")
        self.diagram = DiagramView(self)
        self.diagram.boxClicked.connect(self._on_box_clicked)
        self.diagram.boxActivated.connect(self._on_box_activated)
        self.diagram.frameActivated.connect(self.collapse)
        self.diagram.expandKey.connect(self._on_expand_key)
        self.diagram.collapseKey.connect(self._on_collapse_key)
        self.table = ArchitectureTable(self)
        self.table.rowSelected.connect(self._on_row_selected)
        self.find_bar = FindBar(self)
        self.find_bar.findRequested.connect(self.find_name)

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("architectureTabs")
        self.tabs.addTab(self.diagram, "Diagram")
        self.tabs.addTab(self.table, "Table")
        self.lecture = LectureViews(self.tabs)  # Table 1, naive Inception, the convolutionized toggle
        self.layerSelected.connect(self.lecture.inception.follow)

        buttons, self._buttons = button_row(
            self.find_bar,
            (
                ("Expand all", "expandAllButton", self.expand_all, "Open every block"),
                ("Collapse all", "collapseAllButton", self.collapse_all, "Back to the lecture's level of detail"),
                (
                    "Expand groups",
                    "expandGroupsButton",
                    self._on_groups_clicked,
                    "Draw the selected block's grouped convolution as its parallel pathways (ResNeXt)",
                ),
                ("Fit", "fitButton", self.diagram.request_fit, "Whole diagram in view (Ctrl+0); wheel or Ctrl+± zooms"),
                ("Export…", "exportArchitectureButton", self._on_export_clicked, "Save the diagram as SVG or PNG"),
            ),
        )
        self._buttons["expandGroupsButton"].setEnabled(False)
        self.direction_combo = direction_combo(self._on_direction_chosen)
        buttons.insertWidget(buttons.indexOf(self._buttons["fitButton"]), self.direction_combo)
        self.export_message = ExportMessage("architectureExportMessage")
        self.groups_window: GroupsWindow | None = None
        self.diagram.setToolTip("")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.totals)
        layout.addWidget(self.notes)
        layout.addLayout(buttons)
        layout.addWidget(self.export_message)
        layout.addWidget(self.lecture.message)
        layout.addWidget(self.tabs, 1)

    # ----------------------------------------------------------------------------------------- state
    @property
    def graph(self) -> Graph | None:
        return self._graph

    @property
    def direction(self) -> Direction:
        """Where the data flows in the diagram asked for: "TB" (down) or "LR" (to the right)."""
        return "LR" if self.direction_combo.currentData() == "LR" else "TB"

    @property
    def totals_text(self) -> str:
        return self.totals.text()

    @property
    def graph_view(self) -> GraphView | None:
        """The collapsed view drawn now (or about to be, when hidden)."""
        return None if self._layout is None else self._layout.view

    @property
    def expanded_blocks(self) -> frozenset[str]:
        """The open blocks of the drawn layout."""
        return frozenset() if self._layout is None else self._layout.view.expanded

    @property
    def scene_items(self) -> SceneItems:
        """The items on the scene by view id and frame name (drawn now if the tab is hidden)."""
        self._ensure_drawn()
        return self._items

    @property
    def visible_box_names(self) -> list[str]:
        """View ids drawn as boxes (calls, joins, collapsed blocks), in execution order."""
        return [] if self._layout is None else [node.id for node in self._layout.view.nodes]

    @property
    def selected_key(self) -> str | None:
        """The node id or block name selected."""
        return self._selected

    @property
    def selected_layer(self) -> str | None:
        """The layer name of the selection (what ``layerSelected`` carried)."""
        graph, key = self._graph, self._selected
        return None if key is None else key if graph is None else layer_of(graph, key)

    def box_center(self, view_id: str) -> QtCore.QPoint:
        """Viewport coordinates of a box's centre, scrolled into view (for clicks in tests)."""
        item = self.scene_items.nodes[view_id]
        target = item.sceneBoundingRect().center()
        self.diagram.centerOn(target)
        return self.diagram.mapFromScene(target)

    # ----------------------------------------------------------------------------------------- input
    def set_graph(self, graph: Graph | None) -> None:
        """Show a new network's totals, notes and table (None clears); the diagram waits for its layout.

        The find box belongs to the network it was typed on: a new network starts with its own last search, or
        an empty box, and no message.
        """
        if self._graph is not None:
            self._searches[self._graph.model_name] = self.find_bar.edit.text()
        self.find_bar.edit.setText(self._searches.get(graph.model_name, "") if graph is not None else "")
        self._graph, self._layout, self._selected, self._focus = graph, None, None, None
        self._first_view = True
        self._when_shown.cancel()
        self._drawing.cancel()
        self.diagram.viewport().setUpdatesEnabled(True)
        self.diagram.scene().clear()
        self._items = SceneItems()
        self.table.set_graph(graph)
        self.lecture.set_graph(graph)
        if graph is None:
            self.totals.setText("No network yet.")
            self.notes.setText("")
            self.find_bar.set_names([])
            return
        self.totals.setText(graph_totals_html(graph))
        self.notes.setText(graph_notes_html(graph))
        self.notes.setVisible(bool(graph.notes))
        self.find_bar.set_names([*(node.id for node in graph.nodes), *graph.blocks])
        if self._pending_layer is not None:
            self.select_layer(self._pending_layer)

    def set_layout(self, layout: Layout | None) -> None:
        """Draw ``layout`` (of the graph shown); drawn when the tab is next shown if it is hidden now."""
        self._layout = layout
        if layout is None:
            self._when_shown.cancel()
            self._drawing.cancel()
            self.diagram.viewport().setUpdatesEnabled(True)
            self.diagram.scene().clear()
            self._items = SceneItems()
            return
        self._when_shown.request()  # in steps; reading ``scene_items`` finishes it at once

    def set_direction(self, direction: Direction) -> None:
        """Choose the direction the data flows in (as the combo box does; emits ``directionChanged`` if it changes)."""
        self.direction_combo.setCurrentIndex(max(self.direction_combo.findData(direction), 0))

    # ----------------------------------------------------------------------------------------- actions
    def request_expanded(self, expanded: frozenset[str] | set[str], focus: str | None = None) -> None:
        """Ask for a layout with ``expanded`` open; ``focus`` (a key) is brought into view once drawn."""
        if self._graph is None:
            return
        self._focus = focus
        self.expansionRequested.emit(frozenset(expanded))

    def expand(self, block: str) -> None:
        """Open ``block``, the blocks around it, and the plain containers inside it (Inception's branches)."""
        if self._graph is None or block not in self._graph.blocks:
            return
        opened = expansion(self._graph, block) - self._graph.default_expanded
        inside = {name for name in self._graph.default_expanded if name.startswith(f"{block}.")}
        self.request_expanded(self.expanded_blocks | opened | inside, focus=block)

    def collapse(self, block: str) -> None:
        """Close ``block`` into one box (the blocks inside keep their state for when it opens again)."""
        if block in self.expanded_blocks:
            self.request_expanded(self.expanded_blocks - {block}, focus=block)

    def expand_all(self) -> None:
        if self._graph is not None:
            self.request_expanded(expansion(self._graph, "all"))

    def collapse_all(self) -> None:
        """Back to the lecture's default level (plain containers open, real blocks closed)."""
        if self._graph is not None:
            self.request_expanded(expansion(self._graph))

    def select_layer(self, name: str) -> None:
        """Select ``name`` (a node id, block or module path) and its row; emits nothing.

        The diagram is left as the user arranged it: the box showing the layer (or the closed block around it)
        is highlighted, nothing opens and nothing scrolls (the Activations tab's pick must not undo the view).
        """
        if self._graph is None:
            self._pending_layer = name
            return
        self._pending_layer = None
        key = key_of(self._graph, name)
        if key is not None:
            self._select(key, reveal=False)

    def find_name(self, text: str) -> bool:
        """Select and centre what ``text`` names (like a click on it); says why not in the find bar."""
        if self._graph is None:
            return False
        key = key_of(self._graph, text)
        if key is None:
            try:
                self._graph.node(text)
            except ModelError as error:  # its sentence names close matches
                self.find_bar.set_message(str(error))
            return False
        self.find_bar.set_message("")
        self._select(key, reveal=True, centre=True)
        self.layerSelected.emit(layer_of(self._graph, key))
        return True

    # ----------------------------------------------------------------------------------------- export
    # Each export_* raises ExportError (one sentence) when it cannot write; the Export… button says it on the tab.
    def _drawn_layout(self) -> Layout:
        """Draw the diagram now if it waits for the tab; refuse while there is none (no network, or its layout still
        being made): an empty scene would be an empty SVG, and a PNG of no pixels Qt cannot even paint."""
        self._ensure_drawn()
        if self._layout is None or not self._items.nodes:
            raise ExportError("There is no diagram to export yet: wait until it is drawn.")
        return self._layout

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the table (``graph_rows``: one row per call, blocks as rows), atomically; overwrites ``path``."""
        if self._graph is None:
            raise ExportError("There is no network to export yet.")
        return self._write(path, graph_csv(self._graph).encode("utf-8"))

    def choose_export_path(self) -> str:
        """Ask where to save (QFileDialog confirms overwriting); '' when cancelled. Tests override this."""
        name = (self._graph.model_name if self._graph is not None else "network").replace(":", "_") + ".svg"
        return ask_export_path(self, "Export architecture", name, DIAGRAM_FILTERS + ";;CSV table (*.csv)")

    def _export_render(self) -> Render:
        selected = self._items.nodes.get(self._selected_box() or "")
        return unselected_render(self.diagram.scene(), selected)

    def _export_writers(self) -> dict[str, Callable[[str], object]]:
        return {**super()._export_writers(), "csv": self.export_csv}

    def _exported(self, path: str) -> None:
        self.exported.emit(path)

    # ----------------------------------------------------------------------------------------- internals
    def _select(self, key: str, *, reveal: bool, centre: bool = False) -> None:
        self._selected = key
        self.table.select_key(key)
        around = () if self._graph is None else enclosing_blocks(self._graph, key)
        closed = [name for name in around if name not in self.expanded_blocks]
        if reveal and closed and self._layout is not None:
            self.request_expanded(self.expanded_blocks | set(closed), focus=key)
            return
        self._apply_selection()
        if reveal:
            self._bring_into_view(key, centre=centre)

    def _selected_box(self) -> str | None:
        """The box showing the selection: itself, or the collapsed block around it."""
        view = self.graph_view
        if self._selected is None or view is None:
            return None
        if any(node.id == self._selected for node in view.nodes):
            return self._selected
        return view.view_id_of(self._selected)

    def _apply_selection(self) -> None:
        self._buttons["expandGroupsButton"].setEnabled(self._grouped_block() is not None)
        chosen = self._selected_box()
        for view_id, item in self._items.nodes.items():
            item.set_selected_look(view_id == chosen)

    def _bring_into_view(self, key: str, *, centre: bool) -> None:
        if self._when_shown.pending() or not self._items.nodes:
            self._focus = key  # once drawn
            return
        item = self._items.frames.get(key) or self._items.nodes.get(key)
        if item is None and self._selected_box() is not None:
            item = self._items.nodes.get(self._selected_box() or "")
        if item is None:
            return
        self.diagram.reveal(item.sceneBoundingRect(), centre=centre)

    def _draw(self) -> None:
        layout, graph = self._layout, self._graph
        if layout is None or graph is None:
            return
        notes = block_notes(graph)  # with the lecture's formula for ResNet's blocks
        self._items = SceneItems()
        self.diagram.viewport().setUpdatesEnabled(False)  # painted once made: each turn would paint it all so far
        self._drawing.start(
            drawing_steps(self.diagram.scene(), layout, notes), lambda items: self._drawn(layout, items)
        )

    def _drawn(self, layout: Layout, items: SceneItems) -> None:
        self.diagram.viewport().setUpdatesEnabled(True)
        self.diagram.direction = layout.direction
        self._items = items
        self._apply_selection()
        focus, self._focus = self._focus, None
        if self._first_view:
            self._first_view = False
            self._show_first(layout)
        elif not self.diagram.refit_if_auto() and focus is not None:
            self._bring_into_view(focus, centre=True)

    def _show_first(self, layout: Layout) -> None:
        """A new network: the block opened beyond the lecture's level (``--expand``), else the top, readable."""
        default = self._graph.default_expanded if self._graph is not None else frozenset()
        opened = [frame.name for frame in layout.frames if frame.name not in default]
        deepest = max(opened, key=lambda name: name.count("."), default=None)
        self.diagram.show_readable(None if deepest is None else self._items.frames[deepest].sceneBoundingRect())

    def _ensure_drawn(self) -> None:
        self._when_shown.flush()
        self._drawing.finish()

    def _on_direction_chosen(self, direction: Direction) -> None:
        # The turned drawing has nothing where the old one was: fitted, it is fitted again; else the selection
        # is brought into view, or, with none, the drawing is shown as a new network's is.
        if self._layout is not None and not self.diagram.auto_fit:
            if self._selected is None:
                self._first_view = True
            else:
                self._focus = self._selected
        self.directionChanged.emit(direction)

    def _on_box_clicked(self, view_id: str) -> None:
        self._select(view_id, reveal=False)
        self.layerSelected.emit(view_id if self._graph is None else layer_of(self._graph, view_id))

    def _on_box_activated(self, view_id: str) -> None:
        if self._graph is not None and view_id in self._graph.blocks and view_id not in self.expanded_blocks:
            self.expand(view_id)

    def _on_expand_key(self) -> None:
        box = self._selected_box()
        if box is not None:
            self._on_box_activated(box)

    def _on_collapse_key(self) -> None:
        """ "−" closes the open block the selected box is drawn in."""
        view, box = self.graph_view, self._selected_box()
        if view is None or box is None:
            return
        parent = view.node(box).parent
        if parent:
            self.collapse(parent)

    def show_groups(self, layout: Layout) -> None:
        """Show an aggregated-transformations layout (from ``groupsRequested``) in its own window."""
        if self.groups_window is None:
            self.groups_window = GroupsWindow(self)
        self.groups_window.show_layout(layout)

    def _grouped_block(self) -> str | None:
        """The selected block (or the block around the selected call) that holds a grouped convolution."""
        graph, key = self._graph, self._selected
        return None if graph is None or key is None else grouped_block(graph, key)

    def _on_groups_clicked(self) -> None:
        block = self._grouped_block()
        if block is not None:
            self.groupsRequested.emit(block)

    def _on_row_selected(self, key: str, layer: str) -> None:
        self._selected = key
        self._apply_selection()
        self.layerSelected.emit(layer)
