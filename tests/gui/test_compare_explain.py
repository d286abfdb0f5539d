"""Compare tab, chart window and Explain tab in the real main window, on the real worker (small CPU networks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
from PySide6 import QtCore, QtWidgets

from tests.gui.conftest import JOB_TIMEOUT_MS
from viewer.gui.compare_tasks import ExplainSet
from viewer.gui.widgets.compare import NetworkColumn
from viewer.gui.widgets.explain import ExplainView

SMALL = [("lenet5", "default"), ("nin", "none"), ("squeezenet1_1", "none")]


def _open(window, qtbot, paths: list[Path]) -> None:
    window.open_paths([str(p) for p in paths])
    qtbot.waitUntil(lambda: len(window.state.images) == len(paths), timeout=JOB_TIMEOUT_MS)


def test_compare_shows_a_column_per_network_and_a_new_image_supersedes(make_window, qtbot, shared_data) -> None:
    window = make_window()
    first, second = shared_data / "mnist/mnist_3.png", shared_data / "mnist/mnist_7.png"
    _open(window, qtbot, [first, second])
    window.state.set_current(0)
    links = window.compare_links
    links.state.runs = 1
    view = links.compare_view
    window.tabs.setCurrentWidget(view)
    delivered: list[str] = []
    links.state.comparison_changed.connect(lambda c: delivered.append(c.image_path if c else "cleared"))
    view.set_networks(SMALL)
    qtbot.mouseClick(view.run_button, QtCore.Qt.MouseButton.LeftButton)
    window.state.set_current(1)  # a new image while the first comparison is queued or running
    qtbot.waitUntil(lambda: links.state.comparison is not None, timeout=JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.state.jobs.is_busy(), timeout=JOB_TIMEOUT_MS)
    assert str(first) not in delivered and delivered[-1] == str(second)  # the first run was superseded
    columns = view.findChildren(NetworkColumn)
    assert [c.network.model for c in view.columns] == ["lenet5", "nin", "squeezenet1_1"] and len(columns) == 3
    lenet = view.columns[0]
    assert "median of 1 warm runs" in lenet.facts.text() and "acc@1 99" in lenet.facts.text()
    assert "not published" in view.columns[1].facts.text()
    assert len(lenet.bars) == 5 and lenet.network.topk[0].name == "7"


def test_a_chart_click_picks_that_network(make_window, qtbot) -> None:
    window = make_window()
    links = window.compare_links
    chart_window = links.show_chart()
    qtbot.waitExposed(chart_window)
    qtbot.waitUntil(lambda: bool(chart_window.chart.scatters), timeout=JOB_TIMEOUT_MS)
    chart = chart_window.chart
    name = "shufflenet_v2_x0_5"  # alone at the chart's low-cost end: nothing else under the cursor
    spot = chart.spot_of(name)
    scatter = chart.scatters["ShuffleNet"]
    QtWidgets.QApplication.processEvents()
    where = chart.plot.mapFromScene(scatter.mapToScene(spot.pos()))
    with qtbot.waitSignal(chart_window.picked, timeout=5000) as picked:
        qtbot.mouseClick(chart.plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=where)
    assert picked.args == [name]
    assert name in [n for n, _ in links.state.networks]
    assert name in [picker.value()[0] for picker in links.compare_view.pickers]


def test_explain_shows_each_method_and_exports_it(make_window, qtbot, shared_data, tmp_path, monkeypatch) -> None:
    window = make_window("lenet5", "default")
    _open(window, qtbot, [shared_data / "mnist/mnist_3.png"])
    links = window.compare_links
    view = links.explain_view
    window.tabs.setCurrentWidget(view)
    view.patch.setValue(7)
    view.stride.setValue(7)
    view.steps.setValue(8)
    view.class_edit.setText("3")
    qtbot.mouseClick(view.compute_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.found is not None, timeout=JOB_TIMEOUT_MS)
    assert view.found.class_index == 3 and not view.found.reasons
    for method, panel in view.panels.items():
        assert panel.shown and panel.isEnabled() and not panel.picture.pixmap().isNull(), method
        target = tmp_path / f"{method}.png"
        monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        with qtbot.waitSignal(links.state.exported, timeout=JOB_TIMEOUT_MS):
            qtbot.mouseClick(panel.export_button, QtCore.Qt.MouseButton.LeftButton)
        record = json.loads(target.with_suffix(".json").read_text())
        assert record["method"] == method and record["class_index"] == 3
        assert np.load(target.with_suffix(".npy")).shape == (28, 28)


class _Found(ExplainSet):
    pass


def test_a_method_that_does_not_apply_is_greyed_with_its_reason(qtbot) -> None:
    view = ExplainView()
    qtbot.addWidget(view)
    view.set_image(np.full((40, 60, 3), 120, np.uint8))

    class Result:
        scores = np.linspace(0, 1, 40 * 60, dtype=np.float32).reshape(40, 60)
        parameters: ClassVar[dict[str, int]] = {"patch": 8, "stride": 4}

    reason = "vit_b_16 is a transformer: its last stage attends over patch tokens"
    view.set_explanations(_Found(3, "tabby", {"occlusion": Result()}, {"gradcam": reason}, "vit_b_16", "x.png"))
    gradcam, occlusion = view.panels["gradcam"], view.panels["occlusion"]
    assert not gradcam.isEnabled() and gradcam.toolTip() == reason and "transformer" in gradcam.caption.text()
    assert occlusion.isEnabled() and occlusion.shown and "patch 8" in occlusion.caption.text()
    before = occlusion.picture.pixmap().toImage()
    view.colormap.setCurrentText("gray")  # one colormap for every panel
    assert occlusion.picture.pixmap().toImage() != before


def test_the_chart_switches_to_latency_measured_on_the_worker(make_window, qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VIEWER_CACHE_DIR", str(tmp_path))
    window = make_window()
    links = window.compare_links
    chart_window = links.show_chart()
    qtbot.waitUntil(lambda: bool(chart_window.chart.scatters), timeout=JOB_TIMEOUT_MS)
    measured = ["shufflenet_v2_x0_5", "squeezenet1_1"]
    with qtbot.waitSignal(links.state.points_changed, timeout=JOB_TIMEOUT_MS):
        links.state.measure_latency("cpu", measured)
    chart_window.axis.setCurrentIndex(chart_window.axis.findData("latency"))
    chart = chart_window.chart
    assert chart.axis == "latency"
    drawn = sorted(spot.data() for scatter in chart.scatters.values() for spot in scatter.points())
    assert drawn == measured  # only networks measured on this device have a latency to draw
    assert list(tmp_path.glob("latency-cpu-torch*.json"))


def test_compare_draws_each_networks_dense_map_of_one_class(make_window, qtbot, shared_data) -> None:
    window = make_window()
    _open(window, qtbot, [shared_data / "mnist/mnist_3.png"])
    links = window.compare_links
    links.state.runs = 1
    view = links.compare_view
    window.tabs.setCurrentWidget(view)
    view.set_networks([("lenet5", "default"), ("nin", "none")])
    view.heatmap_class.setText("3")
    qtbot.mouseClick(view.run_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: links.state.comparison is not None, timeout=JOB_TIMEOUT_MS)
    assert links.state.heatmap_class == 3
    for column in view.columns:  # each network with a map shows it; one without says why in a note
        has_map = column.network.heatmap is not None
        assert (column.heatmap_label is not None) == has_map
        assert has_map or any("no dense map" in note for note in column.network.notes)
    assert any(column.heatmap_label is not None for column in view.columns)
