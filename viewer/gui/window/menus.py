"""The main window's menus and toolbar actions: File, View, Model, Help (kept apart to keep the window small).

The menus reach the window only through ``MenuHost`` (what they need of it) and are handed the tab names,
so this module never imports ``main_window``: the window imports the menus, not the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from viewer.gui.jobs.engine_choice import engine_in_words, validate_address
from viewer.gui.runtime.settings import Settings
from viewer.gui.state import AppState
from viewer.gui.widgets.architecture.diagram import DiagramView
from viewer.gui.widgets.image_panel import ImagePanel
from viewer.gui.widgets.model.engine_dialog import EngineDialog
from viewer.gui.window.help_texts import LECTURE_HTML, SAMPLES, about_html, resource_path, shortcuts_html

__all__ = [
    "MenuHost",
    "Menus",
    "RecentMenu",
    "about_text",
    "build_menus",
    "export_all",
    "fit_focused",
    "samples_menu",
    "show_engine_dialog",
    "show_help",
]

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp *.ppm *.pgm *.pbm);;All files (*)"


class MenuHost(Protocol):
    """What the menus need of the main window (``MainWindow`` has all of it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def state(self) -> AppState: ...
    @property
    def image_panel(self) -> ImagePanel: ...
    @property
    def model_toolbar(self) -> QtWidgets.QToolBar: ...
    def window(self) -> QtWidgets.QWidget: ...  # the parent of the menus' dialogs
    def open_paths(self, paths: list[str]) -> None: ...
    def open_sample(self, path: str, model: str | None = None) -> None: ...
    def paste(self) -> None: ...
    def set_tab(self, name: str) -> None: ...


class RecentMenu(QtWidgets.QMenu):
    """File ▸ Recent files, read from the settings each time it changes."""

    def __init__(self, host: MenuHost) -> None:
        super().__init__("Recent files", host.window())
        self.setObjectName("recentMenu")
        self._host = host
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        recent = self._host.settings.recent_files()
        for path in recent:
            action = self.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self._host.open_paths([p]))
        if recent:
            self.addSeparator()
            self.addAction("Clear list", self._clear)
        self.setEnabled(bool(recent))

    def _clear(self) -> None:
        self._host.settings.clear_recent_files()
        self.refresh()


@dataclass
class Menus:
    """The actions and menus the window keeps, and the help window once shown (reused)."""

    open_action: QAction
    paste_action: QAction
    export_action: QAction
    recent_menu: RecentMenu
    model_menu: QtWidgets.QMenu  # filled by viewer.gui.window.recipe_links (weights file, weights recipe)
    file_menu: QtWidgets.QMenu | None = None  # the live links add Open video… and Camera… to it
    help_dialog: QtWidgets.QDialog | None = None


