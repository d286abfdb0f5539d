"""Compare tab, chart window and Explain tab in the real main window, on the real worker (small CPU networks).

Their job policy (``viewer.gui.jobs.policy``): Compare runs only when asked and builds one network at a time;
Explain runs the cheap methods by itself while shown, the costly ones only when asked; a change of input
withdraws what was of the old one. Their notices are said on their own tab.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from tests.gui.conftest import JOB_TIMEOUT_MS
from viewer.core.results.explain import ExplainSet
from viewer.engine.jobs.models import MODEL_CACHE_SIZE
from viewer.gui.jobs.tickets import JobKind, Stop
from viewer.gui.state import ModelChoice
from viewer.gui.widgets.compare.view import NetworkColumn
from viewer.gui.widgets.explain import ExplainView

SMALL = [("lenet5", "default"), ("nin", "none"), ("squeezenet1_1", "none")]


def _open(window, qtbot, paths: list[Path]) -> None:
    window.open_paths([str(p) for p in paths])
    qtbot.waitUntil(lambda: len(window.state.images) == len(paths), timeout=JOB_TIMEOUT_MS)


def _submitted(window) -> list[JobKind]:
    """Every job kind the window's runner starts from now on, in order."""
    kinds: list[JobKind] = []
    window.state.jobs.started.connect(lambda ticket: kinds.append(ticket.kind))
    return kinds


def _idle(window, qtbot) -> None:
    qtbot.waitUntil(lambda: not window.state.jobs.is_busy(), timeout=JOB_TIMEOUT_MS)


def test_compare_runs_only_when_asked_and_a_new_image_withdraws_it(make_window, qtbot, shared_data) -> None:
    window = make_window()
    first, second = shared_data / "mnist/mnist_3.png", shared_data / "mnist/mnist_7.png"
    _open(window, qtbot, [first, second])
    window.state.images.set_current(0)
    _idle(window, qtbot)
    started = _submitted(window)
    links = window.compare_links
    links.state.runs = 1
    view = links.compare_view
    window.tabs.setCurrentWidget(view)
    window.state.images.set_current(1)
    _idle(window, qtbot)
    assert JobKind.COMPARE not in started  # neither opening the tab nor a new image starts a comparison
    delivered: list[str] = []
    links.state.comparison_changed.connect(lambda c: delivered.append(c.image_path if c else "cleared"))
    view.set_networks(SMALL)
    window.state.images.set_current(0)
    qtbot.mouseClick(view.run_button, QtCore.Qt.MouseButton.LeftButton)
    ticket = window.state.jobs.pending(JobKind.COMPARE)[0]
    window.state.images.set_current(1)  # a new image while the comparison is queued or running
    _idle(window, qtbot)
    assert ticket.stopped_by is Stop.WITHDRAWN and str(first) not in delivered and links.state.comparison is None
    qtbot.mouseClick(view.run_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: links.state.comparison is not None, timeout=JOB_TIMEOUT_MS)
    assert delivered[-1] == str(second)
    columns = view.findChildren(NetworkColumn)
    assert [c.network.model for c in view.columns] == ["lenet5", "nin", "squeezenet1_1"] and len(columns) == 3
    lenet = view.columns[0]
    assert "median of 1 warm runs" in lenet.facts.text() and "acc@1 99" in lenet.facts.text()
    assert "not published" in view.columns[1].facts.text()
    assert len(lenet.bars) == 5 and lenet.network.topk[0].name == "7"
    assert view.findChild(QtWidgets.QLabel, "compareUntrained") is not None  # nin and squeezenet: random init


def test_a_network_that_cannot_be_had_is_a_row_with_its_reason_and_the_others_run(
    make_window, qtbot, shared_data
) -> None:
    window = make_window()
    _open(window, qtbot, [shared_data / "images" / "kitten.jpg"])
    _idle(window, qtbot)
    links = window.compare_links
    links.state.runs = 1
    view = links.compare_view
    window.tabs.setCurrentWidget(view)
    mobilenet = str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth")
    view.set_networks([("alexnet", "default"), ("mobilenet_v2", mobilenet), ("resnet18", "none")])
    qtbot.mouseClick(view.run_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: links.state.comparison is not None, timeout=JOB_TIMEOUT_MS)
    failed, good, random = view.columns
    assert failed.network.error and not failed.bars and "--weights" not in failed.network.error
    assert set(failed.remedies) == {"random", "file", "folder"}
    assert good.network.topk[0].name == "tabby" and len(random.bars) == 5
    # One network at a time through the cache (the engine's own query: its models are not this process's).
    assert len(window.state.jobs.loaded_models()) <= MODEL_CACHE_SIZE
    assert "alexnet" not in window.notices.text()  # said in its row, not in the window's banner
    with qtbot.waitSignal(links.state.comparison_changed, timeout=JOB_TIMEOUT_MS):
        qtbot.mouseClick(failed.remedies["random"], QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: links.state.comparison is not None, timeout=JOB_TIMEOUT_MS)
    assert links.state.networks[0] == ("alexnet", "none") and not view.columns[0].network.error


