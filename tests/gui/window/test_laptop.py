"""A 1366-px laptop: the window fits, never widens itself, every tab fits; PgUp/PgDn step images, Ctrl+1…6 tabs."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from viewer.cli import build_parser
from viewer.commands import gui as gui_command
from viewer.core.results.compare import Comparison, NetworkResult
from viewer.core.results.explain import ExplainSet, Explanation
from viewer.core.results.prediction import TopClass
from viewer.gui.window.main_window import PREFERRED_SIZE, TABS

TIMEOUT = 120_000
LAPTOP_WIDTH = 1280


def test_a_burst_of_images_with_long_status_texts_never_widens_the_window(qtbot, make_window, shared_data):
    window = make_window("lenet5", "default")
    window.resize(1200, 700)
    qtbot.waitUntil(lambda: window.width() == 1200)
    state = window.state
    names = ["sk_camera.png", "sk_chelsea.png", "sk_coffee.png", "kitten.jpg", "tv_dog2.jpg"]
    state.images.open_paths([str(shared_data / "images" / name) for name in names])
    qtbot.waitUntil(
        lambda: len(state.images) == len(names) and state.predictions.prediction is not None, timeout=TIMEOUT
    )
    for index in range(len(names)):
        state.images.set_current(index)
        qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    # Long texts, as a slow laptop's timings and a long download message give them.
    state.model.timings = {f"a long step number {i}": 1234.5 for i in range(12)}
    state.model.timings_changed.emit(dict(state.model.timings))
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
    state.images.open_paths([str(shared_data / "mnist" / f"mnist_{digit}.png") for digit in (1, 2, 3)])
    qtbot.waitUntil(lambda: len(state.images) == 3 and state.predictions.prediction is not None, timeout=TIMEOUT)
    window.set_tab("predictions")
    spin = window.predictions.k_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    topk = spin.value()
    qtbot.keyClick(spin, QtCore.Qt.Key.Key_PageDown)
    assert state.images.current == 1 and spin.value() == topk and state.predictions.topk == topk
    qtbot.keyClick(spin, QtCore.Qt.Key.Key_PageUp)
    assert state.images.current == 0 and spin.value() == topk
    # From the layer tree too (it used to page instead).
    window.set_tab("activations")
    tree = window.views["activations"].tree
    tree.setFocus()
    qtbot.waitUntil(tree.hasFocus)
    qtbot.keyClick(tree, QtCore.Qt.Key.Key_PageDown)
    assert state.images.current == 1


def test_recent_files_keep_every_image_of_a_multi_drop(qtbot, make_window, drop_files, shared_data):
    window = make_window("lenet5", "none")
    paths = [shared_data / "mnist" / f"mnist_{digit}.png" for digit in (1, 2, 3, 4)]
    assert drop_files(window.image_panel, paths)
    qtbot.waitUntil(lambda: len(window.state.images) == 4, timeout=TIMEOUT)
    names = [action.text() for action in window.recent_menu.actions() if action.toolTip().endswith(".png")]
    assert sorted(names) == [p.name for p in paths]
    assert names[0] == "mnist_1.png"  # the image shown, on top


# --- a 1366×768 laptop: every tab fits, with six networks and long messages (issue 19) -----------------------
SIX = [
    ("regnet_y_128gf", "IMAGENET1K_SWAG_LINEAR_V1"),
    ("efficientnet_v2_l", "IMAGENET1K_V1"),
    ("vit_h_14", "IMAGENET1K_SWAG_E2E_V1"),
    ("resnext101_64x4d", "IMAGENET1K_V1"),
    ("convnext_large", "IMAGENET1K_V1"),
    ("mobilenet_v3_large", "IMAGENET1K_V2"),
]
LONG = "resnext101_64x4d: its pretrained weights cannot be had (no network); copy the file there. " * 12


def _network(name: str, weights: str, *, error: str = "", topk=(), heatmap=None) -> NetworkResult:
    """A Compare column's result: the engine's own dataclass, with long names and notes."""
    return NetworkResult(
        model=name,
        family="RegNet",
        weights=weights,
        pretrained=True,
        topk=list(topk),
        time_ms=812.5,
        runs=3,
        params=644_812_456,
        gmacs=127.52,
        accuracy={"acc@1": 86.07, "acc@5": 97.84},
        accuracy_dataset="ImageNet-1K",
        input_size=(3, 384, 384),
        device="cpu",
        notes=["weights trained at 384 px: the input is resized to it, which takes long " * 3],
        error=error,
        heatmap=heatmap,
    )


def _six_columns() -> Comparison:
    top = [TopClass(i, f"a class with a long WordNet name, synonym {i}, another synonym", 1.0, 0.2) for i in range(5)]
    maps = np.linspace(0, 1, 24 * 32, dtype=np.float32).reshape(24, 32)
    networks = [_network(name, weights, topk=top, heatmap=maps) for name, weights in SIX[:5]]
    networks.append(_network(*SIX[5], error=LONG))
    return Comparison("/photos/a very long folder name/kitten.jpg", (400, 300), networks)


def _map(method: str, scores: np.ndarray, parameters: dict[str, object]) -> Explanation:
    return Explanation(
        method, scores, 281, "tabby, tabby cat", parameters, "kitten.jpg", (400, 300), "regnet_y_128gf",
        "IMAGENET1K_SWAG_E2E_V1", None, (384, 288),
    )  # fmt: skip


def _five_maps() -> ExplainSet:
    scores = np.linspace(0, 1, 300 * 400, dtype=np.float32).reshape(300, 400)
    layer = {"layer": "features.denseblock4.denselayer32"}
    results = {m: _map(m, scores, layer) for m in ("dense", "occlusion", "ig")}
    results["saliency"] = _map("saliency", scores, {"patch": 32, "stride": 8})
    return ExplainSet(281, "tabby, tabby cat", results, {"gradcam": LONG}, "regnet_y_128gf", "kitten.jpg")


def test_compare_with_six_networks_and_explain_fit_a_1366_by_768_window(qtbot, make_window):
    window = make_window("lenet5", "none")
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: window.width() == 1366 and window.height() == 768)
    QtWidgets.QApplication.processEvents()
    width, minimum = window.width(), window.minimumSizeHint().width()
    assert window.state.model.registry is not None  # the pickers list the whole zoo, as the student's did

    links = window.compare_links
    compare, explain = links.compare_view, links.explain_view
    compare.set_networks(SIX)
    compare.image = np.full((300, 400, 3), 90, np.uint8)
    compare.set_comparison(_six_columns())
    compare.show_error(LONG)
    explain.set_image(np.full((300, 400, 3), 120, np.uint8))
    explain.set_explanations(_five_maps())
    explain.show_error(LONG)
    assert len(compare.pickers) == len(compare.columns) == 6
    assert compare.status.full_text() == LONG and compare.status.toolTip() == LONG  # the whole text on hover

    for index, tab in enumerate(TABS):
        qtbot.keyClick(window, QtCore.Qt.Key(QtCore.Qt.Key.Key_1 + index), QtCore.Qt.KeyboardModifier.ControlModifier)
        page = window.tabs.currentWidget()
        qtbot.waitUntil(lambda tab=tab, page=page: window.current_tab() == tab and page.isVisible())
        QtWidgets.QApplication.processEvents()  # the layout requests a grown window would come from
        hint = page.minimumSizeHint()
        # The page fits the room it has: nothing cut off, nothing asking the window to grow.
        assert hint.width() <= page.width() and hint.height() <= page.height(), (tab, hint, page.size())
        assert window.width() == width and window.minimumSizeHint().width() == minimum, tab
    assert window.minimumSizeHint().height() <= 768
    assert all(panel.picture.pixmap().width() <= panel.picture.width() for panel in explain.panels.values())


def test_ctrl_1_to_6_switch_to_every_tab(qtbot, make_window):
    window = make_window(start=False)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.tabs.count() == len(TABS) == 6
    for index in reversed(range(len(TABS))):  # from the last: the restored first tab proves nothing
        qtbot.keyClick(window, QtCore.Qt.Key(QtCore.Qt.Key.Key_1 + index), QtCore.Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentIndex() == index and window.current_tab() == TABS[index]


def test_gui_tab_flag_takes_every_tab_of_the_window():
    assert gui_command.TABS == TABS
    for tab in ("compare", "explain"):
        assert build_parser().parse_args(["gui", "--tab", tab]).tab == tab
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gui", "--tab", "nonsense"])


def test_the_chart_and_groups_windows_fit_the_available_screen(qtbot):
    from viewer.gui.widgets.architecture.groups import GroupsWindow
    from viewer.gui.widgets.compare.chart import ChartWindow

    for window in (ChartWindow(), GroupsWindow()):
        qtbot.addWidget(window)
        area = window.screen().availableGeometry()  # offscreen: 800x800, smaller than their preferred size
        assert window.height() <= area.height() and area.contains(window.frameGeometry().topLeft())
        assert window.width() <= max(area.width(), window.minimumSizeHint().width())
