"""The recipe dialog alone: what it offers, which option it checks, and the answer OK gives (real clicks, keys)."""

from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import Qt

from viewer.core.network.recipe import Recipe, parse_recipe
from viewer.gui.widgets.model.recipe_dialog import RecipeDialog

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
V1 = Recipe(256, 224, "bilinear", MEAN, STD, "IMAGENET1K_V1", "the weights")
V2 = Recipe(232, 224, "bilinear", MEAN, STD, "IMAGENET1K_V2", "the weights")
SAID = Recipe(256, 224, "bilinear", MEAN, STD, "IMAGENET1K_V1", "the file's sha256: torchvision's published …")


def _dialog(qtbot, current: str | None, own: Recipe = SAID) -> tuple[RecipeDialog, list[object]]:
    dialog = RecipeDialog()
    qtbot.addWidget(dialog)
    dialog.set_offer("net.pth", (V1, V2), own, V1, current)
    dialog.show()
    answers: list[object] = []
    dialog.recipeChosen.connect(answers.append)
    return dialog, answers


def _ok(qtbot, dialog: RecipeDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_a_file_that_says_its_recipe_offers_it_as_said_and_an_enum_spelt_lower_case_is_checked(qtbot):
    dialog, answers = _dialog(qtbot, "imagenet1k_v2")
    assert dialog.option(None).text() == "As the file says — IMAGENET1K_V1: resize 256, crop 224, bilinear"
    assert dialog.option("IMAGENET1K_V2").isChecked() and not dialog.values.isEnabled()
    _ok(qtbot, dialog)
    assert answers == ["IMAGENET1K_V2"] and not dialog.isVisible()

    dialog.set_offer("net.pth", (V1, V2), SAID, V1, None)  # offered again: the options are not doubled
    assert len(dialog.group.buttons()) == 4 and dialog.option(None).isChecked()


def test_explicit_values_are_the_text_recipe_takes_whatever_the_separators(qtbot):
    dialog, answers = _dialog(qtbot, "resize=240,crop=224")
    assert dialog.explicit.isChecked() and dialog.values.isEnabled()
    assert (dialog.resize_box.value(), dialog.mean_field.text()) == (256, "0.485, 0.456, 0.406")  # from in_use
    dialog.std_field.setFocus()
    qtbot.keyClick(dialog.std_field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.std_field, "0.25 0.25;0.25")
    dialog.interpolation_box.setCurrentText("bicubic")
    _ok(qtbot, dialog)
    (answer,) = answers
    assert parse_recipe(str(answer)) == {
        "resize": 256,
        "crop": 224,
        "interpolation": "bicubic",
        "mean": MEAN,
        "std": (0.25, 0.25, 0.25),
    }
    assert dialog.error.isHidden()
