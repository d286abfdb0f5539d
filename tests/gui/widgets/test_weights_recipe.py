"""A weights file's recipe in the window: asked once per file (without blocking), remembered, shown, changeable.

The shared MobileNetV2 file was trained with torchvision's IMAGENET1K_V1 recipe (resize 256) and does not say so;
the network's default is V2's (resize 232). Offline is real (tests/conftest.py): picking MobileNetV2 with its
default weights fails to download, which is the other way to a weights file (the notice's remedy).
"""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt

from viewer.core.network.choice import ModelChoice
from viewer.gui.widgets.model.bar import FROM_FILE, RANDOM
from viewer.gui.widgets.model.recipe_dialog import RecipeDialog

TIMEOUT = 120_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def weights_file(shared_data):
    return str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth")


def _buttons(window) -> dict[str, QtWidgets.QPushButton]:
    return {button.text(): button for button in window.notices.action_buttons()}


def _asked(window) -> int:
    """How many times the window asked for a recipe (every notice shown is in the banner's history)."""
    return sum("does not say which preprocessing" in text for _level, text, _details in window.notices.history)


def _with_recipe(state, resize: int):
    return lambda: (
        state.predictions.prediction is not None and state.predictions.prediction.recipe.get("resize") == resize
    )


def _reference(weights_file: str, photo: str, recipe: str):
    """The engine's classify of ``photo`` with ``recipe`` (what ``viewer classify --recipe`` prints)."""
    from viewer.engine.inference import classify
    from viewer.engine.models.weights import load_model

    loaded = load_model("mobilenet_v2", weights_file, device="cpu", recipe=recipe)
    return classify([photo], loaded, topk=5, preset="weights")[0]


def test_choosing_the_file_asks_its_recipe_and_v1_gives_the_engines_result_then_is_remembered(
    qtbot, make_window, choose_in_combo, shared_data, weights_file
):
    photo = str(shared_data / "images" / "tv_dog1.jpg")
    window = make_window("mobilenet_v2", RANDOM)
    window.resize(1400, 860)  # room for the Recipe button beside the model bar (else in the toolbar's overflow)
    qtbot.waitUntil(lambda: window.width() == 1400)
    state, bar, links = window.state, window.model_bar, window.recipe_links
    state.images.open_paths([photo])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    assert not links.button.isVisible() and not links.recipe_action.isEnabled()  # random init: no file, no recipe

    bar.ask_open_file = lambda _title, _filters: weights_file
    choose_in_combo(bar.weights_picker, FROM_FILE)
    qtbot.waitUntil(_with_recipe(state, 232), timeout=TIMEOUT)
    # Loaded with the network's default meanwhile (the window is never blocked), and asked in the banner.
    assert window.notices.isVisible() and _asked(window) == 1
    assert "mobilenet_v2_imagenet1k.pth does not say" in window.notices.text()
    assert list(_buttons(window)) == [
        "IMAGENET1K_V1 (resize 256, crop 224)",
        "Keep IMAGENET1K_V2 (resize 232, crop 224)",
        "Other values…",
    ]
    status = window.status_label.full_text()
    assert "recipe IMAGENET1K_V2: resize 232, crop 224, bilinear (assumed: the file does not say)" in status
    assert links.button.isVisible() and links.button.text() == "Recipe: IMAGENET1K_V2 (assumed)"

    qtbot.mouseClick(_buttons(window)["IMAGENET1K_V1 (resize 256, crop 224)"], LEFT)
    qtbot.waitUntil(_with_recipe(state, 256), timeout=TIMEOUT)
    reference = _reference(weights_file, photo, "IMAGENET1K_V1")
    shown = state.predictions.prediction
    assert [top.index for top in shown.topk] == [top.index for top in reference.topk]
    for ours, theirs in zip(shown.topk, reference.topk, strict=True):
        assert ours.prob == pytest.approx(theirs.prob, abs=1e-5)
    assert shown.probs == pytest.approx(reference.probs, abs=1e-5)
    assert window.notices.isHidden()
    assert "recipe IMAGENET1K_V1: resize 256, crop 224, bilinear (chosen for this file)" in (
        window.status_label.full_text()
    )
    assert links.button.text() == "Recipe: IMAGENET1K_V1"
    assert "preprocess weights (IMAGENET1K_V1: resize 256, crop 224, bilinear)" in window.predictions.header.text()
    assert "mean: [0.485, 0.456, 0.406]" in window.predictions.header.toolTip()

    # Chosen again (after other weights): not asked again, the answer is applied before the file is read.
    choose_in_combo(bar.weights_picker, RANDOM)
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and not state.predictions.prediction.pretrained,
        timeout=TIMEOUT,
    )
    assert not links.button.isVisible()
    choose_in_combo(bar.weights_picker, FROM_FILE)
    assert state.model.choice.recipe == "IMAGENET1K_V1"
    qtbot.waitUntil(_with_recipe(state, 256), timeout=TIMEOUT)
    assert _asked(window) == 1 and window.notices.isHidden()
    assert state.predictions.prediction.topk[0].index == reference.topk[0].index


