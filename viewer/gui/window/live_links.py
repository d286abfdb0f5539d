"""Live in the window: File › Open video… and Camera…, a dropped video, the live panel, Freeze, Record, Stop.

The live panel takes the image panel's place on the left while a camera or a video is live (the tabs on the right
keep showing the image list's current image). Each frame from the source (:mod:`~viewer.gui.window.live_source`)
is drawn at once and offered to ``state.live``, which sends only the newest one to the engine
(:mod:`viewer.gui.state.live`); each top-k that comes back is drawn over the video, with the rates.

Freeze (Space) pauses the source and opens the frame shown as an ordinary image (a PNG in the window's temporary
folder, as a pasted picture is), so that every tab works on it and it can be exported; Unfreeze resumes. Record
saves each analysed frame with its overlay as a PNG in a folder, written on a thread of its own.
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from viewer.core.images.paths import VIDEO_SUFFIXES
from viewer.core.results.live import LiveFrame
from viewer.gui.widgets.live import LivePanel, annotated
from viewer.gui.window.live_source import LiveSource, cameras, frame_pixels

if TYPE_CHECKING:
    from viewer.core.results.live import FrameResult
    from viewer.gui.runtime.settings import Settings
    from viewer.gui.state import AppState

__all__ = ["VIDEO_FILTER", "LiveHost", "LiveLinks"]

VIDEO_FILTER = f"Videos ({' '.join('*' + suffix for suffix in VIDEO_SUFFIXES)});;All files (*)"
SOURCE_NOTICE = "live-source"  # the notices about the camera or the video (not cleared by each frame's job)
FROZEN_NOTICE = "live-frozen"  # the way back to the live view while its frame is shown as an image
RECORD_BACKLOG = 4  # frames waiting to be written before Record skips one (a slow disk must not fill memory)


class LiveHost(Protocol):
    """What the live links use of the main window."""

    @property
    def state(self) -> AppState: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def image_stack(self) -> QtWidgets.QStackedWidget: ...
    @property
    def image_panel(self) -> QtWidgets.QWidget: ...
    @property
    def welcome(self) -> QtWidgets.QWidget: ...

    def open_paths(self, paths: list[str]) -> None: ...
    def window(self) -> QtWidgets.QWidget: ...


class LiveLinks(QObject):
    """The live panel, its source and its actions; see the module docstring."""

    def __init__(self, host: LiveHost, file_menu: QtWidgets.QMenu | None, temp_folder: Path) -> None:
        super().__init__(host.window())
        self.host = host
        self.live = host.state.live
        self.panel = LivePanel()
        host.image_stack.addWidget(self.panel)
        self.canvas = self.panel.canvas
        self.source = LiveSource(self)
        self.frozen = False
        self.frames = 0  # frames shown since the source started (each one's number)
        self.record_folder: Path | None = None
        self.recorded: list[Future[bool]] = []
        self.records = 0  # frames saved (or being saved) since Record was pressed
        # The frames sent to the engine, by number, until their result comes: Record draws a result on its own
        # frame, not on the one shown when it arrives (seconds later with a slow network).
        self._sent: dict[int, QtGui.QImage] = {}
        self._writer: ThreadPoolExecutor | None = None
        self._temp = temp_folder
        self._freezes = 0
        self.source.frame.connect(self.show_frame)
        self.source.failed.connect(self._source_failed)
        self.source.ended.connect(lambda: self.panel.set_source(f"{self.live.source} (ended)"))
        self.live.result_changed.connect(self._on_result)
        self.live.rates_changed.connect(self.canvas.set_rates)
        self.panel.freezeToggled.connect(self.set_frozen)
        self.panel.recordToggled.connect(self._record_toggled)
        self.panel.heatmapToggled.connect(self.set_heatmap)
        self.panel.layerToggled.connect(self.set_layer)
        self.panel.stopRequested.connect(self.stop)
        host.state.images.images_changed.connect(self._images_opened)
        host.state.predictions.options_changed.connect(self._options_changed)
        window = host.window()
        self.video_action = _action(window, "Open &video…", self.choose_video, "Ctrl+Shift+O", "openVideoAction")
        self.camera_action = _action(window, "&Camera…", self.choose_camera, None, "cameraAction")
        self.freeze_action = _action(window, "Freeze / unfreeze live", self.toggle_frozen, "Space", "freezeAction")
        self.freeze_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.freeze_action.setEnabled(False)
        self.stop_action = _action(window, "Stop live", self.stop, None, "stopLiveAction")
        self.stop_action.setEnabled(False)
        window.addAction(self.freeze_action)
        if file_menu is not None:
            before = file_menu.actions()[2] if len(file_menu.actions()) > 2 else None  # after Open and Paste
            for action in (self.video_action, self.camera_action, self.freeze_action, self.stop_action):
                file_menu.insertAction(before, action)  # type: ignore[arg-type]

    # --- sources -------------------------------------------------------------------------------------
    def choose_video(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.host.window(), "Open a video", self.host.settings.last_folder(), VIDEO_FILTER
        )
        if path:
            self.open_video(path)

    def open_video(self, path: str) -> bool:
        """Play ``path`` live; False (with a notice) when it cannot be."""
        if not Path(path).is_file():
            return self._failed(f"{Path(path).name}: no such video file.")
        try:
            self.source.open_video(path)
        except RuntimeError as error:
            return self._failed(str(error))
        self.start(self.source.description)
        return True

    def choose_camera(self) -> None:
        """The default camera, or the one chosen among several; one notice when there is none."""
        try:
            found = cameras()
        except RuntimeError as error:
            self._failed(str(error))
            return
        if not found:
            self._failed("No camera found: connect one, or open a video instead (File › Open video…).")
            return
        device = found[0]
        if len(found) > 1:
            names = [camera.description() for camera in found]
            name, ok = QtWidgets.QInputDialog.getItem(self.host.window(), "Camera", "Camera:", names, 0, False)
            if not ok:
                return
            device = found[names.index(name)]
        if _camera_refused():
            self._failed("The system refused the camera: allow this app to use it in the system's privacy settings.")
            return
        try:
            self.source.open_camera(device)
        except RuntimeError as error:
            self._failed(str(error))
            return
        self.start(self.source.description)

    def start(self, description: str) -> None:
        """Go live on what feeds the sink (the source just opened; a test's frames), as ``description``."""
        self.frames = 0
        self.frozen = False
        self.panel.set_frozen(False)
        self.panel.set_source(description)
        self.canvas.set_frame(None)
        self._options_changed()
        self.live.start(description)
        self.host.state.notices.clear(SOURCE_NOTICE)
        self.freeze_action.setEnabled(True)
        self.stop_action.setEnabled(True)
        self.host.image_stack.setCurrentWidget(self.panel)

    def _options_changed(self) -> None:
        """The Predictions tab's k and the preprocessing apply to the live top-k too (from the next frame sent)."""
        self.live.topk = self.host.state.predictions.topk
        self.live.preset = self.host.state.predictions.preset

    def stop(self) -> None:
        """Stop the source and the analysis; the image list's current image (or the welcome) comes back."""
        self.host.state.notices.clear(FROZEN_NOTICE)
        self.source.stop()
        self.live.stop()
        self._stop_recording()
        self.frozen = False
        self.freeze_action.setEnabled(False)
        self.stop_action.setEnabled(False)
        self._show_images()

    def _show_images(self) -> None:
        stack = self.host.image_stack
        stack.setCurrentWidget(self.host.image_panel if len(self.host.state.images) else self.host.welcome)

    def _source_failed(self, text: str) -> None:
        """The camera or the video stopped with an error: said once, and live stops."""
        self.stop()
        self._failed(text)

    def _failed(self, text: str) -> bool:
        self.host.state.notices.notify(text, level="warning", kind=SOURCE_NOTICE)
        return False

    # --- frames: the camera's and the video's alike ----------------------------------------------------
    def show_frame(self, image: QtGui.QImage, time_s: float) -> None:
        """Draw ``image`` now and offer it to the live state (converted only if it is sent)."""
        if self.frozen or not self.live.active:
            return
        number = self.frames
        self.frames += 1
        self.canvas.set_frame(image, time_s)
        source = self.live.source

        def sent() -> LiveFrame:
            self._sent = {kept: frame for kept, frame in self._sent.items() if kept > number - 8}
            self._sent[number] = image
            return LiveFrame(number, time_s, frame_pixels(image), source)

        self.live.offer(number, sent)

    def _on_result(self, result: FrameResult | None) -> None:
        self.canvas.set_result(result)
        if result is not None and self.record_folder is not None:
            self._record(result)

    def _images_opened(self, _images: object) -> None:
        """Images opened while live take the panel's place: the source pauses as Freeze would (Space resumes)."""
        if self.live.active and not self.frozen:
            self.frozen = True
            self.panel.set_frozen(True)
            self.source.pause()

    def set_heatmap(self, on: bool) -> None:
        """Each frame's top-k comes with a heatmap: of the class the Heatmap tab was asked for by index, else of
        the frame's top-1 (from the next frame sent)."""
        requested = self.host.state.heatmap.requested
        self.live.heatmap = on
        self.live.heatmap_class = None if requested is None else requested.class_index
        blocked = self.panel.heatmap_button.blockSignals(True)
        self.panel.heatmap_button.setChecked(on)
        self.panel.heatmap_button.blockSignals(blocked)

    def set_layer(self, on: bool) -> None:
        """Each frame's top-k comes with the mosaic of the Activations tab's layer (from the next frame sent)."""
        self.live.show_layer = on
        blocked = self.panel.layer_button.blockSignals(True)
        self.panel.layer_button.setChecked(on)
        self.panel.layer_button.blockSignals(blocked)

    # --- freeze --------------------------------------------------------------------------------------
    def toggle_frozen(self) -> None:
        if self.live.active:
            self.set_frozen(not self.frozen)

    def set_frozen(self, frozen: bool) -> None:
        """Freeze: the source pauses and the frame shown joins the image list (shown, as any image); Unfreeze:
        the source goes on and the live panel comes back."""
        if not self.live.active or frozen == self.frozen:
            self.panel.set_frozen(self.frozen)
            return
        self.frozen = frozen
        self.panel.set_frozen(frozen)
        if frozen:
            self.source.pause()
            frame = self.canvas.frame
            if frame is not None:
                self.host.open_paths([str(self._save_frozen(frame))])
            # The frame takes the live panel's place, and its Unfreeze with it: the notice keeps the way back.
            self.host.state.notices.notify(
                f"{self.live.source or 'Live'} is frozen: the frame is in the image list. Space goes on.",
                level="info",
                actions=(("Unfreeze", lambda: self.set_frozen(False)),),
                kind=FROZEN_NOTICE,
            )
        else:
            self.host.state.notices.clear(FROZEN_NOTICE)
            self.host.image_stack.setCurrentWidget(self.panel)
            self.live.resumed()
            self.source.resume()

    def _save_frozen(self, frame: QtGui.QImage) -> Path:
        self._freezes += 1
        stem = re.sub(r"[^\w.-]+", "_", Path(self.live.source).stem or "live")
        time_s = self.canvas.frame_time_s or 0.0  # the frame shown, which is the one frozen
        path = self._temp / f"{stem}-{self._freezes}-{time_s:.2f}s.png"
        frame.save(str(path))
        return path

    # --- record --------------------------------------------------------------------------------------
    def _record_toggled(self, on: bool) -> None:
        if not on:
            self._stop_recording()
            return
        start = self.host.settings.last_folder()
        if not start or Path(start).is_relative_to(self._temp):  # a frozen frame's folder: the app's own
            start = str(Path.home())
        folder = QtWidgets.QFileDialog.getExistingDirectory(self.host.window(), "Save annotated frames in", start)
        if folder:
            self.start_recording(Path(folder))
        else:
            self.panel.set_recording(False)

    def start_recording(self, folder: Path) -> None:
        """Save each analysed frame, its overlay drawn on it, as ``frame-NNNNNN.png`` in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        self.record_folder = folder
        self.recorded = []
        self.records = 0
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="viewer-record")
        self.panel.set_recording(True)

    def _stop_recording(self) -> None:
        folder, self.record_folder = self.record_folder, None
        self.panel.set_recording(False)
        self.panel.set_source(self.live.source)
        if folder is not None:
            saved = f"{self.records} annotated frame{'s' if self.records != 1 else ''}"
            self.host.state.notices.notify(f"Recorded {saved} in {folder}.", level="info", kind=SOURCE_NOTICE)

    def _record(self, result: FrameResult) -> None:
        frame, folder, writer = self._sent.pop(result.number, None), self.record_folder, self._writer
        if frame is None or folder is None or writer is None:
            return
        self.recorded = [future for future in self.recorded if not future.done()]
        if len(self.recorded) >= RECORD_BACKLOG:  # the disk is slower than the network: this frame is not saved
            return
        # Drawn here (a millisecond or two), encoded and written on the recorder's thread (the slow part).
        image = annotated(frame, result, self.canvas.rates)
        self.recorded.append(writer.submit(image.save, str(folder / f"frame-{result.number:06d}.png")))
        self.records += 1
        self.panel.set_source(f"{self.live.source} · recording: {self.records} frames in {folder}")

    def close(self) -> None:
        """The window closes: the source stops and the frames being written are finished."""
        self.source.stop()
        self.live.stop()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None


def _action(window: QtWidgets.QWidget, text: str, slot: Any, shortcut: str | None, name: str) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(lambda _checked=False: slot())
    return action


def _camera_refused() -> bool:
    """True when the system said no to the camera for this app (macOS, Windows; Linux always allows it)."""
    permission_type = getattr(QtCore, "QCameraPermission", None)  # Qt 6.5 and later
    app = QtWidgets.QApplication.instance()
    if permission_type is None or app is None:
        return False
    try:
        status = app.checkPermission(permission_type())
    except (AttributeError, TypeError):
        return False
    return bool(status == Qt.PermissionStatus.Denied)
