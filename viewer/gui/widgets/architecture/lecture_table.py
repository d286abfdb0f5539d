"""ResNet's Table 1 (He et al. 2015) as the Architecture tab shows it: read from the five networks on the worker.

A pure view of the engine's ``ResNetTable`` (through the protocols below: widgets never import the engine). It
asks for the table when it is first shown without one (``tableRequested``), since building five ResNets' graphs
twice (v1 and v1.5) takes seconds that nobody should wait for who does not look at it. The chosen network's
column is highlighted; the FLOPs of He et al.'s stride placement (v1), torchvision's (v1.5) and the paper's
printed row are three rows, one under the other.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Protocol

from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from viewer.gui.widgets.common.turns import DrawWhenShown

__all__ = ["HIGHLIGHT", "LectureTableView", "ResNetTableShown", "TableCellShown", "TableRowShown"]

HIGHLIGHT = "#fff1b8"  # the chosen network's column


class TableCellShown(Protocol):
    """One cell: plain text, or a residual block's convolutions (``lines``) stacked ``repeat`` times."""

    @property
    def lines(self) -> tuple[str, ...]: ...

    @property
    def repeat(self) -> int: ...


class TableRowShown(Protocol):
    @property
    def layer(self) -> str: ...

    @property
    def output(self) -> str: ...

    @property
    def cells(self) -> Sequence[TableCellShown]: ...

    @property
    def spans(self) -> bool: ...


class ResNetTableShown(Protocol):
    """What the view reads of the engine's ``ResNetTable``."""

    @property
    def title(self) -> str: ...

    @property
    def columns(self) -> tuple[str, ...]: ...

    @property
    def models(self) -> tuple[str, ...]: ...

    @property
    def rows(self) -> Sequence[TableRowShown]: ...

    @property
    def chosen(self) -> int | None: ...

    @property
    def notes(self) -> tuple[str, ...]: ...


def cell_text(cell: TableCellShown) -> str:
    """A block's convolutions one per line, ``×N`` beside the middle one (the paper's layout); else the text."""
    if not cell.repeat:
        return "; ".join(cell.lines)
    middle = len(cell.lines) // 2
    return "\n".join(f"{line}   ×{cell.repeat}" if index == middle else line for index, line in enumerate(cell.lines))


class LectureTableView(QtWidgets.QWidget):
    """Title, table (objectName ``lectureTable``) and notes of Table 1.

    Signals:
        tableRequested(): shown without a table; answer with ``set_table``.
    """

    tableRequested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lectureTableView")
        self._table: ResNetTableShown | None = None
        self._asked = False  # a request is out: not again until an answer (or a new network) comes
        self.title = QtWidgets.QLabel("")
        self.title.setObjectName("lectureTableTitle")
        self.title.setWordWrap(True)
        self.grid = QtWidgets.QTableWidget(self)
        self.grid.setObjectName("lectureTable")
        self.grid.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.verticalHeader().setVisible(False)
        self.grid.setWordWrap(False)
        self.notes = QtWidgets.QLabel("")
        self.notes.setObjectName("lectureTableNotes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #46505a")
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.notes)
        self._say_waiting()
        self._when_shown = DrawWhenShown(self, self._request, when_shown="now")
        self._when_shown.request()  # the first table is asked for when the view is first shown

    @property
    def table(self) -> ResNetTableShown | None:
        return self._table

    def highlighted_column(self) -> int | None:
        """The table column (0 = the first network) drawn highlighted, None when none is."""
        return None if self._table is None else self._table.chosen

    def cell(self, row: int, column: int) -> str:
        """The text shown in a network's ``column`` (0 = the first network) of ``row``; a span's text in any."""
        item = self.grid.item(row, 2 + column) or self.grid.item(row, 2)
        return "" if item is None else item.text()

    def set_table(self, table: ResNetTableShown | None) -> None:
        """Show ``table``; None (another network was chosen) asks again if the view is on screen."""
        self._table, self._asked = table, False
        if table is None:
            self.grid.clear()
            self.grid.setRowCount(0)
            self._say_waiting()
            self._when_shown.request()  # asked for now if on screen, else when next shown
            return
        self._when_shown.cancel()
        self._fill(table)

    def _request(self) -> None:
        if not self._asked:
            self._asked = True
            self.tableRequested.emit()

    def _say_waiting(self) -> None:
        self.title.setText("ResNet's Table 1 (He et al. 2015): reading it off the five ResNets…")
        self.notes.setText("")

    def _fill(self, table: ResNetTableShown) -> None:
        grid = self.grid
        grid.clear()
        grid.clearSpans()
        count = len(table.columns)
        grid.setColumnCount(2 + count)
        grid.setRowCount(len(table.rows))
        headers = ["layer name", "output size"]
        headers += [f"{name}\n{model}" for name, model in zip(table.columns, table.models, strict=True)]
        grid.setHorizontalHeaderLabels(headers)
        bold = QtGui.QFont(grid.font())
        bold.setBold(True)
        if table.chosen is not None:
            header = grid.horizontalHeaderItem(2 + table.chosen)
            if header is not None:  # set by setHorizontalHeaderLabels just above
                header.setFont(bold)
                header.setBackground(QtGui.QColor(HIGHLIGHT))
        for index, row in enumerate(table.rows):
            grid.setItem(index, 0, _item(row.layer, bold=True, font=bold))
            grid.setItem(index, 1, _item(row.output))
            cells = row.cells[:1] if row.spans else row.cells
            for column, cell in enumerate(cells):
                item = _item(cell_text(cell))
                if column == table.chosen and not row.spans:
                    item.setBackground(QtGui.QColor(HIGHLIGHT))
                    item.setFont(bold)
                grid.setItem(index, 2 + column, item)
            if row.spans:
                grid.setSpan(index, 2, 1, count)
        grid.resizeColumnsToContents()
        grid.resizeRowsToContents()
        chosen = "" if table.chosen is None else " — the chosen network's column is highlighted"
        self.title.setText(f"<b>{html.escape(table.title)}</b>{chosen}")
        self.notes.setText("<br>".join(html.escape(note) for note in table.notes))


def _item(text: str, *, bold: bool = False, font: QtGui.QFont | None = None) -> QtWidgets.QTableWidgetItem:
    item = QtWidgets.QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    if bold and font is not None:
        item.setFont(font)
    return item