def test_the_failed_downloads_remedy_asks_too_and_the_dialog_changes_the_recipe_for_good(
    qtbot, make_window, choose_in_combo, weights_file, shared_data
):
    window = make_window("lenet5", RANDOM)
    state, bar, links = window.state, window.model_bar, window.recipe_links
    state.images.open_paths([str(shared_data / "images" / "kitten.jpg")])
    choose_in_combo(bar.model_picker, "mobilenet_v2")  # its default weights cannot be downloaded offline
    qtbot.waitUntil(lambda: state.model.error is not None and bool(_buttons(window)), timeout=TIMEOUT)
    bar.ask_open_file = lambda _title, _filters: weights_file
    qtbot.mouseClick(_buttons(window)["Choose a weights file…"], LEFT)
    qtbot.waitUntil(_with_recipe(state, 232), timeout=TIMEOUT)
    assert _asked(window) == 1

    qtbot.mouseClick(_buttons(window)["Other values…"], LEFT)
    dialog = window.findChild(RecipeDialog, "recipeDialog")
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    options = {button.objectName(): button.text() for button in dialog.findChildren(QtWidgets.QRadioButton)}
    assert options == {
        "recipe_IMAGENET1K_V1": "IMAGENET1K_V1 — resize 256, crop 224, bilinear",
        "recipe_IMAGENET1K_V2": "IMAGENET1K_V2 — resize 232, crop 224, bilinear",
        "recipe_default": "The network's default — IMAGENET1K_V2: resize 232, crop 224, bilinear",
        "recipe_explicit": "Explicit values:",
    }
    assert dialog.option(None).isChecked() and not dialog.values.isEnabled()

    _click_radio(qtbot, dialog.explicit)
    assert dialog.values.isEnabled()
    _type(qtbot, dialog.resize_box.lineEdit(), "240")
    _type(qtbot, dialog.mean_field, "0.5, 0.5")  # one value short: refused, and the dialog stays
    qtbot.mouseClick(dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok), LEFT)
    assert dialog.isVisible() and "2 value(s) for a 3-channel input" in dialog.error.text()
    _type(qtbot, dialog.mean_field, "0.485, 0.456, 0.406")
    qtbot.mouseClick(dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok), LEFT)
    assert not dialog.isVisible()
    qtbot.waitUntil(_with_recipe(state, 240), timeout=TIMEOUT)
    assert state.predictions.prediction.recipe["name"] is None and state.predictions.prediction.recipe["crop"] == 224
    assert "recipe resize 240, crop 224, bilinear (chosen for this file)" in window.status_label.full_text()
    assert links.button_action.isVisible() and links.button.text() == "Recipe: resize 240, crop 224"

    # Changed later from the Model menu: the network's default, chosen, is remembered as an answer too.
    links.recipe_action.trigger()
    assert dialog.isVisible() and dialog.explicit.isChecked() and dialog.resize_box.value() == 240
    _click_radio(qtbot, dialog.option(None))
    qtbot.mouseClick(dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok), LEFT)
    qtbot.waitUntil(_with_recipe(state, 232), timeout=TIMEOUT)
    assert state.model.choice.recipe is None and window.notices.isHidden() and _asked(window) == 1
    assert "recipe IMAGENET1K_V2: resize 232, crop 224, bilinear (the network's default, as chosen)" in (
        window.status_label.full_text()
    )
    assert links.button.text() == "Recipe: IMAGENET1K_V2"

    # Another window (the settings are the same): the file is not asked about again.
    other = make_window("mobilenet_v2", weights_file)
    assert other.state.model.info is not None and _asked(other) == 0
    assert "(the network's default, as chosen)" in other.status_label.full_text()


def test_a_recipe_given_at_start_applies_to_the_file_and_is_its_answer(qtbot, make_window, weights_file):
    # What `viewer gui --weights FILE --recipe IMAGENET1K_V1` does (viewer.gui.window.launch): the first choice has it.
    window = make_window(start=False)
    state = window.state
    state.model.choice = ModelChoice("mobilenet_v2", weights_file, None, "cpu", recipe="imagenet1k_v1")
    window.model_bar.set_choice(state.model.choice)
    state.start()
    qtbot.waitUntil(lambda: state.model.info is not None, timeout=TIMEOUT)
    assert state.model.info.recipe.resize == 256 and _asked(window) == 0
    assert window.recipe_links.button.text() == "Recipe: IMAGENET1K_V1"
    assert window.settings.recipe_of_file(weights_file) == (state.model.info.weights_sha256, "imagenet1k_v1")
    dialog = window.recipe_links.open_dialog()
    assert dialog is not None and dialog.option("IMAGENET1K_V1").isChecked()


