"""Wiring of a weights file's recipe into the main window: the Recipe button by the model bar, Model › Weights
recipe…, and the recipe dialog, bound to ``state.recipes`` (:mod:`viewer.gui.state.recipe`).

The button says the recipe of the weights file in use ("Recipe: IMAGENET1K_V1", "(assumed)" when nothing said
it) and is there only while the weights are a file; it and the menu action open the dialog, non-modal, as does the
recipe notice's "Other values…". The window's settings remember the answers. It reaches the window through
``RecipeWindow`` (what it needs of it) rather than importing ``MainWindow``, which imports this module.
"""

from __future__ import annotations

from typing import Protocol

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from viewer.gui.runtime.settings import Settings
from viewer.gui.state import AppState
from viewer.gui.widgets.model.bar import ModelBar
from viewer.gui.widgets.model.recipe_dialog import RecipeDialog
from viewer.gui.window.menus import Menus

__all__ = ["RecipeLinks", "RecipeWindow"]


class RecipeWindow(Protocol):
    """What the recipe's wiring needs of the main window (``MainWindow`` has all of it)."""

    @property
    def state(self) -> AppState: ...
    @property
    def settings(self) -> Settings: ...  # where answers are remembered (a RecipeStore)
    @property
    def model_toolbar(self) -> QtWidgets.QToolBar: ...  # the button goes there, beside the model bar
    @property
    def model_bar(self) -> ModelBar: ...
    @property
    def menus(self) -> Menus: ...
    def window(self) -> QtWidgets.QWidget: ...  # the parent of the dialog


class RecipeLinks(QtCore.QObject):
    """The Recipe button, the Model menu's actions and the recipe dialog of ``host.state.recipes``."""

    def __init__(self, host: RecipeWindow) -> None:
        window = host.window()
        super().__init__(window)
        self.window, self.app = window, host.state
        self.app.recipes.use_store(host.settings)
        self.button = QtWidgets.QToolButton()
        self.button.setObjectName("recipeButton")
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button_action = host.model_toolbar.addWidget(self.button)  # by the model bar
        self.file_action = QAction("Choose a &weights file…", window)
        self.file_action.setObjectName("weightsFileAction")
        self.recipe_action = QAction("Weights &recipe…", window)
        self.recipe_action.setObjectName("weightsRecipeAction")
        self.recipe_action.setStatusTip("The preprocessing the weights file was trained with")
        host.menus.model_menu.addAction(self.file_action)
        host.menus.model_menu.addAction(self.recipe_action)
        self.dialog: RecipeDialog | None = None  # made when first opened, then reused

        choose_file = host.model_bar.choose_weights_file
        self.file_action.triggered.connect(lambda _checked=False: choose_file())
        self.recipe_action.triggered.connect(lambda _checked=False: self.open_dialog())
        self.button.clicked.connect(lambda _checked=False: self.open_dialog())
        self.app.recipes.dialog_requested.connect(self.open_dialog)
        self.app.recipes.changed.connect(self.refresh)
        self.app.model.info_changed.connect(lambda _info: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Show the recipe of the weights file in use, or nothing when the weights are no file (or loading)."""
        shown = self.app.recipes.shown()
        self.button_action.setVisible(shown is not None)
        self.recipe_action.setEnabled(shown is not None)
        if shown is None:
            if self.dialog is not None:
                self.dialog.close()  # it was about weights no longer in use
            return
        self.button.setText(shown.button)
        self.button.setToolTip(f"{shown.details}\nClick to change it.")

    def open_dialog(self) -> RecipeDialog | None:
        """The recipe dialog for the weights file in use, shown (non-modal); None when the weights are no file."""
        offer = self.app.recipes.offered()
        if offer is None:
            return None
        if self.dialog is None:
            self.dialog = RecipeDialog(self.window)
            self.dialog.recipeChosen.connect(self.app.recipes.choose)
        self.dialog.set_offer(offer.file_name, offer.choices, offer.own, offer.in_use, offer.current)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog
