"""The screenshots of issue 23 (what a channel looks for, in the Activations tab), taken by ``scripts/screenshots.py``.

Each drives the real app in this process at 1366 x 768 (a laptop): LeNet-5 with its bundled MNIST weights, on one
shared MNIST digit, and a folder of 2,000 MNIST test digits written to a scratch folder (the atlas's index goes to a
scratch cache too). ``channel_patches``: a channel of ``features.3`` with its top nine patches; ``channel_optimised``:
its optimised image; ``channel_deconv``: a cell of its map clicked, with both deconvolution pictures. Called as
``shoot_channel(name, data, out)``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from screenshots_compare import _wait

__all__ = ["CHANNEL_SHOTS", "shoot_channel"]

CHANNEL_SHOTS = ("channel_patches", "channel_optimised", "channel_deconv")
SIZE = (1366, 768)
LAYER, CHANNEL, CELL = "features.3", 9, (3, 4)
DIGITS = 2000


def _digits(data: Path, folder: Path) -> None:
    from PIL import Image

    from viewer.core.images.idx import read_idx

    def read(name: str) -> np.ndarray:
        return read_idx(data / "mnist" / name)

    images, labels = read("t10k-images-idx3-ubyte.gz"), read("t10k-labels-idx1-ubyte.gz")
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(DIGITS):
        Image.fromarray(images[index]).save(folder / f"{index:05d}_{labels[index]}.png")


def shoot_channel(name: str, data: Path, out: Path) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="viewer-screenshot-channel-"))
    os.environ["VIEWER_CACHE_DIR"] = str(scratch / "cache")
    from viewer.gui.runtime.application import create_application
    from viewer.gui.runtime.settings import use_settings_path
    from viewer.gui.state import AppState, ModelChoice
    from viewer.gui.window.main_window import MainWindow

    app = create_application()
    use_settings_path(scratch / "settings")
    _digits(data, scratch / "mnist_digits")
    state = AppState()
    window = MainWindow(state)
    state.model.choice = ModelChoice("lenet5", "default", None, "cpu")
    window.model_bar.set_choice(state.model.choice)
    window.resize(*SIZE)
    window.show()
    window.set_tab("activations")
    state.start()
    window.open_paths([str(data / "mnist" / "mnist_4.png")])
    view, panel = window.activations, window.activations.looks_for
    ok = _wait(app, lambda: state.model.summary is not None and view.shown_grid is not None)
    view.layerRequested.emit(LAYER)
    ok = ok and _wait(app, lambda: view.shown_grid is not None and view.shown_grid.layer == LAYER)
    view.select_channel(CHANNEL)
    window.channel_links.ask_folder = lambda: str(scratch / "mnist_digits")
    panel.folder_button.click()
    ok = ok and _wait(app, lambda: state.channel.patches is not None and not state.jobs.is_busy())
    if name == "channel_optimised":
        panel.setCurrentIndex(0)
        state.channel.steps = 256
        panel.optimise_button.click()
        ok = ok and _wait(app, lambda: state.channel.optimised is not None and not state.jobs.is_busy())
    elif name == "channel_deconv":
        view.detail.cellClicked.emit(*CELL)  # as a click on that cell of the channel's map
        ok = ok and _wait(app, lambda: state.channel.unit is not None and not state.jobs.is_busy())
    window.grab().save(str(out / f"{name}.png"), "PNG")
    window.close()
    return 0 if ok else 1
