"""Screenshot mode: the real app, offscreen, waits for its jobs, writes a non-blank PNG and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from viewer.core.options import HeatmapRequest


def test_screenshot_mode_writes_a_settled_window(tmp_path, shared_data):
    target = tmp_path / "shot.png"
    code = (
        "import sys; from viewer.gui.window.launch import run_gui; "
        "raise SystemExit(run_gui([sys.argv[1]], model='lenet5', weights='none', device='cpu', "
        "tab='predictions', screenshot=sys.argv[2]))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}  # never the user's settings
    done = subprocess.run(
        [sys.executable, "-c", code, str(shared_data / "mnist" / "mnist_7.png"), str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "window shown" in done.stderr
    picture = np.asarray(Image.open(target).convert("RGB"))
    assert picture.shape[:2] == (860, 1400)
    assert picture.std() > 20  # not blank: widgets, text, the digit
    # The digit's prediction was drawn before the shot: the top-k bars' colour is on screen.
    bar_colour = np.array([0x1B, 0x5F, 0xBF])
    assert (np.abs(picture.astype(int) - bar_colour).sum(axis=2) < 10).sum() > 100


# tab -> {objectName: least pixel spread (std) of that widget in the screenshot}. Measured on this
# window: with nothing loaded these widgets spread 12, 11, 0, 5, 27, 32 and 19 (a disabled button);
# drawn with LeNet-5 on a digit 74, 32, 72, 33, 58, 33 and 55. The architecture diagram spreads 5 empty and
# 18 with LeNet-5's graph (one narrow column of boxes on white, at a readable zoom).
TAB_WIDGETS = {
    "predictions": {"topkView": 40},
    "activations": {"layerTree": 20, "activationGrid": 20},
    "architecture": {"architectureView": 12},
    "heatmap": {"heatmapView": 40, "heatmapClassPicker": 20, "exportHeatmapButton": 35},
}


@pytest.mark.parametrize("tab", list(TAB_WIDGETS))
def test_each_tab_screenshot_shows_its_widgets_drawn(tab, qtbot, make_window, shared_data, tmp_path):
    from PySide6 import QtCore, QtWidgets

    from viewer.gui.window.launch import save_when_settled

    window = make_window("lenet5", "default", start=False)
    window.resize(1400, 860)
    window.set_tab(tab)
    if tab == "heatmap":
        window.state.heatmap.requested = HeatmapRequest()  # as `viewer gui --tab heatmap` asks: the top class's map
    window.state.start()
    window.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    target = tmp_path / f"{tab}.png"
    statuses = []
    save_when_settled(window, target, on_done=statuses.append, timeout_s=120)
    qtbot.waitUntil(lambda: statuses != [], timeout=150_000)
    assert statuses == [0] and window.state.model.info is not None and window.state.predictions.prediction is not None
    picture = np.asarray(Image.open(target).convert("RGB")).astype(float)
    for name, least_spread in TAB_WIDGETS[tab].items():
        widget = window.findChild(QtWidgets.QWidget, name)
        assert widget is not None and widget.isVisible(), name
        corner = widget.mapTo(window, QtCore.QPoint(0, 0))
        ratio = picture.shape[1] / window.width()
        x, y = int(corner.x() * ratio), int(corner.y() * ratio)
        crop = picture[y : y + int(widget.height() * ratio), x : x + int(widget.width() * ratio)]
        assert crop.size and crop.std() > least_spread, f"{name} looks empty in the {tab} screenshot"
    if tab == "heatmap":
        assert window.views["heatmap"].shown_class == 7  # the digit's own class, drawn before the shot
    if tab == "activations":
        assert window.views["activations"].shown_channel_count == 6  # LeNet-5's first convolution
