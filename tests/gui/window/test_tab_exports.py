"""Every tab exports its files, atomically, from its own Export… button, asking before overwriting; a refusal is
one sentence on the tab, and a tab never shown still exports what it would draw."""

from __future__ import annotations

import csv
import json

import numpy as np
from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import Qt

from viewer.core.file_export import TEMPORARY_PREFIX
from viewer.gui.runtime.settings import Settings

TIMEOUT = 120_000


def _click(qtbot, window, name: str) -> None:
    button = window.findChild(QtWidgets.QPushButton, name)
    qtbot.waitUntil(button.isEnabled, timeout=TIMEOUT)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_each_tab_export_writes_its_files(qtbot, make_window, shared_data, tmp_path):
    window = make_window("lenet5", "default")
    state = window.state
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.activations.grid is not None, timeout=TIMEOUT
    )
    exports = window.tab_exports
    asked: list[list] = []
    exports.ask_overwrite = lambda paths: asked.append(paths) or True

    # Predictions: CSV + JSON + chart PNG.
    exports.ask_save_path = lambda _title, _suggested, _filters: str(tmp_path / "seven.csv")
    with qtbot.waitSignal(state.exports.finished, timeout=TIMEOUT) as done:
        _click(qtbot, window, "exportPredictionsButton")
    assert sorted(p.rsplit("/", 1)[-1] for p in done.args[0].files) == ["seven.csv", "seven.json", "seven.png"]
    rows = list(csv.DictReader((tmp_path / "seven.csv").open()))
    assert len(rows) == state.predictions.topk and rows[0]["class_name"] == "7" and rows[0]["model"] == "lenet5"
    assert json.loads((tmp_path / "seven.json").read_text())["topk"][0]["name"] == "7"
    assert (tmp_path / "seven.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert asked == []
    # Again: the app asks before overwriting (declined: nothing is submitted, the files stay).
    exports.ask_overwrite = lambda paths: asked.append(paths) or False
    before = (tmp_path / "seven.csv").stat().st_mtime_ns
    assert not exports.export_predictions()
    assert [p.name for p in asked[-1]] == ["seven.csv", "seven.json", "seven.png"]
    assert (tmp_path / "seven.csv").stat().st_mtime_ns == before
    exports.ask_overwrite = lambda paths: True

    # Activations: the grid PNG and the layer's NPY (all channels).
    window.set_tab("activations")
    exports.ask_save_path = lambda _title, _suggested, _filters: str(tmp_path / "conv1.png")
    with qtbot.waitSignal(state.exports.finished, timeout=TIMEOUT):
        _click(qtbot, window, "exportActivationsButton")
    values = np.load(tmp_path / "conv1.npy")
    assert values.shape == np.shape(state.activations.grid.activation.array) and values.shape[0] == 6
    assert (tmp_path / "conv1.png").read_bytes()[:4] == b"\x89PNG"

    # Architecture: the table as CSV (rows of graph_rows), beside SVG/PNG.
    window.set_tab("architecture")
    view = window.views["architecture"]
    qtbot.waitUntil(lambda: state.architecture.graph is not None, timeout=TIMEOUT)
    view.choose_export_path = lambda: str(tmp_path / "lenet5.csv")
    with qtbot.waitSignal(view.exported, timeout=TIMEOUT):
        _click(qtbot, window, "exportArchitectureButton")
    from viewer.core.graph.table import graph_rows

    table = list(csv.DictReader((tmp_path / "lenet5.csv").open()))
    assert len(table) == len(graph_rows(state.architecture.graph)) and any(row["type"] == "Conv2d" for row in table)

    # Heatmap: PNG overlay + NPY + JSON, as before.
    window.set_tab("heatmap")
    heatmap = window.views["heatmap"]
    qtbot.mouseClick(heatmap.compute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state.heatmap.shown is not None, timeout=TIMEOUT)
    heatmap.choose_export_path = lambda: str(tmp_path / "map.png")
    with qtbot.waitSignal(state.exports.finished, timeout=TIMEOUT) as done:
        _click(qtbot, window, "exportHeatmapButton")
    assert {p.rsplit(".", 1)[-1] for p in done.args[0].files} == {"png", "npy", "json"}


def _leftovers(folder) -> list:
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMPORARY_PREFIX)]


