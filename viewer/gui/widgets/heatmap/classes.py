"""The heatmap's class picker: this image's top-k first, then every class, searchable by typing.

Typing searches with :func:`viewer.core.class_search.search_classes`: short names, ImageNet's WordNet synonyms
and groups, so "dog" lists the 118 dog breeds and "tabby" finds "tabby cat". The popup lists the matches best
first; a plain substring filter found nothing for "dog" (the breeds are named "beagle", "German shepherd"...).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt

from viewer.core.class_search import search_classes

__all__ = ["ClassPicker"]

MAX_LISTED = 300  # matches shown in the popup (more is a list nobody reads; every class is in the combo anyway)


class ClassPicker(QtWidgets.QComboBox):
    """Editable combo box (objectName ``heatmapClassPicker``) whose completer matches anywhere in a name."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heatmapClassPicker")
        self.setEditable(True)
        self.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(22)
        self.setMaxVisibleItems(20)
        edit = self.lineEdit()
        assert edit is not None  # made by setEditable above
        edit.setPlaceholderText("type to search the classes")
        # The completer lists what the core search found (already filtered and ordered): unfiltered by Qt.
        self._matches = QtCore.QStringListModel(self)
        completer = QtWidgets.QCompleter(self._matches, self)
        completer.setCompletionMode(QtWidgets.QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setMaxVisibleItems(20)
        self.setCompleter(completer)
        self._categories: list[str] = []
        self._top: list[int] = []
        edit.textEdited.connect(self._search)

    @property
    def listed_classes(self) -> list[int]:
        """Class indices in list order (top-k first, then all), separators left out."""
        return [self.itemData(row) for row in range(self.count()) if self.itemData(row) is not None]

    def set_classes(self, categories: Sequence[str], top_indices: Sequence[int]) -> None:
        """Fill the list; the image's best class becomes the current one."""
        categories = list(categories)
        top = [int(i) for i in top_indices if 0 <= int(i) < len(categories)]
        head = len(self._top) + (1 if self._top else 0)  # the top-k entries and their separator
        self.blockSignals(True)
        try:
            if categories == self._categories and self.count() == head + len(categories):
                # Same model, new image: only the top-k head changes. Refilling all 1000 ImageNet entries
                # costs the GUI thread ~10 ms each time a prediction lands.
                for _ in range(head):
                    self.removeItem(0)
                for rank, index in enumerate(top):
                    self.insertItem(rank, f"{rank + 1}. {categories[index]}  (#{index})", index)
                if top:
                    self.insertSeparator(len(top))
            else:
                self.clear()
                for rank, index in enumerate(top, start=1):
                    self.addItem(f"{rank}. {categories[index]}  (#{index})", index)
                if top:
                    self.insertSeparator(self.count())
                for index, name in enumerate(categories):
                    self.addItem(f"{name}  (#{index})", index)  # the same text as ``_entry``
            self._categories, self._top = categories, top
            self.setCurrentIndex(0 if self.count() else -1)
        finally:
            self.blockSignals(False)

    def matches(self, text: str) -> list[int]:
        """The classes ``text`` may mean, best first (the core search over names and synonyms)."""
        return search_classes(self._categories, text) if text.strip() else []

    def _search(self, text: str) -> None:
        found = self.matches(text)[:MAX_LISTED]
        self._matches.setStringList([self._entry(index) for index in found])
        completer = self.completer()
        if found and completer is not None:
            completer.complete()

    def _entry(self, index: int) -> str:
        return f"{self._categories[index]}  (#{index})"

    def select_class(self, index: int) -> None:
        """Make class ``index`` current (its top-k entry when it has one)."""
        row = self.findData(int(index))
        if row >= 0:
            self.setCurrentIndex(row)

    def class_index(self) -> int | None:
        """The class the text names: a listed entry, a class index, or a (unique) name, any case."""
        text = self.currentText().strip()
        row = self.currentIndex()
        if row >= 0 and self.itemText(row) == self.currentText():
            return self.itemData(row)
        row = self.findText(text, Qt.MatchFlag.MatchFixedString)
        if row >= 0 and self.itemData(row) is not None:
            return self.itemData(row)
        if text.lstrip("#").isdigit():
            number = int(text.lstrip("#"))
            return number if number < len(self._categories) else None
        lowered = [name.lower() for name in self._categories]
        if text.lower() in lowered:
            return lowered.index(text.lower())
        matches = self.matches(text)
        return matches[0] if len(matches) == 1 else None
