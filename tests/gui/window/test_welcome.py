"""The empty window: samples one click away, what to do, and a Help menu that says where the lecture is."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from viewer.gui.window.help_texts import SAMPLES

TIMEOUT = 120_000


def _menu_action(window, name: str):
    action = None
    for menu in window.menuBar().findChildren(QtWidgets.QMenu):
        for item in menu.actions():
            if item.objectName() == name:
                action = item
    assert action is not None, name
    return action


def test_the_welcome_state_loads_a_sample_with_one_click(qtbot, make_window):
    window = make_window("nin", "none")  # an ImageNet-sized network: the digit must bring LeNet-5
    state = window.state
    assert window.image_stack.currentWidget() is window.welcome and window.welcome.isVisible()
    assert not window.thumbnails.isVisible()
    text = " ".join(label.text() for label in window.welcome.findChildren(QtWidgets.QLabel))
    for words in ("Drop", "Ctrl+O", "Ctrl+V", "PgUp", "Ctrl+1"):
        assert words in text, words
    assert len(window.welcome.sample_buttons) == len(SAMPLES) >= 4
    assert all(not button.icon().isNull() for button in window.welcome.sample_buttons.values())

    qtbot.mouseClick(window.welcome.sample_buttons["sample_mnist_7.png"], QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    # The digit brings LeNet-5 with its bundled MNIST weights: a trained answer, not random init.
    assert state.model.choice.model == "lenet5" and state.predictions.prediction.pretrained
    assert state.predictions.prediction.topk[0].name == "7"
    assert window.image_stack.currentWidget() is window.image_panel and window.thumbnails.isVisible()


def test_help_menu_lists_shortcuts_the_lecture_and_versions(qtbot, make_window):
    window = make_window("lenet5", "none")
    _menu_action(window, "shortcutsAction").trigger()
    dialog = window.help_dialog
    qtbot.waitUntil(dialog.isVisible)
    text = dialog.findChild(QtWidgets.QTextBrowser, "helpText").toPlainText()
    assert "PgUp / PgDn" in text and "Ctrl+O" in text
    _menu_action(window, "lectureAction").trigger()
    text = dialog.findChild(QtWidgets.QTextBrowser, "helpText").toPlainText()
    for idea in (
        "LeNet-5",
        "AlexNet",
        "VGG",
        "Network in Network",
        "GoogLeNet",
        "aux1",
        "ResNet",
        "v1.5",
        "--lecture-table",
        "Table 1 (ResNet)",
        "Convolutionized at",
        "Inception (a) vs (b)",
        "ResNeXt",
        "Expand groups",
        "OverFeat",
        "TTA",
    ):
        assert idea in text, idea
    from viewer.gui.window.menus import about_text

    about = about_text(window)
    for word in ("torch", "torchvision", "Qt", "device (Auto)", "weights folder", "checkpoints"):
        assert word in about, word
    dialog.close()


def test_file_samples_stay_one_click_away_once_an_image_is_open(qtbot, make_window, shared_data):
    window = make_window("nin", "none")
    state = window.state
    photo = shared_data / "images" / "kitten.jpg"
    window.open_paths([str(photo)])
    qtbot.waitUntil(lambda: state.image is not None, timeout=TIMEOUT)
    assert window.image_stack.currentWidget() is window.image_panel  # the welcome and its buttons are gone

    menu = window.findChild(QtWidgets.QMenu, "samplesMenu")
    assert [action.text() for action in menu.actions()] == [sample.caption for sample in SAMPLES]
    menu.popup(window.mapToGlobal(QtCore.QPoint(10, 10)))
    qtbot.waitUntil(menu.isVisible)
    (digit,) = [action for action in menu.actions() if action.objectName() == "sample_sample_mnist_7Action"]
    qtbot.mouseClick(menu, QtCore.Qt.MouseButton.LeftButton, pos=menu.actionGeometry(digit).center())
    qtbot.waitUntil(
        lambda: (
            state.predictions.prediction is not None
            and state.predictions.prediction.image.endswith("sample_mnist_7.png")
        ),
        timeout=TIMEOUT,
    )
    assert (
        state.model.choice.model == "lenet5" and state.predictions.prediction.topk[0].name == "7"
    )  # as the welcome's button does
    assert [entry.name for entry in state.images] == ["kitten.jpg", "sample_mnist_7.png"]


def test_help_lists_all_six_tabs(qtbot, make_window):
    window = make_window(start=False)
    for name in ("shortcutsAction", "lectureAction"):
        _menu_action(window, name).trigger()
        text = window.help_dialog.findChild(QtWidgets.QTextBrowser, "helpText").toPlainText()
        assert "Ctrl+1 … Ctrl+6" in text, name
        for tab in ("Predictions", "Activations", "Architecture", "Heatmap", "Compare", "Explain"):
            assert tab in text, (name, tab)
    window.help_dialog.close()
