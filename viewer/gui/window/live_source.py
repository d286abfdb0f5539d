"""Where live frames come from: a camera (``QCamera`` in a ``QMediaCaptureSession``) or a video file
(``QMediaPlayer``), both into one ``QVideoSink``; from the sink on, a camera's frames and a video's take the same
path (:meth:`LiveSource._on_video_frame`: ``QVideoFrame`` → ``QImage``, with its time).

Qt Multimedia is imported when a source is first opened: a machine whose Qt lacks it (or the libraries it loads,
such as PulseAudio's on Linux) runs everything else, and an attempt to go live says why in one sentence.
:func:`frame_pixels` turns a shown ``QImage`` into the RGB array that crosses to the engine (no torch here), made
only for the frames actually sent.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtGui
from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:  # imported when a source opens (see the module docstring); named here for the types only
    from PySide6.QtMultimedia import QCamera, QCameraDevice, QMediaCaptureSession, QMediaPlayer, QVideoFrame, QVideoSink

__all__ = ["SEND_SHORT_SIDE", "LiveSource", "cameras", "frame_pixels", "multimedia"]

# A frame crosses to the engine with its shorter side at most this long: the networks resize to 256 or less, and a
# 1080p camera frame (6 MB) would cost its copy and transfer for nothing.
SEND_SHORT_SIDE = 480


def multimedia() -> ModuleType:
    """The ``PySide6.QtMultimedia`` module, or ``RuntimeError`` with the sentence to show."""
    try:
        from PySide6 import QtMultimedia
    except ImportError as error:
        raise RuntimeError(f"Live video needs Qt Multimedia, which cannot be loaded here ({error}).") from None
    return QtMultimedia


def cameras() -> list[QCameraDevice]:
    """The cameras the system offers (``QCameraDevice``), the default first."""
    qm = multimedia()
    devices = list(qm.QMediaDevices.videoInputs())
    default = qm.QMediaDevices.defaultVideoInput()
    devices.sort(key=lambda device: device != default)
    return devices


def frame_pixels(image: QtGui.QImage, short_side: int = SEND_SHORT_SIDE) -> np.ndarray:
    """``image`` as a uint8 HxWx3 RGB array (a copy), scaled down so that its shorter side is at most
    ``short_side``."""
    if min(image.width(), image.height()) > short_side:
        image = image.scaled(
            QtCore.QSize(short_side, short_side),
            QtCore.Qt.AspectRatioMode.KeepAspectRatioByExpanding,
            QtCore.Qt.TransformationMode.SmoothTransformation,
        )
    rgb = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    rows = np.frombuffer(rgb.constBits(), np.uint8, count=stride * height).reshape(height, stride)
    return rows[:, : width * 3].reshape(height, width, 3).copy()


class LiveSource(QObject):
    """One live source at a time into :attr:`sink`.

    Signals:
        frame(QImage, float): a frame to show, and its time in the stream (seconds).
        failed(str): the source cannot go on (one sentence).
        ended(): the video reached its end.
    """

    frame = Signal(object, float)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sink: QVideoSink | None = None
        self.player: QMediaPlayer | None = None
        self.camera: QCamera | None = None
        self.session: QMediaCaptureSession | None = None
        self.description = ""
        self._started = 0.0

    def _make_sink(self) -> ModuleType:
        qm = multimedia()
        if self.sink is None:
            self.sink = qm.QVideoSink(self)
            self.sink.videoFrameChanged.connect(self._on_video_frame)
        return qm

    def _the_sink(self) -> QVideoSink:
        self._make_sink()
        assert self.sink is not None  # made just above
        return self.sink

    def open_video(self, path: str) -> None:
        """Play ``path`` into the sink (``RuntimeError``: Qt Multimedia is missing)."""
        self.stop()
        qm = self._make_sink()
        self.player = qm.QMediaPlayer(self)
        self.player.setVideoSink(self._the_sink())
        self.player.errorOccurred.connect(self._on_player_error)
        self.player.mediaStatusChanged.connect(self._on_status)
        self.description = Path(path).name
        self._started = time.perf_counter()
        self.player.setSource(QtCore.QUrl.fromLocalFile(str(Path(path).absolute())))
        self.player.play()

    def open_camera(self, device: QCameraDevice) -> None:
        """Capture ``device`` (a ``QCameraDevice``) into the sink."""
        self.stop()
        qm = self._make_sink()
        self.camera = qm.QCamera(device, self)
        self.camera.errorOccurred.connect(self._on_camera_error)
        self.session = qm.QMediaCaptureSession(self)
        self.session.setCamera(self.camera)
        self.session.setVideoSink(self._the_sink())
        self.description = device.description() or "camera"
        self._started = time.perf_counter()
        self.camera.start()

    def pause(self) -> None:
        if self.player is not None:
            self.player.pause()
        if self.camera is not None:
            self.camera.stop()

    def resume(self) -> None:
        if self.player is not None:
            self.player.play()
        if self.camera is not None:
            self.camera.start()

    def stop(self) -> None:
        """Stop and forget the source (the sink stays, for the next one)."""
        if self.player is not None:
            self.player.stop()
            self.player.deleteLater()
            self.player = None
        if self.camera is not None:
            self.camera.stop()
            self.camera.deleteLater()
            self.camera = None
        if self.session is not None:
            self.session.deleteLater()
            self.session = None

    # --- the sink: cameras and videos alike from here on ---------------------------------------------
    @Slot(object)
    def _on_video_frame(self, video_frame: QVideoFrame | None) -> None:
        if video_frame is None or not video_frame.isValid():  # a video's end sends an empty frame
            return
        image = video_frame.toImage()
        if image.isNull():
            return
        start_us = video_frame.startTime()
        time_s = start_us / 1e6 if start_us >= 0 else time.perf_counter() - self._started
        self.frame.emit(image, time_s)

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        qm = multimedia()
        if status == qm.QMediaPlayer.MediaStatus.EndOfMedia:
            self.ended.emit()
        elif status == qm.QMediaPlayer.MediaStatus.InvalidMedia:
            self.failed.emit(f"{self.description}: Qt Multimedia cannot play this file.")

    def _on_player_error(self, _error: QMediaPlayer.Error, text: str) -> None:
        self.failed.emit(f"{self.description}: {text or 'the video cannot be played'}.")

    def _on_camera_error(self, _error: QCamera.Error, text: str) -> None:
        self.failed.emit(f"The camera {self.description} cannot be used: {text or 'refused by the system'}.")
