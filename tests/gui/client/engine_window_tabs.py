"""Run by test_engine_window.py in its own process: the window on the engine process, every tab visited.

Prints one JSON line: the notices the window said, each tab's jobs settled or not, whether torch was imported
here, the engine's pid.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets

WAIT_S = 300.0  # generous: a shared CPU, the engine imports torch and builds each tab's model work


def wait_until(condition, timeout_s: float = WAIT_S) -> bool:
    """Turn the event loop until ``condition()`` holds (True) or ``timeout_s`` passed (False)."""
    deadline = time.monotonic() + timeout_s
    loop = QtCore.QEventLoop()
    while not condition():
        if time.monotonic() > deadline:
            return False
        QtCore.QTimer.singleShot(20, loop.quit)
        loop.exec()
    return True


def main(settings_dir: str, weights: str, image: str) -> int:
    from viewer.gui.jobs.runner import JobRunner
    from viewer.gui.runtime.application import create_application
    from viewer.gui.runtime.settings import use_settings_path
    from viewer.gui.state import AppState, ModelChoice
    from viewer.gui.window.main_window import TABS, MainWindow

    create_application()
    use_settings_path(settings_dir)
    state = AppState(runner=JobRunner())
    notices: list[str] = []
    state.notices.message.connect(lambda notice: notices.append(notice.text))
    window = MainWindow(state)
    state.model.choice = ModelChoice("mobilenet_v2", weights, None, "cpu")
    window.model_bar.set_choice(state.model.choice)
    window.resize(1400, 860)
    window.show()
    state.start()
    loaded = wait_until(lambda: state.model.info is not None or state.model.error is not None)
    window.open_paths([image])
    settled: dict[str, bool] = {}
    for tab in TABS:
        window.set_tab(tab)
        settled[tab] = wait_until(lambda: bool(state.images) and not state.jobs.is_busy())
    prediction = state.predictions.prediction
    report = {
        "loaded": loaded and state.model.info is not None,
        "settled": settled,
        "notices": notices,
        "torch": "torch" in sys.modules,
        "engine_pid": state.jobs.client.pid,  # type: ignore[attr-defined]
        "topk": [(top.index, round(top.prob, 6)) for top in prediction.topk] if prediction else None,
    }
    window.close()
    QtWidgets.QApplication.processEvents()
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
