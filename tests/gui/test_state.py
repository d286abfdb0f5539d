"""AppState: results kept only for the latest request; offline weights offer a way out; class lookup."""

from __future__ import annotations

from viewer.gui.state import AppState, ModelChoice

TIMEOUT = 120_000


def test_offline_pretrained_weights_offer_random_weights(qtbot, make_window):
    window = make_window("resnet18", "default")  # the weights URL points at a closed port in tests
    state = window.state
    assert state.model_info is None and state.model_error is not None
    assert not state.model_error.is_bug and "--weights none" in state.model_error.message
    assert window.notices.isVisible()
    buttons = {button.text(): button for button in window.notices.action_buttons()}
    assert set(buttons) == {"Use random weights", "Choose a weights file…"}
    buttons["Use random weights"].click()
    qtbot.waitUntil(lambda: state.model_info is not None, timeout=TIMEOUT)
    assert state.choice == ModelChoice("resnet18", "none", None, "cpu") and not state.model_info.pretrained
    assert "random init" in window.status_label.text()


def test_images_that_fail_are_reported_and_the_rest_open(qtbot, shared_data, tmp_path):
    state = AppState()
    notices = []
    state.message.connect(notices.append)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with qtbot.waitSignal(state.images_changed, timeout=TIMEOUT):
        state.open_paths([str(empty), str(shared_data / "images" / "sk_camera.png"), str(tmp_path / "nope.jpg")])
    assert [entry.name for entry in state.images] == ["sk_camera.png"] and state.current == 0
    assert "empty.png: the file is empty" in notices[0].text and "1 more" in notices[0].text
    assert "nope.jpg: no such file" in notices[0].details
    assert state.image.display.shape[2] == 3 and max(state.image.thumbnail.shape[:2]) <= 96
    state.jobs.shutdown()


def test_classes_are_found_by_index_or_name(qtbot, make_window):
    window = make_window("nin", "none")
    state = window.state
    assert state.class_index(3) == 3 and state.class_index("3") == 3
    assert state.class_index("Truck") == 9
    assert state.class_index("zebra") is None
    assert "not a class of nin" in window.notices.text_label.text()
