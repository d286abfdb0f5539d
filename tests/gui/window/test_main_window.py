"""The main window driven as a user would: real drops, a bad file, the real MobileNetV2, bursts of switches."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from PySide6 import QtCore, QtWidgets

from viewer.core.options import HeatmapRequest
from viewer.gui.state import ModelChoice

TIMEOUT = 120_000  # generous: the CPU is shared


def wait_classified(qtbot, window, path) -> None:
    state = window.state
    qtbot.waitUntil(
        lambda: (
            state.predictions.prediction is not None
            and state.predictions.prediction.image == str(path)
            and not state.jobs.pending("classify")
        ),
        timeout=TIMEOUT,
    )


def test_the_frame_paints_before_the_views_are_imported_and_torch_never_is(tmp_path):
    # A fresh process, as the launch does it: the frame (title, status bar, "Starting…") is shown and painted with
    # neither pyqtgraph nor numpy imported; building it brings the views, still without torch (the engine's).
    code = (
        "import sys; from viewer.gui.runtime.settings import use_settings_path; use_settings_path(sys.argv[1]);"
        "from viewer.gui.runtime.application import create_application; app = create_application();"
        "from viewer.gui.window.main_window import MainWindow; w = MainWindow(build=False); w.show();"
        "app.processEvents(); light = [m for m in ('pyqtgraph', 'numpy', 'torch') if m in sys.modules];"
        "print(w.status_label.text(), '|', w.centralWidget().objectName(), '|',"
        " light, '|', round(w.shown_at, 3));"
        "w.build(); app.processEvents();"
        "print(w.centralWidget().objectName(), '|', w.tabs.count(), '|', 'pyqtgraph' in sys.modules, '|',"
        " 'torch' in sys.modules, 'torchvision' in sys.modules); w.close()"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    frame, built = done.stdout.splitlines()
    status, page, imported, shown_after = (part.strip() for part in frame.split("|"))
    assert (status, page, imported) == ("Starting…", "startingPage", "[]")
    assert float(shown_after) > 0
    assert [part.strip() for part in built.split("|")] == ["mainSplitter", "6", "True", "False False"]


def test_files_dropped_on_the_starting_frame_open_once_it_is_built(qtbot, drop_files, shared_data):
    from viewer.gui.state import AppState
    from viewer.gui.window.main_window import MainWindow

    window = MainWindow(build=False)
    window.show()
    path = shared_data / "images" / "kitten.jpg"
    assert drop_files(window.centralWidget(), [path])
    state = AppState()
    window.build(state)
    state.model.choice = ModelChoice("lenet5", "none", None, "cpu")
    state.start()
    try:
        qtbot.waitUntil(lambda: [entry.name for entry in state.images] == ["kitten.jpg"], timeout=TIMEOUT)
        assert window.image_stack.currentWidget() is window.image_panel
    finally:
        window.close()
        assert state.jobs.shutdown()


def test_window_has_its_named_parts(make_window):
    window = make_window(start=False)
    assert window.isVisible()
    assert window.findChild(QtWidgets.QStatusBar, "statusBar").isVisible()
    for name in ("imageView", "modelPicker", "weightsPicker", "devicePicker", "topkView"):
        assert window.findChild(QtWidgets.QWidget, name) is not None, name
    assert "Loading" in window.status_label.text()


def test_dropping_one_file_anywhere_loads_and_classifies_it(qtbot, make_window, drop_files, shared_data):
    window = make_window()
    path = shared_data / "images" / "kitten.jpg"
    assert drop_files(window.image_panel.graphics.viewport(), [path])
    wait_classified(qtbot, window, path)
    assert window.thumbnails.count() == 1
    assert "kitten.jpg" in window.image_panel.title.text()
    assert window.image_panel.image_size() == window.state.image.original_size
    assert len(window.predictions.rows()) == 5


def test_dropping_several_files_and_a_folder(qtbot, make_window, drop_files, shared_data, tmp_path):
    folder = tmp_path / "digits"
    folder.mkdir()
    for digit in (0, 1):
        shutil.copy(shared_data / "mnist" / f"mnist_{digit}.png", folder)
    (folder / "readme.txt").write_text("not an image, and skipped: only image files are taken from folders")
    window = make_window()
    assert drop_files(window.tabs, [shared_data / "images" / "kitten.jpg", folder])
    qtbot.waitUntil(lambda: window.thumbnails.count() == 3, timeout=TIMEOUT)
    assert [entry.name for entry in window.state.images] == ["kitten.jpg", "mnist_0.png", "mnist_1.png"]
    window.thumbnails.setFocus()
    window.thumbnails.setCurrentRow(0)
    qtbot.keyClick(window.thumbnails, QtCore.Qt.Key.Key_Right)
    assert window.state.images.current == 1
    assert "mnist_0.png" in window.image_panel.title.text()
    qtbot.keyClick(window.thumbnails, QtCore.Qt.Key.Key_Delete)  # the shown one goes, its neighbour shows
    assert [entry.name for entry in window.state.images] == ["kitten.jpg", "mnist_1.png"]
    assert window.thumbnails.currentRow() == window.state.images.current == 1
    assert "mnist_1.png" in window.image_panel.title.text()


def test_a_bad_file_shows_a_message_and_changes_nothing(qtbot, make_window, drop_files, shared_data, tmp_path):
    window = make_window()
    good = shared_data / "images" / "sk_coffee.png"
    drop_files(window, [good])
    wait_classified(qtbot, window, good)
    shown = window.state.predictions.prediction
    bad = tmp_path / "holiday.jpg"
    bad.write_text("this is text, not a JPEG")
    drop_files(window, [bad])
    qtbot.waitUntil(lambda: any("holiday.jpg" in text for _, text, _ in window.notices.history), timeout=TIMEOUT)
    assert window.notices.isVisible() and "not an image file" in window.notices.text_label.text()
    assert [entry.name for entry in window.state.images] == ["sk_coffee.png"]
    assert window.state.predictions.prediction is shown and window.predictions.prediction() is shown
    # A good file dropped next still classifies.
    next_good = shared_data / "images" / "kitten.jpg"
    drop_files(window, [next_good])
    wait_classified(qtbot, window, next_good)
    assert window.predictions.prediction().image == str(next_good)


def test_real_mobilenet_weights_chosen_as_a_file_see_a_german_shepherd(qtbot, make_window, drop_files, shared_data):
    weights = shared_data / "weights" / "mobilenet_v2_imagenet1k.pth"
    window = make_window("mobilenet_v2", "none")
    bar = window.model_bar
    bar.ask_open_file = lambda _title, _filters: str(weights)  # the file dialog's answer
    index = bar.weights_picker.findText("From file…")
    bar.weights_picker.setCurrentIndex(index)
    bar.weights_picker.activated.emit(index)
    assert window.state.model.choice.weights == str(weights)
    qtbot.waitUntil(lambda: window.state.model.info is not None, timeout=TIMEOUT)
    assert window.state.model.info.pretrained
    dog = shared_data / "images" / "tv_dog2.jpg"
    drop_files(window, [dog])
    wait_classified(qtbot, window, dog)
    assert window.predictions.top_names()[0] == "German shepherd"
    assert window.predictions.rows()[0][0] == 235
    assert "random init" not in window.predictions.header.text()
    assert "mobilenet_v2_imagenet1k.pth" in window.status_label.text()


def test_random_init_is_labelled_as_such(qtbot, make_window, drop_files, shared_data):
    window = make_window("lenet5", "none")
    drop_files(window, [shared_data / "mnist" / "mnist_3.png"])
    wait_classified(qtbot, window, shared_data / "mnist" / "mnist_3.png")
    assert "random init" in window.predictions.header.text()
    assert "random init" in window.status_label.text()
    assert "Random init" in window.views["activations"].notice_text
    from viewer.gui.window.menus import about_text

    about = about_text(window)
    assert all(word in about for word in ("torch", "torchvision", "PySide6", "device (Auto)", "cpu"))


def test_switching_model_or_image_during_jobs_never_shows_a_stale_result(qtbot, make_window, shared_data):
    window = make_window("lenet5", "none")
    state = window.state
    paths = [shared_data / "images" / name for name in ("kitten.jpg", "sk_chelsea.png", "tv_dog1.jpg")]
    state.images.open_paths([str(p) for p in paths])
    qtbot.waitUntil(lambda: len(state.images) == 3, timeout=TIMEOUT)
    shown = []

    def check(prediction):
        if prediction is not None:
            # Whenever a result is shown it belongs to the image and model chosen at that moment.
            shown.append((prediction.image, prediction.model, state.image.path, state.model.info.name))

    state.predictions.changed.connect(check)
    lenet, nin = ModelChoice("lenet5", "none", None, "cpu"), ModelChoice("nin", "none", None, "cpu")
    for step in range(6):
        state.images.set_current(step % 3)
        state.set_model(nin if step % 2 else lenet)
    state.images.set_current(1)
    qtbot.waitUntil(lambda: not state.jobs.is_busy() and state.predictions.prediction is not None, timeout=TIMEOUT)
    assert all(image == current and model == loaded for image, model, current, loaded in shown)
    assert state.predictions.prediction.image == str(paths[1]) and state.predictions.prediction.model == "nin"
    assert window.predictions.prediction() is state.predictions.prediction
    assert "sk_chelsea.png" in window.image_panel.title.text()


def test_settings_persist_across_two_windows(qtbot, make_window, shared_data):
    first = make_window(restore=True, start=False)
    first.state.set_model(ModelChoice("nin", "none", None, "cpu"))
    first.state.predictions.set_options(preset="standardize", tta=True, topk=3)
    first.set_tab("architecture")
    first.resize(1111, 777)
    first.settings.add_recent_file(str(shared_data / "images" / "kitten.jpg"))
    first.close()
    second = make_window(restore=True, start=False)
    assert second.state.model.choice == ModelChoice("nin", "none", None, "cpu")
    assert (second.state.predictions.preset, second.state.predictions.tta, second.state.predictions.topk) == (
        "standardize",
        True,
        3,
    )
    assert second.current_tab() == "architecture"
    # Restored geometry: the size chosen, not the default 1400x860 (give or take the window frame).
    assert abs(second.width() - 1111) <= 40 and abs(second.height() - 777) <= 40
    assert second.model_bar.preset_picker.currentData() == "standardize" and second.model_bar.tta_box.isChecked()
    assert next(a.text() for a in second.recent_menu.actions()) == "kitten.jpg"


def test_export_all_writes_one_csv_and_each_heatmap(qtbot, make_window, shared_data, tmp_path):
    from viewer.gui.window.menus import export_all

    window = make_window("nin", "none")
    state = window.state
    state.images.open_paths([str(shared_data / "images" / name) for name in ("sk_coffee.png", "kitten.jpg")])
    qtbot.waitUntil(lambda: len(state.images) == 2, timeout=TIMEOUT)
    progress = []
    state.progress.connect(lambda item, kind: progress.append(kind) if item is not None else None)
    with qtbot.waitSignal(state.exports.finished, timeout=TIMEOUT) as blocker:
        export_all(window, str(tmp_path), heatmaps=True)
    result = blocker.args[0]
    rows = (tmp_path / "topk.csv").read_text().splitlines()
    assert rows[0].startswith("image,model,weights,rank,class_index,class_name")
    assert len(rows) == 1 + 2 * state.predictions.topk
    assert {row.split(",")[0] for row in rows[1:]} == {e.path for e in state.images}
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".csv", ".json", ".json", ".npy", ".npy", ".png", ".png"]
    assert result.errors == [] and "export" in progress
    assert "Exported 7 file(s)" in window.notices.text_label.text()
    # The same folder again: refused unless overwriting is confirmed.
    with qtbot.waitSignal(state.exports.finished, timeout=TIMEOUT):
        export_all(window, str(tmp_path), heatmaps=False, overwrite=True)
    assert len((tmp_path / "topk.csv").read_text().splitlines()) == 1 + 2 * state.predictions.topk


def test_heatmap_tab_computes_on_request_and_draws_it(qtbot, make_window, drop_files, shared_data):
    window = make_window("nin", "none")
    path = shared_data / "images" / "sk_chelsea.png"
    drop_files(window, [path])
    wait_classified(qtbot, window, path)
    view = window.views["heatmap"]
    window.set_tab("heatmap")
    with qtbot.waitSignal(
        window.state.heatmap.changed, timeout=TIMEOUT, check_params_cb=lambda result: result is not None
    ):
        view.computeRequested.emit(HeatmapRequest(class_index=3, scales=(1.0,)))
    assert view.shown_class == 3 and window.state.heatmap.shown.class_index == 3
    assert window.image_panel.has_overlay()
    for tab in ("predictions", "activations", "architecture", "compare", "explain"):
        window.set_tab(tab)
        assert not window.image_panel.has_overlay(), tab  # the plain image on tabs without an overlay
    window.set_tab("heatmap")
    assert window.image_panel.has_overlay()
    # The image panel's overlay follows the tab's colormap and opacity (the same picture in both places).
    overlay = window.image_panel.overlay_item
    scores_shown = overlay.image
    view.alpha_slider.setValue(80)
    view.colormap_picker.setCurrentText("gray")
    assert overlay.image is scores_shown  # restyled, not re-drawn from the scores at each slider tick
    assert overlay.opacity() == pytest.approx(0.8)
    assert overlay.lut is not None and (overlay.lut[-1][:3] == overlay.lut[-1][0]).all()  # grey: R = G = B
    # A new image drops the old heatmap at once and computes the same request for the new one.
    other = shared_data / "images" / "sk_coffee.png"
    drop_files(window, [other])
    qtbot.waitUntil(
        lambda: window.state.heatmap.shown is not None and window.state.heatmap.shown.image_path == str(other),
        timeout=TIMEOUT,
    )
    assert view.shown_class == 3


def test_activations_follow_the_layer_picked_and_boxes_land_on_the_image(qtbot, make_window, drop_files, shared_data):
    from viewer.gui.widgets.image_panel import input_box_to_image

    window = make_window("nin", "none")
    state, view = window.state, window.views["activations"]
    path = shared_data / "images" / "sk_chelsea.png"
    drop_files(window, [path])
    # With no layer chosen yet, the first convolution is captured so that the tab is never empty.
    qtbot.waitUntil(lambda: state.activations.shown is not None, timeout=TIMEOUT)
    first = state.activations.layers[0]
    assert view.current_layer == first and first in state.activations.shown
    with qtbot.waitSignal(
        state.activations.changed,
        timeout=TIMEOUT,
        check_params_cb=lambda result: result is not None and "features.1" in result,
    ):
        view.layerRequested.emit("features.1")
    assert view.current_layer == "features.1"
    window.set_tab("activations")  # the image panel draws the receptive field on this tab only
    view.receptiveFieldBox.emit(0.0, 0.0, 16.0, 16.0)
    expected = input_box_to_image((0, 0, 16, 16), state.image.original_size, 32, 32)
    assert window.image_panel.box() == pytest.approx(expected)
    window.set_tab("predictions")
    assert window.image_panel.box() is None  # the plain image elsewhere
    window.set_tab("activations")
    assert window.image_panel.box() == pytest.approx(expected)


def test_paste_of_a_file_path_opens_it(qtbot, make_window, shared_data):
    window = make_window(start=False)
    path = shared_data / "images" / "sk_camera.png"
    QtWidgets.QApplication.clipboard().setText(str(path))
    window.paste_action.trigger()
    window.state.start()
    qtbot.waitUntil(lambda: [e.name for e in window.state.images] == ["sk_camera.png"], timeout=TIMEOUT)
    QtWidgets.QApplication.clipboard().setText("no such thing here")
    window.paste()
    assert "clipboard holds no image" in window.notices.text_label.text()


def test_uncaught_exceptions_reach_the_banner_with_their_traceback(make_window, isolated_settings, capfd):
    from viewer.gui.runtime.error_sink import error_sink

    window = make_window(start=False)
    try:
        raise ValueError("a slot went wrong")
    except ValueError as error:
        error_sink.excepthook(type(error), error, error.__traceback__)
    text = window.notices.text_label.text()
    assert text.startswith("Bug: ValueError: a slot went wrong")
    log = isolated_settings / "convnet-viewer" / "logs" / "errors.log"  # beside the tests' own settings
    assert str(log) in text and "ValueError: a slot went wrong" in log.read_text()
    assert "Traceback" in window.notices.details.toPlainText()
    assert "Traceback" not in capfd.readouterr().err
    window.notices.details_button.click()
    assert window.notices.details.isVisible()
    window.notices.close_button.click()
    assert not window.notices.isVisible()


@pytest.mark.qt_no_exception_capture  # the app's own hook, not pytest-qt's, sees what a slot raises
def test_an_exception_in_a_slot_gives_one_notice_and_a_log_never_a_traceback(
    qtbot, make_window, tmp_path, capfd, monkeypatch
):
    from viewer.gui.runtime.error_sink import error_sink

    # create_application installs it once per process; pytest-qt puts back the hook it found after each test.
    monkeypatch.setattr(sys, "excepthook", error_sink.excepthook)
    window = make_window(start=False)
    error_sink.log_path = tmp_path / "logs" / "bug.log"
    try:
        button = QtWidgets.QPushButton("break", window)
        button.show()
        button.clicked.connect(lambda: {}["no such key"])
        before = len(window.notices.history)
        qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(window.notices.history) > before)
    finally:
        error_sink.log_path = None
    assert len(window.notices.history) == before + 1  # one notice
    level, text, details = window.notices.history[-1]
    assert level == "error" and text.startswith("Bug: KeyError: 'no such key'") and str(tmp_path / "logs") in text
    assert "KeyError" in (tmp_path / "logs" / "bug.log").read_text() and "Traceback" in details
    assert "Traceback" not in capfd.readouterr().err


def test_export_all_maps_the_class_named_on_the_command_line(qtbot, make_window, shared_data, tmp_path):
    import json

    window = make_window("nin", "none")
    state = window.state
    state.heatmap.requested = HeatmapRequest(class_name="cat")  # as `viewer gui --class cat` leaves it
    state.images.open_paths([str(shared_data / "images" / "sk_chelsea.png")])
    qtbot.waitUntil(lambda: state.heatmap.shown is not None, timeout=TIMEOUT)
    with qtbot.waitSignal(state.exports.finished, timeout=TIMEOUT) as blocker:
        state.exports.all(str(tmp_path), heatmaps=True)
    assert blocker.args[0].errors == []
    (sidecar,) = tmp_path.glob("*.json")
    assert json.loads(sidecar.read_text())["class_index"] == 3 == state.heatmap.shown.class_index


def test_the_class_picker_keeps_naming_the_class_whose_heatmap_follows_the_images(qtbot, make_window, shared_data):
    window = make_window("lenet5", "default")
    state, view = window.state, window.views["heatmap"]
    state.images.open_paths([str(shared_data / "mnist" / "mnist_3.png")])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None and view.selected_class == 3, timeout=TIMEOUT)
    view.class_picker.select_class(5)
    view.compute_button.click()
    qtbot.waitUntil(lambda: view.shown_class == 5, timeout=TIMEOUT)
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(
        lambda: (
            state.image.name == "mnist_7.png"
            and state.predictions.prediction is not None
            and state.heatmap.shown is not None
            and view.shown_class is not None  # the view draws the map a turn after the state keeps it
        ),
        timeout=TIMEOUT,
    )
    assert state.predictions.prediction.topk[0].index == 7
    assert view.shown_class == 5 and view.selected_class == 5  # not this image's top class


def test_the_class_picker_names_a_class_given_by_name_on_the_command_line(qtbot, make_window, shared_data):
    window = make_window("lenet5", "default")
    state, view = window.state, window.views["heatmap"]
    state.heatmap.requested = HeatmapRequest(class_name="5")  # as `viewer gui --class 5` leaves it
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(
        lambda: (
            state.predictions.prediction is not None
            and state.heatmap.shown is not None
            and view.shown_class is not None
        ),  # the view draws the map a turn after the state keeps it
        timeout=TIMEOUT,
    )
    assert state.predictions.prediction.topk[0].index == 7
    assert view.shown_class == 5 and view.selected_class == 5


def test_a_refused_capture_leaves_no_other_layers_channels_on_screen(qtbot, make_window, shared_data, monkeypatch):
    from refused_capture_jobs import TABLE, refusing_capture

    from viewer.engine import activations

    # The budget refusal, for one layer, without a huge model: patched here for the in-thread runner, in the
    # window's own engine (the table TABLE) for an engine process.
    monkeypatch.setattr(activations, "capture", refusing_capture(activations.capture))
    window = make_window("lenet5", "default", jobs=TABLE)
    state, view = window.state, window.views["activations"]
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: view.shown_channel_count == 6, timeout=TIMEOUT)  # features.0
    view.layerRequested.emit("features.3")
    qtbot.waitUntil(lambda: "over the 2,048 MB budget" in window.notices.text_label.text(), timeout=TIMEOUT)
    assert state.activations.shown is None and view.shown_channel_count == 0  # not features.0's six maps
