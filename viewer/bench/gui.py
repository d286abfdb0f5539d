"""How responsive the desktop app stays: the GUI thread's longest stall while heavy jobs run, and launch time.

Stalls: a 5 ms ``QTimer`` ticks on the GUI thread while the real window loads VGG19, then classifies a photo,
captures its first convolution and computes a 3-scale dense heatmap on the worker; the longest gap between
ticks is the longest time the window could not repaint or answer a click. Jobs run on a worker thread, but
Python code there (tracing, summaries, building models) holds the GIL; these gaps show how much of it leaks.
It runs in a fresh process, as the app does: torch is first imported there by the app's own worker.

Launch: a fresh ``python`` process runs the app's real entry point (``run_gui``, which starts its engine
process); the time from just before the process is spawned (interpreter start and every import included) to the
window's first paint (its frame: title, status bar, "Starting…"), against the same for a bare PySide6 window; and
whether torch was in the window's process. A second row, for information: the time until the window paints with
every view built (the views' imports, pyqtgraph and numpy, come after the first paint).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import pairwise

from viewer.bench.common import Row, measured_in_fresh_process, offscreen_unless_display, sample_image, wait_until

__all__ = ["bench_gui"]

GAP_GOAL_MS = 30.0
LAUNCH_GOAL_RATIO = 2.5  # launch to first paint / a bare PySide6 window
TICK_MS = 5
HEATMAP_SCALES = (1.0, 1.4, 2.0)
WAIT_S = 900  # gives up (and says so) rather than hang


def bench_gui(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    launches = [
        (_launch_seconds(_BARE_WINDOW_SCRIPT), _launch_seconds(_LAUNCH_SCRIPT)) for _ in range(1 if quick else 3)
    ]
    bare_window, launch = min(bare[0] for bare, _ in launches), min(ours[0] for _, ours in launches)
    ready = min(ours[1] for _, ours in launches)
    torch_in_window = any(ours[2] for _, ours in launches)
    ratio = launch / bare_window
    working, loading, elapsed = _stalls_in_a_fresh_process(device)
    return [
        *_latency_rows(device, quick),
        Row(
            "gui",
            f"VGG19 classify + activations + {len(HEATMAP_SCALES)}-scale heatmap ({elapsed:.0f} s)",
            f"longest stall {working:.0f} ms",
            f"{TICK_MS} ms timer",
            working,
            f"≤{GAP_GOAL_MS:.0f} ms",
            working <= GAP_GOAL_MS,
        ),
        Row(
            "gui",
            "loading VGG19 + its summary (first torch import included)",
            f"longest stall {loading:.0f} ms",
            f"{TICK_MS} ms timer",
            loading,
            "-",
            None,
        ),
        Row(
            "gui",
            f"launch to window painted (fresh process; torch in the window's: {'yes' if torch_in_window else 'no'})",
            f"{launch:.2f} s",
            f"a bare PySide6 window {bare_window:.2f} s",
            ratio,
            f"≤{LAUNCH_GOAL_RATIO}",
            ratio <= LAUNCH_GOAL_RATIO and not torch_in_window,
        ),
        Row(
            "gui",
            "launch to every view built and painted (the frame paints first; the engine starts after)",
            f"{ready:.2f} s",
            f"a bare PySide6 window {bare_window:.2f} s",
            ready / bare_window,
            "-",
            None,
        ),
    ]


def _environment() -> dict[str, str]:
    return offscreen_unless_display({**os.environ})


def _latency_rows(device: str, quick: bool) -> list[Row]:
    """Drop → top-k, picker → top-k and the rapid-switching soak (``viewer.bench.gui_latency``), fresh process."""
    from viewer.bench.gui_latency import latency_rows

    command = [sys.executable, "-m", "viewer.bench.gui_latency", device] + (["quick"] if quick else [])
    measured, _stderr = measured_in_fresh_process(
        command, _environment(), "latency ", "the GUI latency benchmark", WAIT_S + 120
    )
    if os.environ.get("VIEWER_BENCH_DETAILS"):  # where the time goes: job starts per switch, the worst gaps
        print("# gui latency details " + json.dumps({k: measured[k] for k in ("switch", "occlusion", "soak")}))
    return latency_rows(measured)


# --- GUI-thread stalls ----------------------------------------------------------------------------------
def _stalls_in_a_fresh_process(device: str) -> tuple[float, float, float]:
    """(longest stall while working, longest stall while loading, seconds of work), measured in a new process."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "viewer.bench.gui", device],
            capture_output=True,
            text=True,
            env=_environment(),
            timeout=WAIT_S + 120,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the GUI benchmark did not finish within {WAIT_S + 120} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("stalls ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the GUI benchmark failed (exit {done.returncode}): {done.stderr[-800:]}")
    measured = json.loads(lines[-1].removeprefix("stalls "))
    return measured["working_ms"], measured["loading_ms"], measured["elapsed_s"]