def _action(
    window: QtWidgets.QWidget,
    text: str,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    name: str = "",
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if name:
        action.setObjectName(name)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def build_menus(window: QtWidgets.QMainWindow, host: MenuHost, tabs: Sequence[str]) -> Menus:
    """File, View, Model and Help on ``window``'s menu bar, and the File toolbar above ``host.model_toolbar``."""
    menu_bar = window.menuBar()
    file_menu = menu_bar.addMenu("&File")
    view_menu = menu_bar.addMenu("&View")
    menus = Menus(
        open_action=_action(window, "&Open…", lambda: open_dialog(host), QKeySequence.StandardKey.Open, "openAction"),
        paste_action=_action(window, "&Paste image or path", host.paste, QKeySequence.StandardKey.Paste, "pasteAction"),
        export_action=_action(window, "&Export all…", lambda: export_all(host), "Ctrl+E", "exportAllAction"),
        recent_menu=RecentMenu(host),
        model_menu=menu_bar.addMenu("&Model"),
    )
    menus.file_menu = file_menu
    quit_action = _action(window, "&Quit", window.close, QKeySequence.StandardKey.Quit, "quitAction")
    for item in (menus.open_action, menus.paste_action):
        file_menu.addAction(item)
    file_menu.addMenu(menus.recent_menu)
    file_menu.addMenu(samples_menu(host))
    file_menu.addSeparator()
    file_menu.addAction(menus.export_action)
    file_menu.addSeparator()
    file_menu.addAction(_action(window, "E&ngine…", lambda: show_engine_dialog(host), name="engineAction"))
    file_menu.addSeparator()
    file_menu.addAction(quit_action)

    for number, tab in enumerate(tabs, 1):
        view_menu.addAction(_action(window, tab.capitalize(), _tab_switcher(host, tab), f"Ctrl+{number}"))
    view_menu.addSeparator()
    # PgUp/PgDn step images from anywhere in the window (a window-wide shortcut is matched before the focused
    # widget sees the key, so the top-k spin box or a tree never pages instead); the arrow keys still page
    # lists and step spin boxes.
    for text, step, key, name in (
        ("Previous image", -1, "PgUp", "previousImageAction"),
        ("Next image", 1, "PgDown", "nextImageAction"),
    ):
        action = _action(window, text, _image_stepper(host, step), key, name)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(action)
        view_menu.addAction(action)
    view_menu.addAction(_action(window, "Fit", lambda: fit_focused(window, host.image_panel), "Ctrl+0", "fitAction"))
    view_menu.addAction(_action(window, "Cancel running job", lambda: host.state.cancel(), "Esc"))

    help_menu = menu_bar.addMenu("&Help")
    help_menu.addAction(
        _action(
            window,
            "&Keyboard shortcuts",
            lambda: show_help(window, menus, "Keyboard shortcuts", shortcuts_html()),
            QKeySequence.StandardKey.HelpContents,
            "shortcutsAction",
        )
    )
    help_menu.addAction(
        _action(
            window,
            "The &lecture in this app",
            lambda: show_help(window, menus, "The lecture in this app", LECTURE_HTML),
            name="lectureAction",
        )
    )
    help_menu.addSeparator()
    help_menu.addAction(_action(window, "&About", lambda: show_about(host), name="aboutAction"))

    toolbar = QtWidgets.QToolBar("File")
    toolbar.setObjectName("fileToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    style = window.style()
    menus.open_action.setIcon(style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_DialogOpenButton))
    menus.paste_action.setIcon(QtGui.QIcon.fromTheme("edit-paste"))
    toolbar.addAction(menus.open_action)
    toolbar.addAction(menus.paste_action)
    toolbar.addAction(menus.export_action)
    window.addToolBar(toolbar)
    window.addToolBarBreak()
    window.addToolBar(host.model_toolbar)
    return menus


def samples_menu(host: MenuHost) -> QtWidgets.QMenu:
    """File ▸ Samples: the welcome screen's samples, still one click away once an image is open (the welcome
    is gone then). Each opens as its welcome button does (the digit brings LeNet-5)."""
    menu = QtWidgets.QMenu("&Samples", host.window())
    menu.setObjectName("samplesMenu")
    for sample in SAMPLES:
        path = str(resource_path(sample.filename))
        action = menu.addAction(sample.caption)
        action.setObjectName(f"sample_{Path(sample.filename).stem}Action")
        action.setToolTip(path)
        action.triggered.connect(lambda _checked=False, p=path, m=sample.model: host.open_sample(p, m))
    return menu


def _tab_switcher(host: MenuHost, tab: str) -> Callable[[], None]:
    return lambda: host.set_tab(tab)


def _image_stepper(host: MenuHost, step: int) -> Callable[[], None]:
    return lambda: host.state.images.step(step)


def fit_focused(window: QtWidgets.QWidget, image_panel: ImagePanel) -> None:
    """View › Fit: the architecture diagram when it has the keyboard focus, else the image."""
    diagram = window.findChild(DiagramView, "architectureView")
    focus = QtWidgets.QApplication.focusWidget()
    if diagram is not None and focus is not None and (focus is diagram or diagram.isAncestorOf(focus)):
        diagram.request_fit()
    else:
        image_panel.fit()


def open_dialog(host: MenuHost) -> None:
    paths, _ = QtWidgets.QFileDialog.getOpenFileNames(
        host.window(), "Open images", host.settings.last_folder(), IMAGE_FILTER
    )
    host.open_paths(paths)


def about_text(host: MenuHost) -> str:
    """Versions (torch, torchvision, PySide6 and Qt), the devices, and the weights cache folder."""
    registry = host.state.model.registry
    versions = dict(registry.versions) if registry is not None else {"torch": "loading…"}
    versions["Qt"] = QtCore.qVersion()
    if registry is not None:
        versions["devices"] = ", ".join(registry.devices)  # the engine's machine's (a server's, for a remote one)
    versions["engine"] = engine_in_words(host.state.jobs)
    return about_html(
        versions,
        registry.auto_device if registry is not None else None,
        registry.weights_dir if registry is not None else None,
    )


def show_help(window: QtWidgets.QWidget, menus: Menus, title: str, text: str) -> QtWidgets.QDialog:
    """A non-modal window of help text (``menus.help_dialog``; one at a time, reused)."""
    dialog = menus.help_dialog
    if dialog is None:
        dialog = QtWidgets.QDialog(window)
        dialog.setObjectName("helpDialog")
        text_view = QtWidgets.QTextBrowser(dialog)
        text_view.setObjectName("helpText")
        text_view.setOpenExternalLinks(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout = QtWidgets.QVBoxLayout(dialog)
        layout.addWidget(text_view)
        layout.addWidget(buttons)
        dialog.resize(640, 520)
        menus.help_dialog = dialog
    dialog.setWindowTitle(title)
    browser = dialog.findChild(QtWidgets.QTextBrowser, "helpText")
    assert browser is not None  # made with the dialog above
    browser.setHtml(text)
    dialog.show()
    dialog.raise_()
    return dialog


def show_engine_dialog(host: MenuHost) -> EngineDialog:
    """File › Engine…: where jobs run now, and where they run from the next start (stored in the settings)."""
    where, token_file = host.settings.engine()
    dialog = EngineDialog(
        engine_in_words(host.state.jobs), where, token_file or "", validate_address, parent=host.window()
    )

    def chosen(engine: str, token: str) -> None:
        host.settings.set_engine(engine, token or None)
        host.settings.sync()
        window = host.window()
        if isinstance(window, QtWidgets.QMainWindow):
            window.statusBar().showMessage(f"Engine: {engine}, from the next start of the app.", 10_000)

    dialog.engineChosen.connect(chosen)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.open()
    return dialog


def show_about(host: MenuHost) -> None:
    QtWidgets.QMessageBox.about(host.window(), "About ConvNet Viewer", about_text(host))


def export_all(
    host: MenuHost, folder: str | None = None, *, heatmaps: bool | None = None, overwrite: bool | None = None
) -> None:
    """File ▸ Export all: top-k of every image in one CSV (+ heatmap files), asking what is not given."""
    if folder is None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(
            host.window(), "Export all into folder", host.settings.last_folder()
        )
        if not folder:
            return
    if heatmaps is None:
        answer = QtWidgets.QMessageBox.question(
            host.window(),
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
            host.window(), "Export all", f"{existing} and other files may exist already. Overwrite them?"
        )
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            return
        force = True
    host.state.exports.all(folder, heatmaps=heatmaps, force=force)
