"""A seeded soak of the real main window: random user actions, and after each one the app's invariants.

``run_soak`` drives a window made by ``window_factory`` through ``actions`` actions drawn from
``random.Random(seed)`` (``viewer.bench.soak_actions``: drops of photos, digits and hostile files, image and
model switches, every tab, Compare, Explain and its costly methods, the heatmap, Cancel, exports, the banner's
buttons, closing and reopening the window). After every action it processes events and checks:

- no bug surfaced: nothing reached ``sys.excepthook`` or ``threading.excepthook``, the error sink reported no
  "Bug…", and no job failed as a bug (a notice "Bug…");
- no result is shown over the wrong input: the prediction, the heatmap, the Explain tab's maps and the Compare
  tab's comparison are each of the image shown (and the first three of the model loaded); checked after every
  action and at the moment each result is delivered;
- memory: every few actions, once the engine is idle, the resident set of the window's process and of its
  engine's, after ``malloc_trim``, less what the app holds by design at that moment (the cached models' tensors
  and the open images' pixels, which the actions make come and go by tens of MB); the least-squares slope over
  the second half is the leak rate.

The test (``tests/gui/window/test_soak.py``) runs a short form; ``viewer bench --only soak`` the long one, in a fresh
process (``python -m viewer.bench.soak``) whose weights cache is empty and whose downloads fail at once (the
offline state a new user sees), so that the pretrained network it picks fails as it would there.
"""

from __future__ import annotations

import gc
import json
import os
import random
import sys
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from viewer.bench.common import Row, measured_in_fresh_process, offscreen_unless_display
from viewer.bench.soak_actions import ACTIONS, SoakContext, SoakData, answer_dialogs, prepare_window
from viewer.bench.soak_checks import Faults, engine_rss_mb, held_by_design_mb, rss_mb, slope_per_100

if TYPE_CHECKING:
    from viewer.gui.window.main_window import MainWindow

__all__ = ["LEAK_GOAL_MB", "SoakReport", "bench_soak", "new_window", "run_soak"]

# A leak worth finding costs a model or an image per action or per window: ResNet-18 is 45 MB, SqueezeNet 5 MB,
# a photo's pixels a few MB. Growth of 10 MB per 100 actions is a SqueezeNet kept every 50 actions; the noise
# (allocator fragments, torch's and Qt's caches warming up, pixmaps) is a few MB either way over a run.
LEAK_GOAL_MB = 10.0
RSS_EVERY = 5  # actions between samples
SETTLE_S = 60.0  # longest wait for an idle worker before a sample (the costly maps take seconds)
BENCH_ACTIONS, BENCH_QUICK_ACTIONS, BENCH_SEED = 500, 100, 19
WAIT_S = 3600