def test_a_compare_notice_is_said_on_its_tab_only_and_goes_with_the_next_comparison(
    make_window, qtbot, shared_data
) -> None:
    window = make_window()
    _open(window, qtbot, [shared_data / "mnist/mnist_3.png"])
    _idle(window, qtbot)
    links = window.compare_links
    links.state.runs = 1
    window.tabs.setCurrentWidget(links.compare_view)
    links.state.request_compare(SMALL)
    with qtbot.waitSignal(window.state.jobs.cancelled, timeout=JOB_TIMEOUT_MS):
        links.state.cancel()
    said = links.compare_view.status.text()
    assert said.endswith("cancelled.")
    window.tabs.setCurrentWidget(links.explain_view)
    assert said not in links.explain_view.status.text() and said not in window.notices.text()
    links.state.request_compare(SMALL[:2])
    assert "cancelled" not in links.compare_view.status.text()  # the next run's notice replaced it
    _idle(window, qtbot)


def test_the_tabs_cancel_is_there_only_while_its_job_runs(make_window, qtbot, shared_data) -> None:
    # As the Heatmap tab's: Cancel is greyed at rest, live while this tab's job runs, greyed once it ended.
    window = make_window()
    _open(window, qtbot, [shared_data / "mnist/mnist_3.png"])
    _idle(window, qtbot)
    links = window.compare_links
    compare, explain = links.compare_view, links.explain_view
    assert not compare.cancel_button.isEnabled() and not explain.cancel_button.isEnabled()
    window.tabs.setCurrentWidget(compare)
    links.state.runs = 1
    with qtbot.waitSignal(window.state.job_started, timeout=JOB_TIMEOUT_MS, check_params_cb=lambda k: k == "compare"):
        links.state.request_compare(SMALL)
    assert compare.cancel_button.isEnabled() and not explain.cancel_button.isEnabled()
    with qtbot.waitSignal(window.state.jobs.cancelled, timeout=JOB_TIMEOUT_MS):
        qtbot.mouseClick(compare.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not compare.cancel_button.isEnabled(), timeout=JOB_TIMEOUT_MS)
    _idle(window, qtbot)


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
    assert not window.state.jobs.pending(JobKind.COMPARE)  # picked, not run


def test_explain_shows_the_cheap_methods_by_itself_the_costly_ones_when_asked_and_exports_each(
    make_window, qtbot, shared_data, tmp_path, monkeypatch
) -> None:
    window = make_window("lenet5", "default")
    _open(window, qtbot, [shared_data / "mnist/mnist_3.png"])
    _idle(window, qtbot)
    links = window.compare_links
    view = links.explain_view
    view.patch.setValue(7)
    view.stride.setValue(7)
    view.steps.setValue(8)
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.found is not None, timeout=JOB_TIMEOUT_MS)
    assert set(view.found.results) == {"dense", "gradcam", "saliency"} and view.found.class_index == 3
    occlusion = view.panels["occlusion"].compute_button
    assert (
        occlusion.isEnabled() and "17 forward passes" in occlusion.toolTip() and "Compute (≤" in occlusion.text()
    )  # 4×4 patches of 7 on 28×28, +1
    view.class_edit.setText("3")
    for method in ("occlusion", "ig"):
        button = view.panels[method].compute_button
        with qtbot.waitSignal(links.explain.explanations_changed, timeout=JOB_TIMEOUT_MS):
            qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    assert set(view.found.results) == {"dense", "gradcam", "saliency", "occlusion", "ig"}
    window.tab_exports.ask_overwrite = lambda existing: True
    for method, panel in view.panels.items():
        assert panel.shown and panel.isEnabled() and not panel.picture.pixmap().isNull(), method
        target = tmp_path / f"{method}.png"
        monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        for _twice in range(2):  # the second time over the first's files, after asking
            with qtbot.waitSignal(links.explain.exported, timeout=JOB_TIMEOUT_MS):
                qtbot.mouseClick(panel.export_button, QtCore.Qt.MouseButton.LeftButton)
        record = json.loads(target.with_suffix(".json").read_text())
        assert record["method"] == method and record["class_index"] == 3
        assert np.load(target.with_suffix(".npy")).shape == (28, 28)