def _measure_stalls(device: str) -> dict[str, float]:
    from PySide6 import QtCore

    from viewer.core.options import HeatmapRequest
    from viewer.gui.runtime.application import create_application
    from viewer.gui.runtime.settings import use_settings_path
    from viewer.gui.state import AppState, ModelChoice
    from viewer.gui.window.launch import after_first_paint
    from viewer.gui.window.main_window import MainWindow

    create_application()
    scratch = tempfile.TemporaryDirectory(prefix="viewer-bench-settings-")
    use_settings_path(scratch.name)  # the user's own settings are neither read nor changed
    state = AppState()
    window = MainWindow(state, restore_choice=False)
    state.model.choice = ModelChoice("vgg19", "none", None, device)
    window.model_bar.set_choice(state.model.choice)
    window.show()
    ticks: list[float] = []
    ticker = QtCore.QTimer()
    ticker.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    try:
        ticker.start()
        after_first_paint(window, state.start)  # as the app starts its worker (viewer.gui.window.launch)
        wait_until(lambda: state.model.summary is not None or state.model.error is not None)
        if state.model.error is not None:
            raise RuntimeError(f"VGG19 did not load: {state.model.error.message}")
        loading = _longest_gap_ms(ticks)
        ticks.clear()
        started = time.perf_counter()
        state.heatmap.request(HeatmapRequest(scales=HEATMAP_SCALES))
        window.open_paths([str(sample_image())])
        wait_until(
            lambda: (
                state.predictions.prediction is not None
                and state.activations.shown is not None
                and state.heatmap.shown is not None
                and not state.jobs.is_busy()
            )
        )
        ticker.stop()
        elapsed = time.perf_counter() - started
        working = _longest_gap_ms(ticks)
    finally:
        ticker.stop()
        window.close()
        scratch.cleanup()
    return {"working_ms": working, "loading_ms": loading, "elapsed_s": elapsed}


def _longest_gap_ms(ticks: list[float]) -> float:
    return max((b - a for a, b in pairwise(ticks)), default=float("nan")) * 1e3


# --- launch time ----------------------------------------------------------------------------------------
_LAUNCH_SCRIPT = """
import sys, time
from PySide6 import QtCore, QtWidgets
from viewer.gui.runtime.settings import use_settings_path
use_settings_path(sys.argv[1])
from viewer.gui.runtime.application import create_application
from viewer.gui.window.launch import run_gui

app = create_application()

class FirstPaint(QtCore.QObject):
    seen = False

    def eventFilter(self, watched, event):
        if event.type() == QtCore.QEvent.Type.Paint and isinstance(watched, QtWidgets.QMainWindow):
            if not self.seen:  # the frame
                self.seen = True
                print(f"painted {time.time():.6f} {int('torch' in sys.modules)}", flush=True)
            if watched.built:  # the views too
                print(f"ready {time.time():.6f} {int('torch' in sys.modules)}", flush=True)
                QtCore.QTimer.singleShot(0, watched.close)  # closing the last window ends run_gui
        return False

first_paint = FirstPaint()
app.installEventFilter(first_paint)
QtCore.QTimer.singleShot(120_000, app.quit)  # never hang the benchmark
sys.exit(run_gui([]))
"""


# The same measurement for an empty QMainWindow: what Python and Qt alone cost on this machine, so that the
# launch time can be read on a machine slower or faster than the one the goal was set on.
_BARE_WINDOW_SCRIPT = """
import sys, time
from PySide6 import QtCore, QtWidgets

app = QtWidgets.QApplication(sys.argv[:1])

class FirstPaint(QtCore.QObject):
    def eventFilter(self, watched, event):
        if event.type() == QtCore.QEvent.Type.Paint and isinstance(watched, QtWidgets.QMainWindow):
            print(f"painted {time.time():.6f} 0", flush=True)
            QtCore.QTimer.singleShot(0, app.quit)
        return False

first_paint = FirstPaint()
app.installEventFilter(first_paint)
window = QtWidgets.QMainWindow()
window.show()
QtCore.QTimer.singleShot(120_000, app.quit)
app.exec()
"""


def _launch_seconds(script: str) -> tuple[float, float, bool]:
    """Seconds from spawning a fresh interpreter running ``script`` to its window first painting, and to its
    painting with the views built (the same for a bare window); and whether torch was imported in that process."""
    with tempfile.TemporaryDirectory(prefix="viewer-bench-launch-") as folder:
        spawned = time.time()
        done = subprocess.run(
            [sys.executable, "-c", script, folder],
            capture_output=True,
            text=True,
            env=_environment(),
            timeout=300,
        )
    events = {line.split()[0]: line.split()[1:] for line in reversed(done.stdout.splitlines())}  # first of each
    if "painted" not in events:
        raise RuntimeError(f"the app did not paint its window (exit {done.returncode}): {done.stderr[-500:]}")
    painted, torch_imported = events["painted"]
    ready = events.get("ready", events["painted"])[0]
    return (
        float(painted) - spawned,
        float(ready) - spawned,
        torch_imported == "1" or events.get("ready", [0, 0])[1] == "1",
    )


if __name__ == "__main__":  # the stall measurement's own process (see _stalls_in_a_fresh_process)
    print("stalls " + json.dumps(_measure_stalls(sys.argv[1] if len(sys.argv) > 1 else "cpu")), flush=True)
