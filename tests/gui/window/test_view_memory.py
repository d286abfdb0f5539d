"""View state belongs to the network it was made on: a new network starts clean, a network chosen again finds
its own find text, layers and open blocks, and nothing is said about the previous network's names."""

from __future__ import annotations

from PySide6 import QtCore

from tests.gui.conftest import JOB_TIMEOUT_MS
from viewer.gui.state import ModelChoice


def _settled(window, qtbot, network: str) -> None:
    state = window.state
    qtbot.waitUntil(
        lambda: (
            state.model.summary is not None
            and state.architecture.graph is not None
            and state.architecture.graph.model_name == network
            and not state.jobs.is_busy()
        ),
        timeout=JOB_TIMEOUT_MS,
    )


def test_a_second_network_starts_with_an_empty_find_box_and_no_notice(make_window, qtbot, shared_data) -> None:
    window = make_window("resnet18", "none")
    window.open_paths([str(shared_data / "images" / "kitten.jpg")])
    _settled(window, qtbot, "resnet18")
    state, architecture = window.state, window.architecture
    window.set_tab("architecture")
    find = architecture.find_bar.edit
    qtbot.keyClicks(find, "layer1.0")
    qtbot.keyClick(find, QtCore.Qt.Key.Key_Return)
    state.activations.set_layers(["layer1.0"])
    state.architecture.set_expanded({"layer1"})
    qtbot.waitUntil(lambda: not state.jobs.is_busy(), timeout=JOB_TIMEOUT_MS)

    state.set_model(ModelChoice("nin", "none", None, "cpu"))
    _settled(window, qtbot, "nin")
    assert find.text() == "" and architecture.find_bar.message.text() == ""
    assert state.activations.layers == [state.model.summary.first_convolution()]
    assert window.notices.isHidden() or not window.notices.text(), window.notices.text()
    assert "layer1" not in (state.architecture.expanded or ())

    state.set_model(ModelChoice("resnet18", "none", None, "cpu"))
    _settled(window, qtbot, "resnet18")
    assert find.text() == "layer1.0" and state.activations.layers == ["layer1.0"]
    assert "layer1" in (state.architecture.expanded or ())