def test_a_file_whose_content_changed_is_asked_about_again(qtbot, make_window, weights_file, tmp_path):
    import shutil

    copy = tmp_path / "mine.pth"
    shutil.copy(weights_file, copy)
    window = make_window(start=False)
    state = window.state
    window.settings.remember_recipe(str(copy), "0" * 64, "IMAGENET1K_V1")  # chosen for the file's former content
    state.model.choice = ModelChoice("mobilenet_v2", str(copy), None, "cpu")
    state.start()
    qtbot.waitUntil(lambda: state.model.info is not None and state.model.info.recipe.resize == 232, timeout=TIMEOUT)
    assert state.model.choice.recipe is None and _asked(window) == 1
    assert window.settings.recipe_of_file(str(copy)) is None

    # The same content under another path gets the answer given for it, once loaded (nothing asked).
    qtbot.mouseClick(_buttons(window)["IMAGENET1K_V1 (resize 256, crop 224)"], LEFT)
    qtbot.waitUntil(lambda: state.model.info is not None and state.model.info.recipe.resize == 256, timeout=TIMEOUT)
    moved = tmp_path / "moved.pth"
    shutil.copy(copy, moved)
    window.model_bar.pick_weights(str(moved))
    qtbot.waitUntil(lambda: state.model.info is not None and state.model.info.recipe.resize == 256, timeout=TIMEOUT)
    assert state.model.choice.recipe == "IMAGENET1K_V1" and _asked(window) == 1


def _click_radio(qtbot, button: QtWidgets.QRadioButton) -> None:
    """A click on the radio button's indicator (its centre may lie past its text, where a click does nothing)."""
    qtbot.mouseClick(button, LEFT, pos=QtCore.QPoint(6, button.height() // 2))
    assert button.isChecked()


def _type(qtbot, field: QtWidgets.QLineEdit, text: str) -> None:
    """Replace ``field``'s text as a user does: select all, type."""
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, text)


def test_an_answer_is_applied_only_where_the_network_can_take_it(qtbot, state, weights_file):
    state.start()
    qtbot.waitUntil(lambda: state.model.info is not None, timeout=TIMEOUT)
    state.recipes.store.remember_recipe(weights_file, "ab" * 32, "IMAGENET1K_V1")
    mobilenet = ModelChoice("mobilenet_v2", weights_file, None, "cpu")
    assert state.recipes.with_remembered(mobilenet).recipe == "IMAGENET1K_V1"
    # The same file chosen for LeNet-5 (it will not fit, and must fail for that reason): no torchvision enum there.
    assert state.recipes.with_remembered(ModelChoice("lenet5", weights_file, None, "cpu")).recipe is None
    state.recipes.store.remember_recipe(weights_file, "ab" * 32, "resize=36,crop=32,mean=0.1,std=0.3")
    assert state.recipes.with_remembered(ModelChoice("lenet5", weights_file, None, "cpu")).recipe is not None
    assert state.recipes.with_remembered(mobilenet).recipe is None  # one mean for a 3-channel network
    assert state.recipes.with_remembered(ModelChoice("mobilenet_v2", "IMAGENET1K_V1", None, "cpu")).recipe is None


def test_a_compare_column_of_the_file_gets_the_recipe_chosen_for_it(
    qtbot, make_window, choose_in_combo, shared_data, weights_file
):
    window = make_window("mobilenet_v2", RANDOM)
    state = window.state
    state.images.open_paths([str(shared_data / "images" / "tv_dog1.jpg")])
    window.model_bar.ask_open_file = lambda _title, _filters: weights_file
    choose_in_combo(window.model_bar.weights_picker, FROM_FILE)
    qtbot.waitUntil(lambda: bool(_buttons(window)), timeout=TIMEOUT)
    qtbot.mouseClick(_buttons(window)["IMAGENET1K_V1 (resize 256, crop 224)"], LEFT)
    qtbot.waitUntil(_with_recipe(state, 256), timeout=TIMEOUT)

    with qtbot.waitSignal(state.compare.comparison_changed, check_params_cb=bool, timeout=TIMEOUT):
        state.compare.request_compare([("mobilenet_v2", weights_file), ("mobilenet_v2", "none")])
    file_column, random_column = state.compare.comparison.networks
    assert not file_column.error and file_column.recipe["resize"] == 256  # the file's answer, not the default
    assert random_column.recipe["resize"] == 232
