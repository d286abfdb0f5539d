"""The main window: composition only. Menus, model bar, thumbnails, image panel, tabs, banner, status.

Every widget is wired to the :class:`AppState` (requests go in, results come out as signals); no widget
reads another one. The analysis tabs' wiring lives in :mod:`viewer.gui.window.analysis_links`. Files and folders
can be dropped anywhere on the window.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

from viewer.core.defaults import DEFAULT_MODEL
from viewer.core.images.paths import is_video_path
from viewer.core.network.choice import ModelChoice
from viewer.core.trust import ModelFileTrust
from viewer.gui.runtime.application import LAUNCHED_AT
from viewer.gui.runtime.settings import Settings
from viewer.gui.widgets.common.job_status import JobStatusBar
from viewer.gui.widgets.common.window_fit import PREFERRED_SIZE, fit_on_screen
from viewer.gui.window.drops import DropRouter
from viewer.gui.window.mime_paths import carries_files, local_paths, pasted_paths, real_path, save_pasted_image
from viewer.gui.window.saved_choice import restored_choice, save_choice
from viewer.gui.window.status_text import status_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from viewer.core.results.session import ImageEntry, ModelInfo
    from viewer.gui.state import AppState
    from viewer.gui.widgets.activations.view import ActivationsView
    from viewer.gui.widgets.architecture.view import ArchitectureView
    from viewer.gui.widgets.heatmap.view import HeatmapView
    from viewer.gui.widgets.image_panel import ImagePanel
    from viewer.gui.widgets.model.bar import ModelBar
    from viewer.gui.widgets.notices import NoticeBanner
    from viewer.gui.widgets.predictions import PredictionsView
    from viewer.gui.widgets.thumbnails import ThumbnailStrip
    from viewer.gui.widgets.welcome import WelcomeView

__all__ = ["PREFERRED_SIZE", "TABS", "MainWindow", "fit_on_screen"]

TABS = ("predictions", "activations", "architecture", "heatmap", "compare", "explain")
ANALYSIS_TABS = TABS[:4]  # built here; Compare and Explain are added after them by compare_links
OVERLAY_TABS = {"heatmap": "overlay", "activations": "box"}  # what each tab draws over the image panel


class MainWindow(QtWidgets.QMainWindow):
    """The viewer's window; ``state`` may be passed in (tests, launch) or is created.

    With ``build=False`` only the frame is made (title, size, status bar, a "Starting…" page): the launch shows
    and paints it within a fraction of a second, then calls :meth:`build`, which imports the views (pyqtgraph,
    numpy: about a second on a small machine) and builds the state, the tabs, the menus and their wiring.
    """

    state: AppState
    model_bar: ModelBar
    image_panel: ImagePanel
    thumbnails: ThumbnailStrip
    notices: NoticeBanner
    welcome: WelcomeView
    predictions: PredictionsView
    activations: ActivationsView
    architecture: ArchitectureView
    heatmap: HeatmapView

    def __init__(
        self,
        state: AppState | None = None,
        *,
        settings: Settings | None = None,
        restore_choice: bool = True,
        build: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle("ConvNet Viewer")
        self.setAcceptDrops(True)
        self.settings = settings or Settings()
        self.trust = ModelFileTrust(self.settings)  # which custom model files may run unasked
        self.shown_at: float | None = None  # seconds from launch to the window first shown
        self.built = False  # True once build() has made the views
        self._early_paths: list[str] = []
        self._temp_dir = tempfile.TemporaryDirectory(prefix="viewer-paste-")
        self._closing = False
        # Shows a folder in the file manager (False: none could); tests replace it so that nothing opens.
        self.open_folder: Callable[[str], bool] = lambda folder: QtGui.QDesktopServices.openUrl(
            QtCore.QUrl.fromLocalFile(folder)
        )
        starting = QtWidgets.QLabel("Starting ConvNet Viewer…")
        starting.setObjectName("startingPage")
        starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(starting)
        self.status_bar = JobStatusBar()
        self.setStatusBar(self.status_bar)
        self.status_label = self.status_bar.status_label
        self.busy_label = self.status_bar.busy_label
        self.progress_bar = self.status_bar.progress_bar
        self.cancel_button = self.status_bar.cancel_button
        self.status_label.setText("Starting…")
        fit_on_screen(self, PREFERRED_SIZE)
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
            fit_on_screen(self, (self.width(), self.height()))  # saved on a larger screen
        if build:
            self.build(state, restore_choice=restore_choice)

    def build(self, state: AppState | None = None, *, restore_choice: bool = True) -> None:
        """Make the views, the menus and their wiring to ``state`` (created when None); once."""
        if self.built:
            return
        # Imported here rather than at the top: this module must stay light for the launch's first paint.
        from viewer.gui.state import AppState

        self.state = state or AppState(parent=self)
        if self.state.parent() is None:
            self.state.setParent(self)  # deleted with the window: its signals' connections go with it
        self._build()
        self._connect()
        from viewer.gui.window.menus import build_menus
        from viewer.gui.window.recipe_links import RecipeLinks

        self.menus = build_menus(self, self, TABS)
        self.open_action = self.menus.open_action
        self.paste_action = self.menus.paste_action
        self.export_action = self.menus.export_action
        self.recent_menu = self.menus.recent_menu
        self.recipe_links = RecipeLinks(self)  # a weights file's recipe: the Recipe button, Model › Weights recipe…
        from viewer.gui.window.live_links import LiveLinks

        self.live_links = LiveLinks(self, self.menus.file_menu, Path(self._temp_dir.name))  # a camera or a video
        self._restore(restore_choice)
        self._show_tab_overlay()
        self._update_status()
        self.drops = DropRouter(self, self.dragEnterEvent, self.dropEvent)
        self.drops.watch()
        self.built = True
        if self._early_paths:  # after the caller has started the state (the launch does so in this turn)
            early, self._early_paths = self._early_paths, []
            QtCore.QTimer.singleShot(0, self, lambda: self.open_paths(early))

    # --- construction ------------------------------------------------------------------------------
    def _build(self) -> None:
        from viewer.gui.widgets.activations.view import ActivationsView
        from viewer.gui.widgets.architecture.view import ArchitectureView
        from viewer.gui.widgets.common.turns import LaterTurns
        from viewer.gui.widgets.heatmap.view import HeatmapView
        from viewer.gui.widgets.image_panel import ImagePanel
        from viewer.gui.widgets.model.bar import ModelBar
        from viewer.gui.widgets.notices import NoticeBanner
        from viewer.gui.widgets.predictions import PredictionsView
        from viewer.gui.widgets.thumbnails import ThumbnailStrip
        from viewer.gui.widgets.welcome import SampleImage, WelcomeView
        from viewer.gui.window.help_texts import SAMPLES, SHORTCUTS, resource_path

        self.later = LaterTurns(self)  # an image switch's view updates, each in its own event-loop turn
        self.model_bar = ModelBar(self, trust=self.trust, start_folder=self.settings.last_folder)
        self.image_panel = ImagePanel(self)
        self.thumbnails = ThumbnailStrip()

        self.notices = NoticeBanner(self)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("tabs")
        self.predictions = PredictionsView(self)
        self.activations = ActivationsView(self)
        self.architecture = ArchitectureView(self)
        self.heatmap = HeatmapView(self)
        self.views: dict[str, QtWidgets.QWidget] = {
            "predictions": self.predictions,
            "activations": self.activations,
            "architecture": self.architecture,
            "heatmap": self.heatmap,
        }
        for tab in ANALYSIS_TABS:
            self.tabs.addTab(self.views[tab], tab.capitalize())

        left = QtWidgets.QWidget()
        left_layout = QtWidgets.QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addWidget(self.thumbnails)
        # The welcome (samples, first steps) stands where the image will be until one is open.
        samples = [SampleImage(resource_path(s.filename), s.caption, s.model) for s in SAMPLES]
        self.welcome = WelcomeView(self, samples=samples, shortcuts=SHORTCUTS)
        self.image_stack = QtWidgets.QStackedWidget()
        self.image_stack.setObjectName("imageStack")
        self.image_stack.addWidget(self.welcome)
        self.image_stack.addWidget(self.image_panel)
        left_layout.addWidget(self.image_stack, 1)
        self.thumbnails.hide()
        right = QtWidgets.QWidget()
        right_layout = QtWidgets.QVBoxLayout(right)
        right_layout.setContentsMargins(4, 4, 4, 4)
        right_layout.addWidget(self.notices)
        right_layout.addWidget(self.tabs, 1)
        self.splitter = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.setCentralWidget(self.splitter)

        self.model_toolbar = QtWidgets.QToolBar("Model")
        self.model_toolbar.setObjectName("modelToolbar")
        self.model_toolbar.addWidget(self.model_bar)  # added below the file toolbar by build_menus

    def _connect(self) -> None:
        from viewer.gui.window.analysis_links import AnalysisLinks, AnalysisViews
        from viewer.gui.window.compare_links import install as install_compare
        from viewer.gui.window.notice_links import NoticeLinks
        from viewer.gui.window.tab_exports import TabExports

        state = self.state
        self.notice_links = NoticeLinks(state, self.notices, lambda: self.open_folder, parent=self)
        state.model.registry_changed.connect(self.model_bar.set_registry)
        state.model.choice_changed.connect(self._on_choice_changed)
        state.model.info_changed.connect(self._on_model_changed)
        state.predictions.options_changed.connect(self._on_options_changed)
        state.images.images_changed.connect(self._on_images_changed)
        state.images.image_changed.connect(self._on_image_changed)
        state.progress.connect(self._on_progress)
        state.busy_changed.connect(self._on_busy)
        state.model.timings_changed.connect(lambda _t: self._update_status())
        state.recipes.changed.connect(self._update_status)
        state.weights.file_requested.connect(self.model_bar.choose_weights_file)

        self.model_bar.choiceRequested.connect(state.set_model)
        self.model_bar.optionsRequested.connect(
            lambda preset, tta: state.predictions.set_options(preset=preset, tta=tta)
        )
        self.predictions.topkRequested.connect(lambda k: state.predictions.set_options(topk=k))
        self.predictions.logit_toggle.toggled.connect(self.settings.set_show_logits)
        self.architecture.directionChanged.connect(self.settings.set_diagram_direction)
        self.thumbnails.currentRowChanged.connect(state.images.set_current)
        self.welcome.sampleRequested.connect(self.open_sample)
        self.cancel_button.clicked.connect(lambda: state.cancel())
        self.tabs.currentChanged.connect(lambda i: self.settings.set_tab(TABS[i]) if i < len(TABS) else None)
        self.tabs.currentChanged.connect(lambda _i: self._show_tab_overlay())
        views = AnalysisViews(self.predictions, self.activations, self.architecture, self.heatmap)
        self.analysis_links = AnalysisLinks(state, views, self.image_panel, parent=self)
        self.tab_exports = TabExports(self, state, self.settings, self.predictions, self.activations)
        from viewer.gui.window.channel_links import ChannelLinks

        # What the selected channel looks for: after the analysis links (their capture handler resets the box).
        self.channel_links = ChannelLinks(
            self, state, self.settings, self.activations, self.image_panel, self.tab_exports
        )
        self.compare_links = install_compare(
            self, state, self.tabs, self.tab_exports
        )  # Compare and Explain tabs, the chart window

    def _restore(self, restore_choice: bool) -> None:
        s = self.settings
        window_state, splitter = s.window_state(), s.splitter()  # the geometry was restored with the frame
        if window_state is not None:
            self.restoreState(window_state)
        if splitter is not None:
            self.splitter.restoreState(splitter)
        if s.tab() in TABS:
            self.tabs.setCurrentIndex(TABS.index(s.tab()))
        self.predictions.set_show_logits(s.show_logits())
        self.architecture.set_direction(s.diagram_direction())
        if restore_choice:
            self.state.model.choice, warning = restored_choice(s, self.trust)
            if warning:
                self.notices.show_notice(warning, level="warning")
            predictions = self.state.predictions
            predictions.preset, predictions.tta, predictions.topk = s.preset(), s.tta(), s.topk()
        self.model_bar.set_choice(self.state.model.choice)
        self.model_bar.set_options(self.state.predictions.preset, self.state.predictions.tta)
        self.predictions.set_topk(self.state.predictions.topk)

    @property
    def help_dialog(self) -> QtWidgets.QDialog | None:
        """The help window (Help › Keyboard shortcuts, The lecture), once shown."""
        return self.menus.help_dialog

    # --- public API --------------------------------------------------------------------------------
    def open_paths(self, paths: list[str]) -> None:
        if not self.built:  # dropped on the "Starting…" page: opened once the views exist
            self._early_paths += paths
        elif paths:
            self.settings.set_last_folder(str(real_path(paths[0]).parent))
            videos = [path for path in paths if is_video_path(path)]
            if videos:  # a dropped video plays live (the first one); the images beside it open as images
                self.live_links.open_video(videos[0])
                paths = [path for path in paths if not is_video_path(path)]
            if paths:
                self.state.images.open_paths(paths)

    def open_sample(self, path: str, model: str | None = None) -> None:
        """Open a bundled sample. The MNIST digit brings LeNet-5 (an ImageNet network reads a digit as
        nonsense); a photo opened while LeNet-5 is chosen brings back the default ImageNet network."""
        current = self.state.model.choice
        if model is not None and current.model != model:
            self.model_bar.pick_model(model)
        elif model is None and current.model == "lenet5" and not current.model_file:
            self.model_bar.pick_model(DEFAULT_MODEL)
        self.state.images.open_paths([path])

    def set_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(name))

    def current_tab(self) -> str:
        index = self.tabs.currentIndex()
        return TABS[index] if index < len(TABS) else self.tabs.tabText(index).lower()

    def paste(self) -> None:
        """Open what the clipboard holds: file paths/URLs, or image data (saved to a temporary PNG)."""
        mime = QtWidgets.QApplication.clipboard().mimeData()
        pasted = pasted_paths(mime)
        if not pasted:
            image = save_pasted_image(mime, Path(self._temp_dir.name))
            pasted = [str(image)] if image is not None else []
        if pasted:
            self.open_paths(pasted)
        else:
            self.notices.show_notice("The clipboard holds no image and no path of an existing file.", level="warning")

    # --- drag and drop (anywhere on the window: window_drops routes the children's) ------------------
    def dragEnterEvent(self, event: QtGui.QDropEvent) -> None:  # also called for moves and filtered events
        if carries_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QtGui.QDragMoveEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_paths(paths)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete and self.built and self.thumbnails.hasFocus():
            self.state.images.remove(self.thumbnails.currentRow())
            return
        super().keyPressEvent(event)

    # --- state → widgets ---------------------------------------------------------------------------
    def _on_choice_changed(self, choice: ModelChoice) -> None:
        self.model_bar.set_choice(choice)
        save_choice(self.settings, self.state)
        self._update_status()

    def _on_options_changed(self) -> None:
        options = self.state.predictions
        self.model_bar.set_options(options.preset, options.tta)
        self.predictions.set_topk(options.topk)
        save_choice(self.settings, self.state)

    def _on_model_changed(self, info: ModelInfo | None) -> None:
        self._update_status()
        error = self.state.model.error
        self.model_bar.set_failed(error is not None)
        self.model_bar.set_fit(info)
        label = self.state.model.choice.model_file or self.state.model.choice.model
        if error is not None:
            notice = f"No model: {label} could not be loaded (the message above says why)."
        else:
            notice = "" if info is None or info.pretrained else "Random init: not trained, the outputs mean nothing."
        self.predictions.set_reason(notice if error is not None else "")
        self.activations.set_notice(notice)
        self.heatmap.set_notice(notice)

    def _on_images_changed(self, images: list[ImageEntry]) -> None:
        from viewer.gui.widgets.thumbnails import Thumbnail  # imported by _build already

        thumbnails = [Thumbnail(entry.thumbnail, entry.name, entry.path) for entry in images]
        self.thumbnails.set_images(thumbnails, self.state.images.current)
        self.image_stack.setCurrentWidget(self.image_panel if images else self.welcome)
        # Every image of a drop goes into Recent files, the first one on top (added last).
        known = set(self.settings.recent_files())
        new = [entry.path for entry in images if str(real_path(entry.path)) not in known]
        self._add_recent(*reversed(new))

    def _add_recent(self, *paths: str) -> None:
        for path in paths:
            self.settings.add_recent_file(path)
        if paths:
            self.recent_menu.refresh()

    def _on_image_changed(self, entry: ImageEntry | None) -> None:
        self.thumbnails.mark_current(self.state.images.current)
        if entry is None:
            self.image_panel.set_image(None)
            self.later.call("original", lambda: self.predictions.set_original(None))
        else:
            self.image_panel.set_image(entry.display, entry.name, entry.original_size, entry.notes)
            preview = entry.preview if entry.preview is not None else entry.display
            self.later.call("original", lambda: self.predictions.set_original(preview))
            self._add_recent(entry.path)
        self.later.call("heatmap image", lambda: self.heatmap.set_image(None if entry is None else entry.display))
        self._update_status()

    def _on_progress(self, item: Any, kind: str) -> None:
        if item is None:
            self.status_bar.hide_progress()
            return
        if kind == "heatmap":
            self.heatmap.set_progress(item.step, item.total, getattr(item, "message", ""))
        total = int(getattr(item, "total", 0) or 0)
        self.status_bar.show_progress(int(getattr(item, "step", 0)), total, str(getattr(item, "message", "")))

    def _on_busy(self, description: str) -> None:
        self.status_bar.set_busy(description)
        self.predictions.set_busy(f"{description}…" if description else "")

    def _show_tab_overlay(self) -> None:
        """The image panel draws the heatmap only on the Heatmap tab and the receptive field only on the
        Activations tab; on the others it shows the plain image (both are kept for the way back)."""
        drawn = OVERLAY_TABS.get(self.current_tab())
        self.image_panel.show_decorations(overlay=drawn == "overlay", box=drawn == "box")

    def _update_status(self) -> None:
        self.status_label.setText(status_text(self.state))

    # --- lifecycle ---------------------------------------------------------------------------------
    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if self.built:
            self.drops.watch()
        if self.shown_at is None:
            self.shown_at = time.perf_counter() - LAUNCHED_AT

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            if self.built:
                self.settings.save_window(self.saveGeometry(), self.saveState(), self.splitter.saveState())
                self.settings.set_tab(self.current_tab())
                self.settings.sync()
                self.notice_links.disconnect_errors()
                self.live_links.close()
                self.state.jobs.shutdown(timeout=3.0)
            self._temp_dir.cleanup()
            # Freed once closed: the connections to lambdas and bound methods of the window (its own signals,
            # the state's) are references Python's collector cannot see, so only deleting the Qt objects drops
            # them; the window, its state and its images then go (its models live in the engine).
            self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        super().closeEvent(event)
