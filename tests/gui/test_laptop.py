"""A 1366-px laptop: the window fits, never widens itself; PgUp/PgDn step images from anywhere."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from viewer.cli import build_parser
from viewer.gui.main_window import PREFERRED_SIZE

TIMEOUT = 120_000
LAPTOP_WIDTH = 1280


def test_a_burst_of_images_with_long_status_texts_never_widens_the_window(qtbot, make_window, shared_data):
    window = make_window("lenet5", "default")
    window.resize(1200, 700)
    qtbot.waitUntil(lambda: window.width() == 1200)
    state = window.state
    names = ["sk_camera.png", "sk_chelsea.png", "sk_coffee.png", "kitten.jpg", "tv_dog2.jpg"]
    state.open_paths([str(shared_data / "images" / name) for name in names])
    qtbot.waitUntil(lambda: len(state.images) == len(names) and state.prediction is not None, timeout=TIMEOUT)
    for index in range(len(names)):
        state.set_current(index)
        qtbot.waitUntil(lambda: state.prediction is not None, timeout=TIMEOUT)
    # Long texts, as a slow laptop's timings and a long download message give them.
    state.timings = {f"a long step number {i}": 1234.5 for i in range(12)}
    state.timings_changed.emit(dict(state.timings))
    window.busy_label.setText("Downloading resnext101_64x4d-173b62eb.pth from a very slow mirror " * 3)
    QtWidgets.QApplication.processEvents()
    assert "a long step number 11" in window.status_label.full_text()
    assert window.width() == 1200
    assert window.minimumSizeHint().width() <= LAPTOP_WIDTH and window.minimumWidth() <= LAPTOP_WIDTH


def test_the_first_window_fits_the_available_screen(qtbot, make_window):
    window = make_window("lenet5", "none", start=False)
    area = window.screen().availableGeometry()  # offscreen: 800x800, narrower than any laptop
    # As wide as the screen allows, never narrower than the window can be drawn (≤ 1280, asserted elsewhere).
    assert window.width() <= max(area.width(), window.minimumSizeHint().width())
    assert window.width() < PREFERRED_SIZE[0] and window.height() <= area.height()
    assert area.contains(window.frameGeometry().topLeft())


def test_gui_size_flag_is_parsed():
    assert build_parser().parse_args(["gui", "--size", "1366x768"]).size == (1366, 768)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gui", "--size", "wide"])


def test_page_down_on_the_predictions_tab_steps_the_image_not_top_k(qtbot, make_window, shared_data):
    window = make_window("lenet5", "default")
    state = window.state
    state.open_paths([str(shared_data / "mnist" / f"mnist_{digit}.png") for digit in (1, 2, 3)])
    qtbot.waitUntil(lambda: len(state.images) == 3 and state.prediction is not None, timeout=TIMEOUT)
    window.set_tab("predictions")
    spin = window.predictions.k_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    topk = spin.value()
    qtbot.keyClick(spin, QtCore.Qt.Key.Key_PageDown)
    assert state.current == 1 and spin.value() == topk and state.topk == topk
    qtbot.keyClick(spin, QtCore.Qt.Key.Key_PageUp)
    assert state.current == 0 and spin.value() == topk
    # From the layer tree too (it used to page instead).
    window.set_tab("activations")
    tree = window.views["activations"].tree
    tree.setFocus()
    qtbot.waitUntil(tree.hasFocus)
    qtbot.keyClick(tree, QtCore.Qt.Key.Key_PageDown)
    assert state.current == 1


def test_recent_files_keep_every_image_of_a_multi_drop(qtbot, make_window, drop_files, shared_data):
    window = make_window("lenet5", "none")
    paths = [shared_data / "mnist" / f"mnist_{digit}.png" for digit in (1, 2, 3, 4)]
    assert drop_files(window.image_panel, paths)
    qtbot.waitUntil(lambda: len(window.state.images) == 4, timeout=TIMEOUT)
    names = [action.text() for action in window.recent_menu.actions() if action.toolTip().endswith(".png")]
    assert sorted(names) == [p.name for p in paths]
    assert names[0] == "mnist_1.png"  # the image shown, on top
