"""Weights, honestly: an offline pretrained pick offers one notice whose choice sticks; a bad file keeps the old model.

Offline is real: tests/conftest.py points TORCH_HOME at an empty folder and the weights URL at port 9 of
127.0.0.1, where nobody listens, so the download fails at once.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from viewer.gui.widgets.model.bar import FROM_FILE, RANDOM

TIMEOUT = 120_000


def _buttons(window) -> dict[str, QtWidgets.QPushButton]:
    return {button.text(): button for button in window.notices.action_buttons()}


def test_offline_pick_then_use_random_weights_predicts_and_the_choice_sticks(
    qtbot, make_window, choose_in_combo, shared_data
):
    opened = []
    window = make_window("lenet5", "default")
    window.open_folder = opened.append
    state, bar = window.state, window.model_bar
    state.images.open_paths([str(shared_data / "images" / "kitten.jpg")])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    assert " ms" in window.status_label.full_text()  # lenet5's timings

    choose_in_combo(bar.model_picker, "resnet18")  # pretrained by default: the download fails offline
    qtbot.waitUntil(lambda: state.model.error is not None, timeout=TIMEOUT)
    assert window.status_label.full_text() == "resnet18: not loaded"  # not lenet5's timings beside its name
    assert list(_buttons(window)) == [
        "Retry",
        "Use random weights",
        "Choose a weights file…",
        "Open the weights folder",
    ]
    text = window.notices.text_label.text()
    assert "resnet18" in text and "--weights" not in text and "Use random weights" in text
    assert bar.weights_text() == "not loaded: IMAGENET1K_V1"  # never "IMAGENET1K_V1 (default)" as if in use
    header = window.predictions.header.text()
    assert "open" not in header.lower() and "resnet18 could not be loaded" in header
    _buttons(window)["Open the weights folder"].click()
    assert opened and opened[0].endswith("checkpoints")

    choose_in_combo(bar.model_picker, "resnet18")  # the notice comes back: its buttons are fresh
    qtbot.waitUntil(lambda: state.model.error is not None and bool(_buttons(window)), timeout=TIMEOUT)
    shown = len([n for n in window.notices.history if n[0] != "info"])
    qtbot.mouseClick(_buttons(window)["Use random weights"], QtCore_left())
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    assert state.predictions.prediction.model == "resnet18" and not state.predictions.prediction.pretrained
    assert window.notices.isHidden()
    assert bar.weights_picker.currentData() == RANDOM and bar.weights_text().startswith("Random init")

    choose_in_combo(bar.model_picker, "lenet5")
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.predictions.prediction.model == "lenet5",
        timeout=TIMEOUT,
    )
    choose_in_combo(bar.model_picker, "resnet18")  # picked again: random weights kept, no second failure
    assert state.model.choice.weights == RANDOM and bar.weights_picker.currentData() == RANDOM
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.predictions.prediction.model == "resnet18",
        timeout=TIMEOUT,
    )
    assert (
        state.model.error is None
        and len([n for n in window.notices.history if n[0] != "info"]) == shown
        and window.notices.isHidden()
    )


def test_a_failed_weights_file_keeps_the_previous_model_and_its_prediction(
    qtbot, make_window, choose_in_combo, shared_data, tmp_path
):
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint at all" * 10)
    window = make_window("lenet5", "default")
    state, bar = window.state, window.model_bar
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    before = [(t.index, round(t.prob, 5)) for t in state.predictions.prediction.topk]
    kept_weights = bar.weights_picker.currentData()

    bar.ask_open_file = lambda _title, _filters: str(bad)
    choose_in_combo(bar.weights_picker, FROM_FILE)
    qtbot.waitUntil(lambda: "broken.pth" in window.notices.text_label.text(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    assert [(t.index, round(t.prob, 5)) for t in state.predictions.prediction.topk] == before
    assert state.model.choice.weights == "default" and state.model.info is not None
    assert bar.weights_picker.currentData() == kept_weights
    text = window.notices.text_label.text()
    assert "was not loaded" in text and "Kept lenet5" in text and window.notices.isVisible()
    assert "broken.pth" not in window.status_label.full_text()


def QtCore_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_open_the_weights_folder_with_no_file_manager_shows_its_path_and_keeps_the_notice(
    qtbot, make_window, choose_in_combo
):
    window = make_window("lenet5", "default")
    tried: list[str] = []
    window.open_folder = lambda folder: tried.append(folder) is not None  # False: nothing could open it
    state, notices = window.state, window.notices
    choose_in_combo(window.model_bar.model_picker, "resnet18")  # offline: the download fails
    qtbot.waitUntil(lambda: state.model.error is not None and bool(_buttons(window)), timeout=TIMEOUT)
    text = notices.text_label.text()
    assert notices.shown_path() == ""

    qtbot.mouseClick(_buttons(window)["Open the weights folder"], QtCore_left())
    assert tried and tried[0].endswith("checkpoints")
    assert notices.isVisible() and notices.text_label.text() == text  # the notice stays...
    assert "Retry" in _buttons(window) and state.notices.notice is not None  # ...with its choices
    assert notices.shown_path() == tried[0] and notices.path_field.isVisible()  # ...and the path, to copy
    assert "No file manager" in notices.path_note.text()
    field = notices.path_field
    assert field.isReadOnly() and field.text() == tried[0]
    QtWidgets.QApplication.clipboard().clear()
    qtbot.mouseClick(notices.copy_button, QtCore_left())
    assert QtWidgets.QApplication.clipboard().text() == tried[0]
    field.setFocus()
    qtbot.keyClick(field, QtCore_key("A"), QtCore_ctrl())  # selectable: Ctrl+A, Ctrl+C copies it exactly
    QtWidgets.QApplication.clipboard().clear()
    qtbot.keyClick(field, QtCore_key("C"), QtCore_ctrl())
    assert QtWidgets.QApplication.clipboard().text() == tried[0]


def QtCore_key(letter: str):
    from PySide6.QtCore import Qt

    return getattr(Qt.Key, f"Key_{letter}")


def QtCore_ctrl():
    from PySide6.QtCore import Qt

    return Qt.KeyboardModifier.ControlModifier


def test_cancelling_the_weights_file_dialog_keeps_the_notice_and_its_remedies(qtbot, make_window, choose_in_combo):
    window = make_window("lenet5", "default")
    state, bar = window.state, window.model_bar
    choose_in_combo(bar.model_picker, "resnet18")  # pretrained by default: the download fails offline
    qtbot.waitUntil(lambda: state.model.error is not None, timeout=TIMEOUT)
    text = window.notices.text_label.text()
    asked: list[str] = []
    bar.ask_open_file = lambda title, _filters: asked.append(title) or ""  # the user presses Cancel
    qtbot.mouseClick(_buttons(window)["Choose a weights file…"], QtCore.Qt.MouseButton.LeftButton)
    assert asked  # the dialog was shown …
    assert window.notices.text() == text and all(button.isEnabled() for button in _buttons(window).values())
    assert bar.weights_text() == "not loaded: IMAGENET1K_V1"  # … and nothing claims the weights are in use
    assert state.notices.notice is not None and state.notices.notice.text == text
