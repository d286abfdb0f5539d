"""The model's state (viewer.gui.state.model): a switch says the new choice once the old results went; the
timings start afresh with each model; classes are found by index or name."""

from __future__ import annotations

from viewer.core.network.choice import ModelChoice

TIMEOUT = 120_000


def test_a_switch_says_the_choice_once_the_old_results_went_and_the_timings_start_afresh(
    qtbot, make_window, shared_data
):
    window = make_window("lenet5", "none")
    state = window.state
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.model.summary is not None, timeout=TIMEOUT
    )
    assert "forward" in state.model.timings and "forward" in window.status_label.text()
    said = []
    state.predictions.changed.connect(lambda prediction: said.append(("prediction", prediction)))
    state.model.summary_changed.connect(lambda summary: said.append(("summary", summary)))
    state.model.choice_changed.connect(lambda choice: said.append(("choice", choice.model)))
    state.model.info_changed.connect(
        lambda info: said.append(("info", None if info is None else (info.name, list(state.model.timings))))
    )

    state.set_model(ModelChoice("nin", "none", None, "cpu"))  # as the model bar does
    assert said == [("prediction", None), ("summary", None), ("choice", "nin"), ("info", None)]
    assert window.predictions.prediction() is None and "Loading nin" in window.status_label.text()
    qtbot.waitUntil(lambda: state.model.info is not None, timeout=TIMEOUT)
    assert said[4] == ("info", ("nin", ["load model"]))  # lenet5's timings went with it
    assert state.model.error is None and state.model.network_id() == "nin"


def test_classes_are_found_by_index_or_name(qtbot, make_window):
    window = make_window("nin", "none")
    state = window.state
    assert state.model.class_index(3) == 3 and state.model.class_index("3") == 3
    assert state.model.class_index("Truck") == 9
    assert state.model.class_index("zebra") is None
    assert "not a class of nin" in window.notices.text_label.text()
