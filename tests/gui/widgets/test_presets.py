"""Presets and TTA that do not suit the loaded weights are marked, the reason in a tooltip; none is forbidden."""

from __future__ import annotations

from viewer.gui.widgets.model.bar import UNFIT

TIMEOUT = 120_000


def test_lenet_marks_standardise_and_tta_with_the_reason_and_still_allows_them(qtbot, make_window, shared_data):
    window = make_window("lenet5", "default")
    bar, state = window.model_bar, window.state
    assert state.model.info is not None and state.model.info.pretrained
    standardise = bar.preset_picker.findData("standardize")
    assert bar.preset_picker.itemText(standardise).endswith(UNFIT)
    assert "held-out accuracy" in bar.unfit_reason("standardize") and "mean" in bar.unfit_reason("standardize")
    assert bar.unfit_reason("weights") == "" and not bar.preset_picker.itemText(0).endswith(UNFIT)
    assert bar.tta_box.text().endswith(UNFIT) and "mirrored digit" in bar.unfit_reason()
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    bar.tta_box.click()  # allowed all the same
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.predictions.prediction.tta, timeout=TIMEOUT
    )
    assert len(state.predictions.prediction.tta_crops) == 10
    qtbot.waitUntil(lambda: len(window.predictions.shown_crops()) == 10)


def test_random_init_marks_nothing(qtbot, make_window):
    window = make_window("lenet5", "none")
    bar = window.model_bar
    assert not any(bar.preset_picker.itemText(row).endswith(UNFIT) for row in range(bar.preset_picker.count()))
    assert bar.unfit_reason() == "" and not bar.tta_box.text().endswith(UNFIT)
