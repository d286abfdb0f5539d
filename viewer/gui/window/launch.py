"""``run_gui``: open the app in a given state; with ``screenshot``, save the window once settled and exit.

The CLI's ``viewer gui [IMAGE...] --model --weights --recipe --tab --layer --class --expand --screenshot`` and a
bare ``viewer`` call this function.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from viewer.core.diagram.layout import direction_of
from viewer.core.network.choice import ModelChoice
from viewer.core.options import HeatmapRequest
from viewer.gui.jobs.engine_choice import make_runner
from viewer.gui.runtime.application import LAUNCHED_AT, create_application
from viewer.gui.runtime.settings import use_settings_path
from viewer.gui.window.main_window import TABS, MainWindow

__all__ = ["SCREENSHOT_TIMEOUT_S", "run_gui", "save_when_settled"]

SCREENSHOT_TIMEOUT_S = 600
SCREENSHOT_SIZE = (1400, 860)


def run_gui(
    images: list[str],
    *,
    model: str | None = None,
    weights: str | None = None,
    model_file: str | None = None,
    device: str = "auto",
    recipe: str | None = None,
    tab: str | None = None,
    layer: str | None = None,
    class_: str | int | None = None,
    expand: str | None = None,
    direction: str | None = None,
    screenshot: str | None = None,
    window_size: tuple[int, int] | None = None,
    engine: str | None = None,
    token_file: str | None = None,
) -> int:
    """Run the app; returns the exit status (0, or 1 when a screenshot could not wait for its jobs).

    ``expand`` opens blocks of the Architecture diagram: block names ("inception3a,inception4a"), a depth or
    "all" (``core.graph.dataflow.expansion``); a screenshot waits for that layout too. ``direction`` ("TB" or "LR")
    is where the data flows in it (None: as last chosen). ``window_size`` (width,
    height; ``viewer gui --size WxH``) sets the window's size exactly (a screenshot's default is
    ``SCREENSHOT_SIZE``; without either the window fits the screen). ``engine`` (``--engine``): ``local``,
    a remote engine's ``HOST:PORT`` with its ``token_file``, or ``thread`` (None: ``VIEWER_ENGINE``, else the
    settings' engine, else ``local``; :mod:`viewer.gui.jobs.engine_choice`). ``recipe`` (``--recipe``) is the initial
    weights' preprocessing; for a weights file it is remembered as the user's answer (``state.recipe``).
    """
    if screenshot and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a screenshot needs no screen
    app = create_application()
    if screenshot:
        # Screenshots start from default settings (same picture on every machine) and leave the user's alone.
        scratch = tempfile.TemporaryDirectory(prefix="viewer-screenshot-settings-")
        use_settings_path(scratch.name)
    if tab is not None and tab not in TABS:
        raise ValueError(f"unknown tab {tab!r}; use one of {', '.join(TABS)}")
    # The frame first: painted within a fraction of a second, before the views' imports (pyqtgraph, numpy)
    # and the engine's start, which follow once it has painted.
    window = MainWindow(build=False)
    if window_size or screenshot:
        # Exactly as asked (a screenshot is the same picture on every machine), not shrunk to the screen.
        window.resize(*(window_size or SCREENSHOT_SIZE))
    window.show()
    print(f"window shown {time.perf_counter() - LAUNCHED_AT:.2f} s after launch", file=sys.stderr)
    outcome = {"status": 0}

    def build_and_start() -> None:
        if not window.isVisible():  # closed while starting
            return
        from viewer.gui.state import AppState

        window.build(AppState(make_runner(engine, token_file)))
        state = window.state
        _apply_choice(window, model=model, weights=weights, model_file=model_file, device=device, recipe=recipe)
        if tab is not None:
            window.set_tab(tab)
        if layer:
            state.activations.layers = [layer]
        if expand:
            state.architecture.expand_spec = expand
        if direction:
            window.architecture.set_direction(direction_of(direction))
        if class_ is not None or tab == "heatmap":
            state.heatmap.requested = HeatmapRequest(class_name=None if class_ is None else str(class_))
        print(f"window built {time.perf_counter() - LAUNCHED_AT:.2f} s after launch", file=sys.stderr)
        state.start()
        if images:
            window.open_paths([str(p) for p in images])
        if screenshot:
            save_when_settled(window, Path(screenshot), on_done=lambda status: _finish(window, outcome, status))

    after_first_paint(window, build_and_start)
    app.exec()
    return outcome["status"]


def _apply_choice(
    window: MainWindow,
    *,
    model: str | None,
    weights: str | None,
    model_file: str | None,
    device: str,
    recipe: str | None,
) -> None:
    """The command line's model choice over the saved one (what it does not name is kept)."""
    state = window.state
    saved = state.model.choice
    if model or model_file or weights or device != "auto":
        # A model file named on the command line is the user's explicit consent to run it.
        same_model = (model is None and model_file is None) or (model == saved.model and not model_file)
        state.model.choice = ModelChoice(
            model=None if model_file else (model or saved.model),
            weights=weights or (saved.weights if same_model else ("none" if model_file else "default")),
            model_file=model_file,
            device=device if device != "auto" else saved.device,
        )
    if recipe:
        state.model.choice = replace(state.model.choice, recipe=recipe)
    window.model_bar.set_choice(state.model.choice)