def test_image_switches_after_explain_start_no_costly_job(make_window, qtbot, shared_data) -> None:
    window = make_window("lenet5", "default")
    digits = [shared_data / f"mnist/mnist_{n}.png" for n in (3, 7)]
    _open(window, qtbot, digits)
    links = window.compare_links
    view = links.explain_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.found is not None, timeout=JOB_TIMEOUT_MS)
    started = _submitted(window)
    for step in range(5):
        window.state.images.set_current(step % 2)
        qtbot.waitUntil(lambda: view.found is not None, timeout=JOB_TIMEOUT_MS)
    assert JobKind.EXPLAIN in started and JobKind.EXPLAIN_COSTLY not in started


def test_a_model_switch_cancels_a_running_occlusion_and_paints_its_top_k(make_window, qtbot, shared_data) -> None:
    window = make_window("resnet18", "none")
    _open(window, qtbot, [shared_data / "images" / "kitten.jpg"])
    links = window.compare_links
    view = links.explain_view
    view.patch.setValue(8)
    view.stride.setValue(2)  # thousands of passes: still running when the model changes
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.found is not None, timeout=JOB_TIMEOUT_MS)
    with qtbot.waitSignal(
        window.state.progress, timeout=JOB_TIMEOUT_MS, check_params_cb=lambda _s, k: k == "explain-costly"
    ):
        qtbot.mouseClick(view.panels["occlusion"].compute_button, QtCore.Qt.MouseButton.LeftButton)
    occlusion = window.state.jobs.pending(JobKind.EXPLAIN_COSTLY)[0]
    window.state.set_model(ModelChoice("lenet5", "none", None, "cpu"))
    qtbot.waitUntil(lambda: window.state.predictions.prediction is not None, timeout=JOB_TIMEOUT_MS)
    assert occlusion.stopped_by is Stop.WITHDRAWN and window.state.predictions.prediction.model == "lenet5"
    assert window.predictions.rows()  # painted
    _idle(window, qtbot)
    assert "occlusion" not in (view.found.results if view.found else {})


def test_a_stale_explanation_is_never_drawn_over_another_image(make_window, qtbot, shared_data, tmp_path) -> None:
    window = make_window("resnet18", "none")
    photos = [shared_data / "images" / name for name in ("kitten.jpg", "tv_dog2.jpg")]
    _open(window, qtbot, photos)
    window.state.images.set_current(0)
    links = window.compare_links
    view = links.explain_view
    drawn: list[str] = []
    links.explain.explanations_changed.connect(lambda found: drawn.append(found.image_path if found else ""))
    window.tabs.setCurrentWidget(view)  # explains kitten.jpg
    window.state.images.set_current(1)  # at once: tv_dog2.jpg
    qtbot.waitUntil(lambda: view.found is not None, timeout=JOB_TIMEOUT_MS)
    assert str(photos[0]) not in drawn and view.found.image_path == str(photos[1])
    shown = window.state.image
    assert links.explain.explained_image is shown and view.image is not None
    assert view.image.shape == (shown.preview if shown.preview is not None else shown.display).shape
    window.tab_exports.ask_overwrite = lambda existing: True
    target = tmp_path / "saliency.png"
    with qtbot.waitSignal(links.explain.exported, timeout=JOB_TIMEOUT_MS):
        links.explain.export("saliency", str(target), colormap="turbo", alpha=0.5)
    record = json.loads(target.with_suffix(".json").read_text())
    width, height = shown.size
    assert record["image"]["path"] == str(photos[1]) and np.load(target.with_suffix(".npy")).shape == (height, width)


def test_a_class_the_network_lacks_is_one_sentence_on_the_explain_tab(make_window, qtbot, shared_data, capfd) -> None:
    window = make_window("lenet5", "default")
    _open(window, qtbot, [shared_data / "mnist/mnist_3.png"])
    links = window.compare_links
    view = links.explain_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.found is not None, timeout=JOB_TIMEOUT_MS)
    view.class_edit.setText("5000")
    qtbot.mouseClick(view.compute_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "5000" in view.status.text(), timeout=JOB_TIMEOUT_MS)
    assert "has 10 classes" in view.status.text() and "Bug" not in view.status.text()
    assert "Traceback" not in capfd.readouterr().err
    window.tabs.setCurrentWidget(links.compare_view)
    assert "5000" not in links.compare_view.status.text() and "5000" not in window.notices.text()