@dataclass
class SoakReport:
    """What a soak found: the bugs and wrong results (each with the action that preceded it), memory, the log."""

    seed: int
    actions: int
    log: list[str] = field(default_factory=list)  # "#i description", one per action: seed + log reproduce it
    exceptions: list[str] = field(default_factory=list)
    wrong_input: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # results seen shown (proof the checks had work)
    rss: list[tuple[int, float, float]] = field(default_factory=list)  # (action, RSS MB, held by design MB)
    elapsed_s: float = 0.0

    @property
    def slope_mb_per_100(self) -> float:
        """Growth of RSS less what the app holds by design, MB per 100 actions, over the second half."""
        half = self.rss[len(self.rss) // 2 :]
        return slope_per_100([(i, rss - held) for i, rss, held in half])

    @property
    def raw_slope_mb_per_100(self) -> float:
        half = self.rss[len(self.rss) // 2 :]
        return slope_per_100([(i, rss) for i, rss, _held in half])


def new_window(choice: Any = None) -> Any:
    """A shown MainWindow on a new AppState, started on ``choice`` (LeNet-5, random init, on the CPU)."""
    from viewer.gui.state import AppState, ModelChoice
    from viewer.gui.window.main_window import MainWindow

    state = AppState()
    window = MainWindow(state, restore_choice=False)
    state.model.choice = choice or ModelChoice("lenet5", "none", None, "cpu")
    window.model_bar.set_choice(state.model.choice)
    window.resize(1200, 800)
    window.show()
    state.start()
    return window


def _run_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``predicate`` holds or ``timeout_s`` passed; whether it holds."""
    from PySide6 import QtCore

    deadline = time.perf_counter() + timeout_s
    while not predicate() and time.perf_counter() < deadline:
        loop = QtCore.QEventLoop()
        QtCore.QTimer.singleShot(20, loop.quit)
        loop.exec()
    return predicate()


def _free_closed() -> None:
    """Deliver the deferred deletions of a closed window (they may post more), then collect."""
    from PySide6 import QtCore, QtWidgets

    for _ in range(3):
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
        QtWidgets.QApplication.processEvents()
    gc.collect()


def run_soak(
    window_factory: Callable[[], Any],
    actions: int,
    seed: int,
    data_dir: Path,
    out_dir: Path,
    hostile: list[Path] | None = None,
) -> SoakReport:
    """Drive windows made by ``window_factory`` through ``actions`` seeded actions (see the module docstring).

    ``data_dir``: the shared test data (``images/``, ``mnist/``, ``weights/``) or a folder of samples; exports
    go into ``out_dir``; ``hostile``: hostile files to drop (None: a few written into ``out_dir``).
    """
    from PySide6 import QtWidgets

    from viewer.bench.soak_actions import write_hostile_files

    report = SoakReport(seed, actions)
    data = SoakData.from_folder(data_dir, [])
    data.hostile = hostile if hostile is not None else write_hostile_files(out_dir / "hostile", data.photos[0])
    rng = random.Random(seed)
    faults = Faults(report)
    closed: list[weakref.ref[Any]] = []

    def open_window() -> Any:
        window = window_factory()
        faults.watch(window)
        _run_until(lambda: window.state.model.info is not None or window.state.model.error is not None, 120)
        return window

    def reopen() -> None:
        old = context.window
        closed.append(weakref.ref(old))
        old.close()
        del old
        _free_closed()
        context.window = open_window()
        prepare_window(context)

    def settle(timeout_s: float) -> bool:
        return _run_until(lambda: not context.window.state.jobs.is_busy(), timeout_s)

    # The first window opens inside faults.hooked() below, which must see it being made.
    context = SoakContext(cast("MainWindow", None), rng, data, out_dir, reopen, settle)
    names, weights = [a[0] for a in ACTIONS], [a[1] for a in ACTIONS]
    table = {name: act for name, _w, act in ACTIONS}
    started = time.perf_counter()
    with faults.hooked(), answer_dialogs(lambda: context):
        context.window = open_window()
        prepare_window(context)
        for index in range(actions):
            name = rng.choices(names, weights)[0]
            faults.action = f"#{index} {name}"
            try:
                what = table[name](context)
            except Exception as error:  # a harness error must not pass for the app's; it ends the soak
                raise RuntimeError(f"soak action #{index} ({name}) failed: {error!r}") from error
            faults.action = f"#{index} {what}"
            report.log.append(faults.action)
            for _turn in range(3):  # an action's later turns (LaterTurns) and queued results
                QtWidgets.QApplication.processEvents()
            faults.check(context.window, "after")
            if index % RSS_EVERY == RSS_EVERY - 1:
                settle(SETTLE_S)
                gc.collect()
                resident = rss_mb() + engine_rss_mb(context.window)  # the window's process and its engine's
                report.rss.append((index + 1, resident, held_by_design_mb(context.window)))
                faults.check(context.window, "settled")
        context.state.cancel()
        settle(SETTLE_S)
        faults.check(context.window, "end")
        context.window.close()
        _free_closed()
    leaked = [ref for ref in closed if ref() is not None]
    if leaked:
        report.exceptions.append(f"{len(leaked)} of {len(closed)} closed windows were never freed")
    report.elapsed_s = time.perf_counter() - started
    return report


# --- the bench row -------------------------------------------------------------------------------------------
def bench_soak(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    """The long soak in a fresh process (its RSS is the soak's alone), with an empty weights cache, offline."""

    actions = BENCH_QUICK_ACTIONS if quick else BENCH_ACTIONS
    with tempfile.TemporaryDirectory(prefix="viewer-bench-soak-") as folder:
        env = offscreen_unless_display(
            {**os.environ, "TORCH_HOME": str(Path(folder) / "torch"), "VIEWER_WEIGHTS_URL_BASE": "http://127.0.0.1:9/"}
        )
        command = [sys.executable, "-m", "viewer.bench.soak", str(actions), folder]
        measured, stderr = measured_in_fresh_process(command, env, "soak ", "the soak", WAIT_S)
    tracebacks = stderr.count("Traceback")
    if os.environ.get("VIEWER_BENCH_DETAILS"):
        print("# soak details " + json.dumps({k: measured[k] for k in ("exceptions", "wrong_input", "rss")}))
    bugs, wrong = len(measured["exceptions"]) + tracebacks, len(measured["wrong_input"])
    slope = measured["slope"]
    return [
        Row(
            "soak",
            f"{actions} seeded actions on the real window (seed {BENCH_SEED}, {measured['elapsed_s']:.0f} s)",
            f"{bugs} bugs, {wrong} results over the wrong input",
            f"{sum(measured['checked'].values())} results checked",
            float(bugs + wrong),
            "0",
            bugs + wrong == 0,
        ),
        Row(
            "soak",
            f"memory over the second half ({len(measured['rss']) // 2} samples)",
            f"{slope:+.1f} MB per 100 actions",
            f"raw RSS {measured['raw_slope']:+.1f} MB per 100 (models and images included)",
            slope,
            f"≤{LEAK_GOAL_MB:.0f} MB",
            slope <= LEAK_GOAL_MB,
        ),
    ]


def _main(actions: int, folder: Path) -> dict[str, Any]:
    from viewer.bench.common import sample_image
    from viewer.gui.runtime.application import create_application
    from viewer.gui.runtime.settings import use_settings_path

    create_application()
    use_settings_path(folder / "settings")  # the user's own settings are neither read nor changed
    shared = sample_image().parents[1]
    if not (shared / "images").is_dir():
        from viewer.gui.window.help_texts import resource_path

        shared = resource_path("sample_dog.jpg").parent
    out = folder / "out"
    out.mkdir()
    report = run_soak(new_window, actions, BENCH_SEED, shared, out)
    found = asdict(report)
    found.update(slope=report.slope_mb_per_100, raw_slope=report.raw_slope_mb_per_100)
    return found


if __name__ == "__main__":  # the soak's own process (see bench_soak)
    result = _main(int(sys.argv[1]), Path(sys.argv[2]))
    print("soak " + json.dumps(result), flush=True)
