"""The Predictions tab's state (viewer.gui.state.predictions): a new k or preset classifies again with it, a preset
captures the activations again, and options that change nothing ask for nothing."""

from __future__ import annotations

from PySide6 import QtCore

from viewer.gui.jobs.tickets import JobKind

TIMEOUT = 120_000


def _classified(qtbot, make_window, shared_data):
    window = make_window("lenet5", "default")
    state = window.state
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(
        lambda: (
            state.predictions.prediction is not None
            and state.activations.shown is not None
            and not state.jobs.is_busy()
        ),
        timeout=TIMEOUT,
    )
    return window, state


def test_a_new_k_classifies_again_and_options_that_change_nothing_ask_for_nothing(qtbot, make_window, shared_data):
    window, state = _classified(qtbot, make_window, shared_data)
    said = []
    state.predictions.options_changed.connect(lambda: said.append(state.predictions.topk))
    window.set_tab("predictions")
    qtbot.keyClick(window.predictions.k_spin, QtCore.Qt.Key.Key_Down)  # top 5 → top 4
    assert said == [4]
    qtbot.waitUntil(lambda: len(state.predictions.prediction.topk) == 4, timeout=TIMEOUT)
    assert window.predictions.prediction() is state.predictions.prediction
    state.predictions.set_options(preset="weights", tta=False, topk=4)  # what is set already
    assert said == [4] and state.jobs.pending(JobKind.CLASSIFY) == []


def test_another_preset_classifies_and_captures_the_activations_again(qtbot, make_window, shared_data):
    window, state = _classified(qtbot, make_window, shared_data)
    assert state.predictions.prediction.preprocess == "weights"
    with qtbot.waitSignals([state.predictions.changed, state.activations.changed], timeout=TIMEOUT):
        qtbot.keyClick(window.model_bar.preset_picker, QtCore.Qt.Key.Key_Down)  # "weights" → "standardize"
    assert state.predictions.preset == "standardize" and state.predictions.prediction.preprocess == "standardize"
    assert window.settings.preset() == "standardize"  # kept for the next session