def test_a_predictions_export_from_a_never_shown_tab_draws_the_chart_and_asks_before_replacing(
    qtbot, make_window, shared_data, tmp_path
):
    settings = Settings()
    settings.set_tab("architecture")  # the window opens on another tab: Predictions is never shown
    settings.sync()
    window = make_window("lenet5", "default")
    state = window.state
    assert window.current_tab() == "architecture"
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    assert not window.predictions.isVisible()
    for suffix in (".csv", ".json", ".png"):  # an older set: replaced only when the user says so
        (tmp_path / f"seven{suffix}").write_text("old")
    exports = window.tab_exports
    asked: list[list] = []
    exports.ask_overwrite = lambda paths: asked.append(paths) or True
    with qtbot.waitSignal(state.exports.finished, timeout=TIMEOUT):
        assert exports.export_predictions(str(tmp_path / "seven.csv"))
    assert [[p.name for p in paths] for paths in asked] == [["seven.csv", "seven.json", "seven.png"]]
    chart = QtGui.QImage(str(tmp_path / "seven.png"))
    assert not chart.isNull() and chart.width() >= 300 and chart.height() >= 150
    assert len({chart.pixel(x, chart.height() // 2) for x in range(chart.width())}) > 1  # bars, not a blank
    assert json.loads((tmp_path / "seven.json").read_text())["topk"][0]["name"] == "7"
    assert _leftovers(tmp_path) == [] and window.predictions.export_message.text() == ""


def test_a_refused_export_is_one_sentence_on_its_tab_and_nothing_on_stderr(
    qtbot, make_window, shared_data, tmp_path, capfd
):
    window = make_window("lenet5", "default")
    state = window.state
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    # The diagram laid out: before that, its export says there is nothing to export yet.
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.architecture.layout is not None, timeout=TIMEOUT
    )
    (tmp_path / "file.txt").write_text("a file where a folder should be: read-only even for root")
    capfd.readouterr()

    # Architecture: written on the GUI thread by the button's own handler.
    window.set_tab("architecture")
    view = window.views["architecture"]
    message = view.findChild(QtWidgets.QLabel, "architectureExportMessage")
    for target, sentence in (
        (tmp_path / "file.txt" / "net.svg", "is a file, not a folder"),
        (tmp_path / "missing" / "net.png", "does not exist"),
        (tmp_path / "file.txt" / "net.csv", "is a file, not a folder"),
    ):
        view.choose_export_path = lambda target=target: str(target)
        _click(qtbot, window, "exportArchitectureButton")
        assert message.isVisible() and sentence in message.text() and message.text().count(". ") == 0
    assert not (tmp_path / "missing").exists()

    # Predictions: refused before the worker is asked.
    window.set_tab("predictions")
    window.tab_exports.ask_save_path = lambda _title, _suggested, _filters: str(tmp_path / "missing" / "top.csv")
    _click(qtbot, window, "exportPredictionsButton")
    label = window.findChild(QtWidgets.QLabel, "predictionsExportMessage")
    assert label.isVisible() and "does not exist" in label.text()

    # Heatmap: refused on the worker, said on the tab.
    window.set_tab("heatmap")
    heatmap = window.views["heatmap"]
    qtbot.mouseClick(heatmap.compute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state.heatmap.shown is not None, timeout=TIMEOUT)
    heatmap.choose_export_path = lambda: str(tmp_path / "file.txt" / "map.png")
    with qtbot.waitSignal(state.jobs.errored, timeout=TIMEOUT):
        _click(qtbot, window, "exportHeatmapButton")
    said = window.findChild(QtWidgets.QLabel, "heatmapExportMessage")
    assert said.isVisible() and "is a file, not a folder" in said.text()
    assert (
        state.notices.notice is None or "file.txt" not in state.notices.notice.text
    )  # on the tab, not also in the banner

    assert "Traceback" not in capfd.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
