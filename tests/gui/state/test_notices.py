"""Notices are state: each goes when its kind next succeeds or the model choice changes; nobody is told of a
job the app dropped itself.

Offline is real: tests/conftest.py points the weights URL at a closed port of 127.0.0.1, so a pretrained
download fails at once.
"""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt

from viewer.core.network.choice import ModelChoice
from viewer.core.options import HeatmapRequest
from viewer.gui.jobs.tickets import JobKind

TIMEOUT = 120_000
IMAGES = ("sk_chelsea.png", "kitten.jpg", "sk_coffee.png")


def _shown(window) -> str:
    return "" if window.notices.isHidden() else window.notices.text_label.text()


def test_a_failed_download_notice_goes_when_a_working_model_is_chosen(
    qtbot, make_window, drop_files, choose_in_combo, shared_data
):
    window = make_window("lenet5", "default")
    state, bar = window.state, window.model_bar
    assert drop_files(window, [shared_data / "mnist" / "mnist_7.png"])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)

    choose_in_combo(bar.model_picker, "resnet18")  # pretrained by default: the download fails offline
    qtbot.waitUntil(lambda: state.model.error is not None and "resnet18" in _shown(window), timeout=TIMEOUT)
    assert state.notices.notice is not None and state.notices.notice.kind == "model"

    choose_in_combo(bar.model_picker, "lenet5")  # a working model: the notice about resnet18 no longer holds
    assert _shown(window) == "" and state.notices.notice is None
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.predictions.prediction.model == "lenet5",
        timeout=TIMEOUT,
    )
    assert _shown(window) == ""


def test_cancelled_goes_when_the_next_heatmap_arrives(qtbot, make_window, drop_files, shared_data):
    window = make_window("nin", "none")
    state, view = window.state, window.views["heatmap"]
    assert drop_files(window, [shared_data / "images" / "sk_chelsea.png"])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    window.set_tab("heatmap")

    def cancel_at_start(kind: str) -> None:  # the user presses Cancel as soon as it runs: no race with its end
        if kind == JobKind.HEATMAP:
            state.job_started.disconnect(cancel_at_start)
            qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)

    state.job_started.connect(cancel_at_start)
    with qtbot.waitSignal(state.jobs.cancelled, timeout=TIMEOUT):
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    assert "cancelled" in _shown(window) and state.heatmap.shown is None

    with qtbot.waitSignal(state.heatmap.changed, timeout=TIMEOUT, check_params_cb=lambda result: result is not None):
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    assert _shown(window) == "" and state.notices.notice is None


def test_a_burst_of_image_and_model_switches_leaves_no_notice(qtbot, make_window, drop_files, shared_data):
    window = make_window("lenet5", "none")
    state, bar = window.state, window.model_bar
    assert drop_files(window, [shared_data / "images" / name for name in IMAGES])
    qtbot.waitUntil(
        lambda: len(state.images) == len(IMAGES) and state.predictions.prediction is not None, timeout=TIMEOUT
    )
    window.views["heatmap"].computeRequested.emit(HeatmapRequest(class_index=0, scales=(1.0,)))  # kept for each image
    next_image = window.findChild(QtGui.QAction, "nextImageAction")
    previous_image = window.findChild(QtGui.QAction, "previousImageAction")
    for model in ("nin", "lenet5", "nin", "lenet5"):
        for action in (next_image, next_image, previous_image):
            action.trigger()  # PgDn, PgDn, PgUp
        window.thumbnails.setCurrentRow(0)  # as a click on the first thumbnail
        bar.choiceRequested.emit(ModelChoice(model, "none", None, "cpu"))  # what picking it (random init) sends
    qtbot.waitUntil(
        lambda: (
            not state.jobs.is_busy() and state.predictions.prediction is not None and state.heatmap.shown is not None
        ),
        timeout=TIMEOUT,
    )
    assert state.predictions.prediction.model == "lenet5" and state.predictions.prediction.image.endswith(IMAGES[0])
    assert [text for _level, text, _details in window.notices.history] == []
    assert _shown(window) == "" and state.notices.notice is None
