"""The soak's invariants (``viewer.bench.soak``): bugs that surfaced, results over the wrong input, memory.

Kept apart from the driver so that each can be read alone; nothing here acts on the window.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from viewer.gui.window.main_window import MainWindow

__all__ = ["Faults", "engine_rss_mb", "held_by_design_mb", "rss_mb", "slope_per_100", "wrong_results"]


class _Report(Protocol):
    exceptions: list[str]
    wrong_input: list[str]
    checked: dict[str, int]


def rss_mb() -> float:
    """Resident memory in MB, after the allocator gave back what it holds free (fragments would read as growth)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _array_bytes(value: Any, depth: int = 4) -> int:
    """Bytes of the numpy arrays in ``value`` (a result dataclass, dict, list...), ``depth`` levels down."""
    import dataclasses

    import numpy as np

    if isinstance(value, np.ndarray):
        return value.nbytes
    if depth == 0 or value is None or isinstance(value, (str, bytes, int, float)):
        return 0
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children: Any = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        children = list(value.values())
    elif isinstance(value, (list, tuple)):
        children = list(value)
    else:
        return 0
    return sum(_array_bytes(child, depth - 1) for child in children)


def held_by_design_mb(window: MainWindow) -> float:
    """What the app holds on purpose now, in MB: the engine's cached models (tensors), the open images' pixels
    and the arrays of the results shown (prediction, activations, heatmap, the Explain maps, the comparison).

    Read while the worker is idle. They come and go with the actions (a cache of three models from 0.2 to 45 MB
    each, images opened and removed, five maps of a photo) and would otherwise hide a slope, or fake one.
    """
    state = window.state
    links = window.compare_links
    shown = (
        state.predictions.prediction,
        state.activations.capture,
        state.heatmap.on_screen,
        links.explain.explanations,
        links.state.comparison,
    )
    total = sum(_array_bytes(result) for result in shown) + state.jobs.loaded_model_bytes()
    for entry in list(state.images):
        width, height = entry.size
        total += width * height * 3  # the decoded RGB image the engine reads
        for array in (entry.display, entry.thumbnail, entry.preview):
            total += 0 if array is None else array.nbytes
    return total / 2**20


def engine_rss_mb(window: MainWindow) -> float:
    """The resident memory of the window's engine process in MB, 0 for an engine on a thread of this process (in
    :func:`rss_mb` already) or on another machine. Read while the engine is idle."""
    client = window.state.jobs.client
    if client.in_thread or client.address is not None:
        return 0.0
    return float(client.engine_rss_bytes(60.0)) / 2**20


def slope_per_100(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of (action, MB) points, in MB per 100 actions (0 for fewer than two points)."""
    if len(points) < 2:
        return 0.0
    xs, ys = [float(x) for x, _ in points], [y for _, y in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return 100 * sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def wrong_results(window: MainWindow) -> tuple[list[str], list[str]]:
    """(the results shown over another image or model than the one shown, the kinds of results shown)."""
    state = window.state
    image = state.image.path if state.image is not None else None
    info = state.model.info
    model = info.name if info is not None else None
    wrong: list[str] = []
    shown: list[str] = []
    prediction = state.predictions.prediction
    if prediction is not None:
        shown.append("prediction")
        if (prediction.image, prediction.model) != (image, model):
            wrong.append(f"prediction of {prediction.image} by {prediction.model} over {image} on {model}")
    heatmap = state.heatmap.shown
    if heatmap is not None:
        shown.append("heatmap")
        if (heatmap.image_path, heatmap.model) != (image, model):
            wrong.append(f"heatmap of {heatmap.image_path} by {heatmap.model} over {image} on {model}")
    found = window.compare_links.explain.explanations
    if found is not None:
        shown.append("explanations")
        if (found.image_path, found.model) != (image, model):
            wrong.append(f"explanations of {found.image_path} by {found.model} over {image} on {model}")
    comparison = window.compare_links.state.comparison
    if comparison is not None:
        shown.append("comparison")
        if comparison.image_path != image:
            wrong.append(f"comparison of {comparison.image_path} over {image}")
    return wrong, shown


class Faults:
    """Collects bugs and wrong results into ``report``, each named with ``action`` (the last one done)."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.action = "start"
        self._hooked = False  # inside our excepthook: the sink's report of that bug is the same bug

    def bug(self, text: str) -> None:
        self.report.exceptions.append(f"{self.action}: {text}")

    def check(self, window: MainWindow, when: str) -> None:
        wrong, shown = wrong_results(window)
        self.report.wrong_input.extend(f"{self.action} ({when}): {text}" for text in wrong)
        for kind in shown:
            self.report.checked[kind] = self.report.checked.get(kind, 0) + 1

    def watch(self, window: MainWindow) -> None:
        """Check each result the moment it is delivered too (after the window's own slots drew it), and count
        the job failures that are bugs (a notice "Bug…", on the banner or on a tab)."""
        state = window.state

        def delivered(result: object) -> None:
            if result is not None:
                self.check(window, "delivered")

        for signal in (
            state.predictions.changed,
            state.heatmap.changed,
            state.explain.explanations_changed,
            state.compare.comparison_changed,
        ):
            signal.connect(delivered)
        state.notices.message.connect(lambda notice: self.bug(notice.text) if notice.text.startswith("Bug") else None)

    @contextlib.contextmanager
    def hooked(self) -> Iterator[None]:
        """Count what reaches ``sys.excepthook``, ``threading.excepthook`` and the error sink, then pass it on."""
        from viewer.gui.runtime.error_sink import error_sink

        previous, previous_thread = sys.excepthook, threading.excepthook

        def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
            self.bug(f"sys.excepthook: {kind.__name__}: {error}")
            self._hooked = True
            try:
                previous(kind, error, trace)
            finally:
                self._hooked = False

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            self.bug(f"threading.excepthook: {args.exc_type.__name__}: {args.exc_value}")
            self._hooked = True
            try:
                previous_thread(args)
            finally:
                self._hooked = False

        def reported(text: str, _details: str, level: str) -> None:
            if level == "error" and text.startswith("Bug") and not self._hooked:
                self.bug(f"error sink: {text}")

        sys.excepthook, threading.excepthook = hook, thread_hook
        error_sink.reported.connect(reported)
        try:
            yield
        finally:
            error_sink.reported.disconnect(reported)
            sys.excepthook, threading.excepthook = previous, previous_thread