FIRST_PAINT_WAIT_MS = 1000  # a window that never paints (minimised, covered) must not hold the start forever


class _FirstPaint(QtCore.QObject):
    def __init__(self, window: QtWidgets.QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._then: Callable[[], None] | None = then
        window.installEventFilter(self)
        QtCore.QTimer.singleShot(FIRST_PAINT_WAIT_MS, self, self._fire)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint and self._then is not None:
            QtCore.QTimer.singleShot(0, self, self._fire)  # after this paint has finished
        return False

    def _fire(self) -> None:
        if self._then is not None:
            then, self._then = self._then, None
            self._window.removeEventFilter(self)
            then()


def after_first_paint(window: QtWidgets.QWidget, then: Callable[[], None]) -> None:
    """Call ``then`` once ``window`` has painted for the first time (within a second in any case)."""
    _FirstPaint(window, then)


def _finish(window: MainWindow, outcome: dict, status: int) -> None:
    outcome["status"] = status
    window.close()
    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.quit()


def save_when_settled(
    window: MainWindow, path: Path, *, on_done=None, timeout_s: float = SCREENSHOT_TIMEOUT_S, expect_images: bool = True
) -> None:
    """Grab the window into ``path`` once every job of the current state has finished.

    Settled means: the zoo and the model are loaded (or failed with a message), the images are open and
    nothing is queued or running; or the zoo could not be read (no engine: a wrong token, say). Checked on every
    ``idle`` of the runner; a timer gives up after ``timeout_s`` (saving what is there, status 1).
    """
    state = window.state
    started = time.perf_counter()
    done = {"saved": False}

    def settled() -> bool:
        if state.jobs.is_busy():
            return False
        if state.model.registry is None:  # nothing more will come once the zoo could not be read (no engine)
            return state.model.registry_error is not None
        if state.model.info is None and state.model.error is None:
            return False
        return not expect_images or bool(state.images) or state.jobs.pending() == []

    def save(status: int) -> None:
        if done["saved"]:
            return
        done["saved"] = True
        poll.stop()
        QtWidgets.QApplication.processEvents()
        path.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(path), "PNG")
        print(f"screenshot {path} after {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if on_done is not None:
            on_done(status)

    def check() -> None:
        if done["saved"]:
            return
        if settled():
            # One more turn of the event loop so that the views draw what the last signal gave them.
            QtCore.QTimer.singleShot(100, lambda: save(0) if settled() else None)
        elif time.perf_counter() - started > timeout_s:
            save(1)

    poll = QtCore.QTimer(window)
    poll.setInterval(250)
    poll.timeout.connect(check)
    poll.start()
    state.jobs.idle.connect(check)
