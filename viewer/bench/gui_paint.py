"""What the GUI latency rows share: when the Predictions plot has painted a top-k, and the bare reference.

``viewer.bench.gui_latency`` (drop, picker, rapid switching) and ``viewer.bench.gui_occlusion`` (picker while an
occlusion sweep runs) time "until the top-k is painted" the same way, against the same bare torchvision run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["PaintWatch", "bare", "painted"]


def painted(watch: PaintWatch, state: Any, name: str) -> bool:
    """``name``'s prediction is on the state and painted (a function, not a closure over the loop's name)."""
    return (
        watch.painted_at is not None
        and state.predictions.prediction is not None
        and state.predictions.prediction.model == name
    )


class PaintWatch:
    """Records when the Predictions plot has finished painting a prediction of ``expected`` (an image path)."""

    def __init__(self, window: Any) -> None:
        from PySide6 import QtCore

        self.window = window
        self.expected: str | None = None
        self.painted_at: float | None = None
        self._inside = False

        class Filter(QtCore.QObject):
            def eventFilter(inner, watched, event):
                return self._filter(watched, event)

        self._filter_object = Filter()
        window.predictions.plot.viewport().installEventFilter(self._filter_object)

    def expect(self, path: str) -> None:
        self.expected, self.painted_at = path, None

    def _filter(self, watched: Any, event: Any) -> bool:
        from PySide6 import QtCore, QtWidgets

        if self._inside or event.type() != QtCore.QEvent.Type.Paint or self.expected is None:
            return False
        prediction = self.window.predictions.prediction()
        if prediction is None or Path(prediction.image).resolve() != Path(self.expected).resolve():
            return False
        self._inside = True
        try:  # deliver the paint here, so that the time taken is after the bars are drawn
            QtWidgets.QApplication.sendEvent(watched, event)
        finally:
            self._inside = False
        self.painted_at = time.perf_counter()
        self.expected = None
        return True


def bare(name: str, path: Path, model: Any = None) -> Callable[[], None]:
    """Bare torchvision: (build +) open + transforms + forward + top-k, as a user would write it."""
    import torch
    import torchvision
    from PIL import Image

    transforms = torchvision.models.get_model_weights(name).DEFAULT.transforms()

    def run() -> None:
        network = model if model is not None else torchvision.models.get_model(name).eval()
        with Image.open(path) as image:
            batch = transforms(image.convert("RGB")).unsqueeze(0)
        with torch.inference_mode():
            network(batch).softmax(dim=1).topk(5)

    return run
