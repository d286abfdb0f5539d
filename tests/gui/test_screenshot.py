"""Screenshot mode: the real app, offscreen, waits for its jobs, writes a non-blank PNG and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from PIL import Image


def test_screenshot_mode_writes_a_settled_window(tmp_path, shared_data):
    target = tmp_path / "shot.png"
    code = (
        "import sys; from viewer.gui.launch import run_gui; "
        "raise SystemExit(run_gui([sys.argv[1]], model='lenet5', weights='none', device='cpu', "
        "tab='predictions', screenshot=sys.argv[2]))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}  # never the user's settings
    done = subprocess.run([sys.executable, "-c", code, str(shared_data / "mnist" / "mnist_7.png"), str(target)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "window shown" in done.stderr
    picture = np.asarray(Image.open(target).convert("RGB"))
    assert picture.shape[:2] == (860, 1400)
    assert picture.std() > 20  # not blank: widgets, text, the digit
    # The digit's prediction was drawn before the shot: the top-k bars' colour is on screen.
    bar_colour = np.array([0x1B, 0x5F, 0xBF])
    assert (np.abs(picture.astype(int) - bar_colour).sum(axis=2) < 10).sum() > 100
