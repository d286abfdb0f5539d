"""How responsive the desktop app stays: the GUI thread's longest stall while heavy jobs run, and launch time.

Stalls: a 5 ms ``QTimer`` ticks on the GUI thread while the real window loads VGG19, then classifies a photo,
captures its first convolution and computes a 3-scale dense heatmap on the worker; the longest gap between
ticks is the longest time the window could not repaint or answer a click. Jobs run on a worker thread, but
Python code there (tracing, summaries, building models) holds the GIL; these gaps show how much of it leaks.

Launch: a fresh ``python`` process runs the app's real entry point (``run_gui``); the time from just before
the process is spawned (interpreter start and every import included) to the window's first paint.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from viewer.bench import Row

__all__ = ["bench_gui"]

GAP_GOAL_MS = 30.0
LAUNCH_GOAL_S = 1.0
TICK_MS = 5
HEATMAP_SCALES = (1.0, 1.4, 2.0)
WAIT_S = 900  # gives up (and says so) rather than hang


def bench_gui(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    launches = [_launch_seconds() for _ in range(1 if quick else 3)]
    launch = min(launches)
    rows = _stalls(device)
    rows.append(Row("gui", "launch to window painted (fresh process)", f"{launch:.2f} s",
                    "process spawn", launch, f"≤{LAUNCH_GOAL_S:.0f} s", launch <= LAUNCH_GOAL_S))
    return rows


# --- GUI-thread stalls ----------------------------------------------------------------------------------
def _stalls(device: str) -> list[Row]:
    from PySide6 import QtCore

    from viewer.bench.classify import sample_image
    from viewer.gui.app import create_application
    from viewer.gui.main_window import MainWindow
    from viewer.gui.settings import use_settings_path
    from viewer.gui.state import AppState, ModelChoice

    create_application()
    scratch = tempfile.TemporaryDirectory(prefix="viewer-bench-settings-")
    use_settings_path(scratch.name)  # the user's own settings are neither read nor changed
    state = AppState()
    window = MainWindow(state, restore_choice=False)
    state.choice = ModelChoice("vgg19", "none", None, device)
    window.model_bar.set_choice(state.choice)
    window.show()
    ticks: list[float] = []
    ticker = QtCore.QTimer()
    ticker.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    rows = []
    try:
        ticker.start()
        state.start()
        _wait_until(lambda: state.summary is not None or state.model_error is not None)
        if state.model_error is not None:
            raise RuntimeError(f"VGG19 did not load: {state.model_error.message}")
        loading = _longest_gap_ms(ticks)
        ticks.clear()
        started = time.perf_counter()
        state.request_heatmap(scales=HEATMAP_SCALES)
        window.open_paths([str(sample_image())])
        _wait_until(lambda: state.prediction is not None and state.activations is not None
                    and state.heatmap is not None and not state.jobs.is_busy())
        ticker.stop()
        elapsed = time.perf_counter() - started
        working = _longest_gap_ms(ticks)
        rows.append(Row("gui", f"VGG19 classify + activations + {len(HEATMAP_SCALES)}-scale heatmap ({elapsed:.0f} s)",
                        f"longest stall {working:.0f} ms", f"{TICK_MS} ms timer", working, f"≤{GAP_GOAL_MS:.0f} ms",
                        working <= GAP_GOAL_MS))
        rows.append(Row("gui", "loading VGG19 + its summary (first torch use included)",
                        f"longest stall {loading:.0f} ms", f"{TICK_MS} ms timer", loading, "-", None))
    finally:
        ticker.stop()
        window.close()
        scratch.cleanup()
    return rows


def _longest_gap_ms(ticks: list[float]) -> float:
    return max((b - a for a, b in zip(ticks, ticks[1:])), default=float("nan")) * 1e3


def _wait_until(predicate: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Run the event loop until ``predicate`` holds (checked every 20 ms), or fail after ``timeout_s``."""
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    deadline = time.perf_counter() + timeout_s

    def check() -> None:
        if predicate() or time.perf_counter() > deadline:
            loop.quit()

    poll = QtCore.QTimer()
    poll.setInterval(20)
    poll.timeout.connect(check)
    poll.start()
    if not predicate():
        loop.exec()
    poll.stop()
    if not predicate():
        raise TimeoutError(f"the GUI benchmark gave up after {timeout_s:.0f} s")


# --- launch time ----------------------------------------------------------------------------------------
_LAUNCH_SCRIPT = """
import sys, time
from PySide6 import QtCore, QtWidgets
from viewer.gui.settings import use_settings_path
use_settings_path(sys.argv[1])
from viewer.gui.app import create_application
from viewer.gui.launch import run_gui

app = create_application()

class FirstPaint(QtCore.QObject):
    seen = False

    def eventFilter(self, watched, event):
        if not self.seen and event.type() == QtCore.QEvent.Type.Paint and isinstance(watched, QtWidgets.QMainWindow):
            self.seen = True
            print(f"painted {time.time():.6f}", flush=True)
            QtCore.QTimer.singleShot(0, watched.close)  # closing the last window ends run_gui
        return False

first_paint = FirstPaint()
app.installEventFilter(first_paint)
QtCore.QTimer.singleShot(120_000, app.quit)  # never hang the benchmark
sys.exit(run_gui([]))
"""


def _launch_seconds() -> float:
    """Seconds from spawning a fresh interpreter to the app's window first painting."""
    with tempfile.TemporaryDirectory(prefix="viewer-bench-launch-") as folder:
        env = {**os.environ}
        if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
            env["QT_QPA_PLATFORM"] = "offscreen"
        spawned = time.time()
        done = subprocess.run([sys.executable, "-c", _LAUNCH_SCRIPT, folder], capture_output=True, text=True,
                              env=env, timeout=300)
    painted = [line for line in done.stdout.splitlines() if line.startswith("painted ")]
    if not painted:
        raise RuntimeError(f"the app did not paint its window (exit {done.returncode}): {done.stderr[-500:]}")
    return float(painted[0].split()[1]) - spawned
