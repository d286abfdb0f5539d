"""AppState: results kept only for the latest request; offline weights offer a way out."""

from __future__ import annotations

import pytest

from viewer.core.errors import DownloadError
from viewer.gui.state import AppState, ModelChoice

TIMEOUT = 120_000


def test_offline_pretrained_weights_offer_random_weights(qtbot, make_window):
    window = make_window("resnet18", "default")  # the weights URL points at a closed port in tests
    state = window.state
    assert state.model.info is None and state.model.error is not None
    assert not state.model.error.is_bug and isinstance(state.model.error.error, DownloadError)
    assert window.notices.isVisible() and "--weights" not in window.notices.text_label.text()  # app actions, not flags
    buttons = {button.text(): button for button in window.notices.action_buttons()}
    assert set(buttons) == {"Retry", "Use random weights", "Choose a weights file…", "Open the weights folder"}
    buttons["Use random weights"].click()
    qtbot.waitUntil(lambda: state.model.info is not None, timeout=TIMEOUT)
    assert state.model.choice == ModelChoice("resnet18", "none", None, "cpu") and not state.model.info.pretrained
    assert "random init" in window.status_label.text()


def test_images_that_fail_are_reported_and_the_rest_open(qtbot, shared_data, tmp_path):
    state = AppState()
    notices = []
    state.notices.message.connect(notices.append)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with qtbot.waitSignal(state.images.images_changed, timeout=TIMEOUT):
        state.images.open_paths([str(empty), str(shared_data / "images" / "sk_camera.png"), str(tmp_path / "nope.jpg")])
    assert [entry.name for entry in state.images] == ["sk_camera.png"] and state.images.current == 0
    assert "empty.png: the file is empty" in notices[0].text and "1 more" in notices[0].text
    assert "nope.jpg: no such file" in notices[0].details
    assert state.image.display.shape[2] == 3 and max(state.image.thumbnail.shape[:2]) <= 96
    state.jobs.shutdown()


@pytest.mark.own_engine  # its engine must see the slow weights server set below
def test_a_download_shows_progress_and_cancel_stops_it(qtbot, make_window, monkeypatch, tmp_path):
    import http.server
    import os
    import threading
    import time
    from pathlib import Path

    from viewer.core.progress import Progress

    size = 64 << 20

    class SlowWeights(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                for _ in range(size >> 16):
                    self.wfile.write(b"\0" * (1 << 16))
                    time.sleep(0.02)  # a slow network, simulated
            except OSError:
                pass  # the client hung up: cancelled

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowWeights)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("VIEWER_WEIGHTS_URL_BASE", f"http://127.0.0.1:{server.server_port}/")
    try:
        window = make_window("resnet18", "default", wait_model=False)
        state = window.state
        seen = []
        state.progress.connect(
            lambda item, kind: seen.append(item) if isinstance(item, Progress) and kind == "model" else None
        )
        qtbot.waitUntil(lambda: any(item.step > 0 for item in seen), timeout=TIMEOUT)
        assert seen[-1].total == size and window.progress_bar.isVisible() and window.cancel_button.isVisible()
        with qtbot.waitSignal(state.jobs.cancelled, timeout=TIMEOUT):
            window.cancel_button.click()
        assert state.model.info is None and "cancelled" in window.notices.text_label.text()
        checkpoints = Path(os.environ["TORCH_HOME"]) / "hub" / "checkpoints"
        # With the engine process the Cancel is said at once and the engine drops the partial file a moment
        # later, at the download's next chunk: waited for (the in-thread runner has dropped it already).
        qtbot.waitUntil(lambda: not any(checkpoints.glob("resnet18*")), timeout=TIMEOUT)
    finally:
        server.shutdown()


def test_removing_an_image_before_the_current_one_keeps_showing_the_current_one(qtbot, shared_data):
    state = AppState()
    names = ["sk_camera.png", "sk_chelsea.png", "sk_coffee.png", "kitten.jpg"]
    with qtbot.waitSignal(state.images.images_changed, timeout=TIMEOUT):
        state.images.open_paths([str(shared_data / "images" / name) for name in names])
    state.images.set_current(2)
    shown = []
    state.images.image_changed.connect(lambda entry: shown.append(None if entry is None else entry.name))
    state.images.remove(0)
    assert [entry.name for entry in state.images] == names[1:]
    assert state.image.name == "sk_coffee.png" and state.images.current == 1
    state.images.remove(2)  # after the current one
    assert state.image.name == "sk_coffee.png" and shown == []  # the shown image never changed
    state.images.remove(1)  # the current one, the last: its neighbour takes its place
    assert state.image.name == "sk_chelsea.png" and shown == ["sk_chelsea.png"]
    state.images.remove(0)
    assert state.image is None and state.images.current == -1 and shown[-1] is None
    state.jobs.shutdown()


