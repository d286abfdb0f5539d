"""The screenshots of issue 12 (Compare tab, Explain tab, chart window), taken by ``scripts/screenshots.py``.

Each drives the real app in this process: MobileNetV2 with the shared ImageNet weights on tv_dog2.jpg; the
comparison adds the bundled LeNet-5 and two lecture networks with random weights (a machine without a network
has no other pretrained weights: their columns say "random init"). Called as ``shoot_custom(name, data, out)``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["CUSTOM_SHOTS", "shoot_custom"]

CUSTOM_SHOTS = ("compare", "explain", "chart")
SIZE = (1600, 1000)
TIMEOUT_S = 900.0


def _wait(app, condition: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> bool:
    from PySide6 import QtCore

    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            return False
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)
    for _ in range(5):  # let the views draw what the last signal gave them
        app.processEvents()
        time.sleep(0.05)
    return True


def shoot_custom(name: str, data: Path, out: Path) -> int:
    from viewer.gui.runtime.application import create_application
    from viewer.gui.runtime.settings import use_settings_path
    from viewer.gui.state import AppState, ModelChoice
    from viewer.gui.window.main_window import MainWindow

    app = create_application()
    scratch = tempfile.TemporaryDirectory(prefix="viewer-screenshot-settings-")
    use_settings_path(scratch.name)
    state = AppState()
    window = MainWindow(state)
    state.model.choice = ModelChoice("mobilenet_v2", str(data / "weights" / "mobilenet_v2_imagenet1k.pth"), None, "cpu")
    window.model_bar.set_choice(state.model.choice)
    window.resize(*SIZE)
    window.show()
    state.start()
    window.open_paths([str(data / "images" / "tv_dog2.jpg")])
    ok = _wait(app, lambda: state.model.info is not None and bool(state.images) and not state.jobs.is_busy())
    links = window.compare_links
    target = out / f"{name}.png"
    if name == "compare":
        view = links.compare_view
        window.tabs.setCurrentWidget(view)
        links.state.runs = 3
        view.set_networks(
            [
                ("mobilenet_v2", str(data / "weights" / "mobilenet_v2_imagenet1k.pth")),
                ("lenet5", "default"),
                ("alexnet", "none"),
                ("resnet18", "none"),
            ]
        )
        view.request()
        ok = ok and _wait(app, lambda: links.state.comparison is not None and not state.jobs.is_busy())
        window.grab().save(str(target), "PNG")
    elif name == "explain":
        view = links.explain_view
        window.tabs.setCurrentWidget(view)
        view.stride.setValue(16)
        view.steps.setValue(16)
        view.request()
        ok = ok and _wait(app, lambda: view.found is not None and not state.jobs.is_busy())
        window.grab().save(str(target), "PNG")
    else:
        chart = links.show_chart()
        chart.resize(1300, 850)
        ok = ok and _wait(app, lambda: bool(chart.chart.scatters) and not state.jobs.is_busy())
        chart.grab().save(str(target), "PNG")
    print(f"screenshot {target}", flush=True)
    window.close()
    return 0 if ok else 1
