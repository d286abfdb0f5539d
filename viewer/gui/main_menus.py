"""The main window's menus and toolbar actions: File, View, Help (kept apart to keep the window small)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from viewer.gui.help_texts import LECTURE_HTML, about_html, shortcuts_html

if TYPE_CHECKING:
    from viewer.gui.main_window import MainWindow

__all__ = ["RecentMenu", "about_text", "build_menus", "export_all", "fit_focused", "show_help"]

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp *.ppm *.pgm *.pbm);;All files (*)"


class RecentMenu(QtWidgets.QMenu):
    """File ▸ Recent files, read from the settings each time it changes."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__("Recent files", window)
        self.setObjectName("recentMenu")
        self._window = window
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        recent = self._window.settings.recent_files()
        for path in recent:
            action = self.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self._window.open_paths([p]))
        if recent:
            self.addSeparator()
            self.addAction("Clear list", self._clear)
        self.setEnabled(bool(recent))

    def _clear(self) -> None:
        self._window.settings.clear_recent_files()
        self.refresh()


def _action(window: MainWindow, text: str, slot, shortcut: QKeySequence | str | None = None, name: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if name:
        action.setObjectName(name)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def build_menus(window: MainWindow) -> None:
    menu_bar = window.menuBar()
    file_menu = menu_bar.addMenu("&File")
    window.open_action = _action(
        window, "&Open…", lambda: open_dialog(window), QKeySequence.StandardKey.Open, "openAction"
    )
    window.paste_action = _action(
        window, "&Paste image or path", window.paste, QKeySequence.StandardKey.Paste, "pasteAction"
    )
    window.export_action = _action(window, "&Export all…", lambda: export_all(window), "Ctrl+E", "exportAllAction")
    quit_action = _action(window, "&Quit", window.close, QKeySequence.StandardKey.Quit, "quitAction")
    window.recent_menu = RecentMenu(window)
    for item in (window.open_action, window.paste_action):
        file_menu.addAction(item)
    file_menu.addMenu(window.recent_menu)
    file_menu.addSeparator()
    file_menu.addAction(window.export_action)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)

    view_menu = menu_bar.addMenu("&View")
    from viewer.gui.main_window import TABS

    for number, tab in enumerate(TABS, 1):
        view_menu.addAction(_action(window, tab.capitalize(), lambda t=tab: window.set_tab(t), f"Ctrl+{number}"))
    view_menu.addSeparator()
    # PgUp/PgDn step images from anywhere in the window (a window-wide shortcut is matched before the focused
    # widget sees the key, so the top-k spin box or a tree never pages instead); the arrow keys still page
    # lists and step spin boxes.
    for text, step, key, name in (
        ("Previous image", -1, "PgUp", "previousImageAction"),
        ("Next image", 1, "PgDown", "nextImageAction"),
    ):
        action = _action(window, text, lambda step=step: window.state.step_image(step), key, name)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(action)
        view_menu.addAction(action)
    view_menu.addAction(_action(window, "Fit", lambda: fit_focused(window), "Ctrl+0", "fitAction"))
    view_menu.addAction(_action(window, "Cancel running job", lambda: window.state.cancel(), "Esc"))

    help_menu = menu_bar.addMenu("&Help")
    help_menu.addAction(
        _action(
            window,
            "&Keyboard shortcuts",
            lambda: show_help(window, "Keyboard shortcuts", shortcuts_html()),
            QKeySequence.StandardKey.HelpContents,
            "shortcutsAction",
        )
    )
    help_menu.addAction(
        _action(
            window,
            "The &lecture in this app",
            lambda: show_help(window, "The lecture in this app", LECTURE_HTML),
            name="lectureAction",
        )
    )
    help_menu.addSeparator()
    help_menu.addAction(_action(window, "&About", lambda: show_about(window), name="aboutAction"))

    toolbar = QtWidgets.QToolBar("File", objectName="fileToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    style = window.style()
    window.open_action.setIcon(style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_DialogOpenButton))
    window.paste_action.setIcon(QtGui.QIcon.fromTheme("edit-paste"))
    toolbar.addAction(window.open_action)
    toolbar.addAction(window.paste_action)
    toolbar.addAction(window.export_action)
    window.addToolBar(toolbar)
    window.addToolBarBreak()
    window.addToolBar(window.model_toolbar)


def fit_focused(window: MainWindow) -> None:
    """View › Fit: the architecture diagram when it has the keyboard focus, else the image."""
    diagram = window.findChild(QtWidgets.QGraphicsView, "architectureView")
    focus = QtWidgets.QApplication.focusWidget()
    if diagram is not None and focus is not None and (focus is diagram or diagram.isAncestorOf(focus)):
        diagram.request_fit()
    else:
        window.image_panel.fit()


def open_dialog(window: MainWindow) -> None:
    paths, _ = QtWidgets.QFileDialog.getOpenFileNames(
        window, "Open images", window.settings.last_folder(), IMAGE_FILTER
    )
    window.open_paths(paths)


def about_text(window: MainWindow) -> str:
    """Versions (torch, torchvision, PySide6 and Qt), the devices, and the weights cache folder."""
    from PySide6 import QtCore

    registry = window.state.registry
    versions = dict(registry.versions) if registry is not None else {"torch": "loading…"}
    versions["Qt"] = QtCore.qVersion()
    if registry is not None:
        versions["devices"] = ", ".join(registry.devices)
    return about_html(
        versions,
        registry.auto_device if registry is not None else None,
        registry.weights_dir if registry is not None else None,
    )


def show_help(window: MainWindow, title: str, text: str) -> QtWidgets.QDialog:
    """A non-modal window of help text (``window.help_dialog``; one at a time, reused)."""
    dialog = getattr(window, "help_dialog", None)
    if dialog is None:
        dialog = QtWidgets.QDialog(window, objectName="helpDialog")
        browser = QtWidgets.QTextBrowser(dialog, objectName="helpText")
        browser.setOpenExternalLinks(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout = QtWidgets.QVBoxLayout(dialog)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        dialog.resize(640, 520)
        window.help_dialog = dialog
    dialog.setWindowTitle(title)
    dialog.findChild(QtWidgets.QTextBrowser, "helpText").setHtml(text)
    dialog.show()
    dialog.raise_()
    return dialog


def show_about(window: MainWindow) -> None:
    QtWidgets.QMessageBox.about(window, "About ConvNet Viewer", about_text(window))


def export_all(
    window: MainWindow, folder: str | None = None, *, heatmaps: bool | None = None, overwrite: bool | None = None
) -> None:
    """File ▸ Export all: top-k of every image in one CSV (+ heatmap files), asking what is not given."""
    if folder is None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(
            window, "Export all into folder", window.settings.last_folder()
        )
        if not folder:
            return
    if heatmaps is None:
        answer = QtWidgets.QMessageBox.question(
            window,
            "Export all",
            "Also compute and export each image's class heatmap (slower)?",
            QtWidgets.QMessageBox.StandardButton.Yes
            | QtWidgets.QMessageBox.StandardButton.No
            | QtWidgets.QMessageBox.StandardButton.Cancel,
        )
        if answer == QtWidgets.QMessageBox.StandardButton.Cancel:
            return
        heatmaps = answer == QtWidgets.QMessageBox.StandardButton.Yes
    existing = Path(folder) / "topk.csv"
    force = bool(overwrite)
    if existing.exists() and overwrite is None:
        answer = QtWidgets.QMessageBox.question(
            window, "Export all", f"{existing} and other files may exist already. Overwrite them?"
        )
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            return
        force = True
    window.state.export_all(folder, heatmaps=heatmaps, force=force)