@pytest.mark.own_engine  # reads its engine's whole model cache
def test_analysis_jobs_reuse_the_loaded_model_also_for_auto_device_and_custom_files(qtbot, make_window, shared_data):
    from pathlib import Path

    window = make_window(start=False)
    state = window.state
    state.model.choice = ModelChoice("lenet5", "default", None, "auto")
    state.start()
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.activations.shown is not None, timeout=TIMEOUT
    )
    assert state.predictions.prediction.topk[0].name == "7"
    assert state.jobs.loaded_models() == [ModelChoice("lenet5", "default", None, "auto").key()]  # one copy
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "cifar_resnet.py"
    custom = ModelChoice(None, str(shared_data / "weights" / "resnet20-12fca82f.th"), f"{fixture}:resnet20", "cpu")
    state.set_model(custom)  # as the model bar does once the user allowed the file
    state.images.open_paths([str(shared_data / "images" / "kitten.jpg")])
    qtbot.waitUntil(
        lambda: (
            (state.predictions.prediction is not None and state.image.name == "kitten.jpg")
            or "Classification" in window.notices.text_label.text()
        ),
        timeout=TIMEOUT,
    )
    assert state.predictions.prediction is not None, window.notices.text_label.text()
    assert state.predictions.prediction.model == "cifar_resnet:resnet20" and len(state.predictions.prediction.topk) == 5
    loaded = state.jobs.loaded_models()
    assert loaded[-1] == custom.key() and len(loaded) == 2


def test_a_layer_the_model_lacks_is_said_and_its_first_convolution_shown(qtbot, make_window):
    # As `viewer gui --layer conv9` sets it: before any model is loaded.
    window = make_window("lenet5", "none", start=False)
    state = window.state
    state.activations.layers = ["conv9"]
    state.start()
    qtbot.waitUntil(lambda: state.model.summary is not None, timeout=TIMEOUT)
    assert state.activations.layers == ["features.0"]
    text = window.notices.text_label.text()
    assert "no layer named 'conv9'" in text and "showing features.0 instead" in text


def test_layers_chosen_on_another_model_are_replaced_quietly(qtbot, make_window):
    window = make_window("lenet5", "none")
    state = window.state
    qtbot.waitUntil(lambda: state.model.summary is not None, timeout=TIMEOUT)
    state.activations.set_layers(["classifier.0"])  # NiN has no classifier
    notices = []
    state.notices.message.connect(notices.append)
    state.set_model(ModelChoice("nin", "none", None, "cpu"))
    qtbot.waitUntil(
        lambda: state.model.summary is not None and state.model.summary.model_name == "nin", timeout=TIMEOUT
    )
    assert state.activations.layers == [state.model.summary.first_convolution()]
    assert not [notice for notice in notices if "layer" in notice.text]


def test_a_model_file_edited_between_consent_and_loading_is_not_run(qtbot, make_window, tmp_path):
    import hashlib

    source = tmp_path / "tiny.py"
    source.write_text(
        "from torch import nn\n\ndef build():\n    return nn.Sequential(nn.Flatten(), nn.LazyLinear(3))\n"
    )
    allowed = hashlib.sha256(source.read_bytes()).hexdigest()  # what the user saw and allowed
    sentinel = tmp_path / "ran"
    source.write_text(source.read_text() + f"open({str(sentinel)!r}, 'w').close()\n")  # before the worker runs it
    window = make_window("lenet5", "none")
    state = window.state
    state.set_model(ModelChoice(None, "none", f"{source}:build", "cpu", allowed))
    qtbot.waitUntil(lambda: state.model.error is not None, timeout=TIMEOUT)
    assert "changed since you allowed it to run" in state.model.error.message
    assert not sentinel.exists()
