"""Every tab exports its files, atomically, from its own Export… button, asking before overwriting."""

from __future__ import annotations

import csv
import json

import numpy as np
from PySide6 import QtWidgets
from PySide6.QtCore import Qt

TIMEOUT = 120_000


def _click(qtbot, window, name: str) -> None:
    button = window.findChild(QtWidgets.QPushButton, name)
    qtbot.waitUntil(button.isEnabled, timeout=TIMEOUT)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_each_tab_export_writes_its_files(qtbot, make_window, shared_data, tmp_path):
    window = make_window("lenet5", "default")
    state = window.state
    state.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: state.prediction is not None and state.activation_grid is not None, timeout=TIMEOUT)
    exports = window.tab_exports
    asked: list[list] = []
    exports.ask_overwrite = lambda paths: asked.append(paths) or True

    # Predictions: CSV + JSON + chart PNG.
    exports.ask_save_path = lambda _title, _suggested, _filters: str(tmp_path / "seven.csv")
    with qtbot.waitSignal(state.export_finished, timeout=TIMEOUT) as done:
        _click(qtbot, window, "exportPredictionsButton")
    assert sorted(p.rsplit("/", 1)[-1] for p in done.args[0].files) == ["seven.csv", "seven.json", "seven.png"]
    rows = list(csv.DictReader((tmp_path / "seven.csv").open()))
    assert len(rows) == state.topk and rows[0]["class_name"] == "7" and rows[0]["model"] == "lenet5"
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
    with qtbot.waitSignal(state.export_finished, timeout=TIMEOUT):
        _click(qtbot, window, "exportActivationsButton")
    values = np.load(tmp_path / "conv1.npy")
    assert values.shape == np.shape(state.activation_grid.activation.array) and values.shape[0] == 6
    assert (tmp_path / "conv1.png").read_bytes()[:4] == b"\x89PNG"

    # Architecture: the table as CSV (rows of graph_rows), beside SVG/PNG.
    window.set_tab("architecture")
    view = window.views["architecture"]
    qtbot.waitUntil(lambda: state.graph is not None, timeout=TIMEOUT)
    view.choose_export_path = lambda: str(tmp_path / "lenet5.csv")
    with qtbot.waitSignal(view.exported, timeout=TIMEOUT):
        _click(qtbot, window, "exportArchitectureButton")
    from viewer.core.graph_table import graph_rows

    table = list(csv.DictReader((tmp_path / "lenet5.csv").open()))
    assert len(table) == len(graph_rows(state.graph)) and any(row["type"] == "Conv2d" for row in table)

    # Heatmap: PNG overlay + NPY + JSON, as before.
    window.set_tab("heatmap")
    heatmap = window.views["heatmap"]
    qtbot.mouseClick(heatmap.compute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state.heatmap is not None, timeout=TIMEOUT)
    heatmap.choose_export_path = lambda: str(tmp_path / "map.png")
    with qtbot.waitSignal(state.export_finished, timeout=TIMEOUT) as done:
        _click(qtbot, window, "exportHeatmapButton")
    assert {p.rsplit(".", 1)[-1] for p in done.args[0].files} == {"png", "npy", "json"}