class _Found(ExplainSet):
    pass


def test_a_method_that_does_not_apply_is_greyed_with_its_reason(qtbot) -> None:
    view = ExplainView()
    qtbot.addWidget(view)
    view.show()  # a hidden view draws its maps once shown
    qtbot.waitExposed(view)
    view.set_image(np.full((40, 60, 3), 120, np.uint8))

    class Result:
        scores = np.linspace(0, 1, 40 * 60, dtype=np.float32).reshape(40, 60)
        parameters: ClassVar[dict[str, int]] = {"patch": 8, "stride": 4}

    reason = "vit_b_16 is a transformer: its last stage attends over patch tokens"
    found = _Found(3, "tabby", {"occlusion": Result()}, {"gradcam": reason}, "vit_b_16", "x.png", pretrained=False)
    view.set_explanations(found)
    gradcam, occlusion = view.panels["gradcam"], view.panels["occlusion"]
    assert not gradcam.isEnabled() and gradcam.toolTip() == reason and "transformer" in gradcam.caption.text()
    assert occlusion.isEnabled() and occlusion.shown and "patch 8" in occlusion.caption.text()
    assert not view.untrained.isHidden()  # random init: said as the Predictions tab says it
    before = occlusion.picture.pixmap().toImage()
    view.colormap.setCurrentText("gray")  # one colormap for every panel
    assert occlusion.picture.pixmap().toImage() != before


@pytest.mark.own_engine  # its engine must write the latencies in the folder set below
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


def test_a_meaningless_patch_is_said_before_a_run_and_a_cancelled_method_is_not_run_again(
    make_window, qtbot, shared_data
) -> None:
    window = make_window("lenet5", "default")
    _open(window, qtbot, [shared_data / "mnist/mnist_3.png"])
    links = window.compare_links
    view = links.explain_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.found is not None, timeout=JOB_TIMEOUT_MS)
    occlusion, ig = view.panels["occlusion"].compute_button, view.panels["ig"].compute_button
    assert view.patch.value() >= 28  # the default patch covers LeNet-5's whole 28×28 input: refused beforehand
    assert not occlusion.isEnabled() and "patch" in occlusion.toolTip()
    view.patch.setValue(7)
    view.stride.setValue(7)
    assert occlusion.isEnabled() and "17 forward passes" in occlusion.toolTip() and "Compute (≤" in occlusion.text()
    with qtbot.waitSignal(window.state.jobs.cancelled, timeout=JOB_TIMEOUT_MS):
        qtbot.mouseClick(occlusion, QtCore.Qt.MouseButton.LeftButton)
        links.explain.cancel()  # at once: the user changed their mind
    qtbot.mouseClick(ig, QtCore.Qt.MouseButton.LeftButton)
    (costly,) = window.state.jobs.pending(JobKind.EXPLAIN_COSTLY)
    assert costly.description.startswith("ig of")  # not "occlusion and ig"
    with qtbot.waitSignal(links.explain.explanations_changed, timeout=JOB_TIMEOUT_MS):
        pass
    assert "ig" in view.found.results and "occlusion" not in view.found.results


def test_a_long_reason_wraps_inside_its_column_with_the_whole_text_on_hover(qtbot) -> None:
    from viewer.core.results.compare import NetworkResult
    from viewer.gui.widgets.compare.view import NetworkColumn

    reason = (
        "Could not download resnext50_32x4d-1a0047aa.pth (no connection). Copy the file from "
        "https://download.pytorch.org/models/resnext50_32x4d-1a0047aa.pth to "
        "/home/student/.cache/torch/hub/checkpoints/resnext50_32x4d-1a0047aa.pth."
    )
    failed = NetworkResult(
        "resnext50_32x4d",
        "ResNeXt",
        "not loaded",
        False,
        [],
        0.0,
        0,
        0,
        None,
        {},
        "",
        (3, 224, 224),
        "cpu",
        error=reason,
    )
    column = NetworkColumn(failed)
    qtbot.addWidget(column)
    column.setFixedWidth(200)
    column.show()
    qtbot.waitExposed(column)
    facts = column.facts
    assert facts.toolTip() == reason
    assert facts.minimumSizeHint().width() < 200 and facts.width() <= 200
    assert facts.height() >= 5 * facts.fontMetrics().height()  # wrapped, inside the long path too
