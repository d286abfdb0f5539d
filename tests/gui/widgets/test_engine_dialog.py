"""File › Engine…: where jobs run now, and a server chosen for the next start (kept in the settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtCore, QtWidgets

from viewer.gui.jobs.engine_choice import ENGINE_ENV, configured_engine
from viewer.gui.runtime.settings import Settings
from viewer.gui.widgets.model.engine_dialog import EngineDialog


def _open_dialog(qtbot: Any, window: Any) -> EngineDialog:
    qtbot.waitUntil(lambda: window.findChild(EngineDialog, "engineDialog") is None)  # the last one deleted
    action = window.findChild(QtCore.QObject, "engineAction")
    assert action is not None and action.text().replace("&", "") == "Engine…"
    action.trigger()
    qtbot.waitUntil(lambda: window.findChild(EngineDialog, "engineDialog") is not None)
    dialog = window.findChild(EngineDialog, "engineDialog")
    qtbot.waitExposed(dialog)
    return dialog


def _pick(qtbot: Any, button: QtWidgets.QRadioButton) -> None:
    """A click on the radio button's circle (a wide button's middle may be past its text: not a hit)."""
    qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(6, button.height() // 2))


def _ok(qtbot: Any, dialog: EngineDialog) -> None:
    box = dialog.findChild(QtWidgets.QDialogButtonBox)
    qtbot.mouseClick(box.button(QtWidgets.QDialogButtonBox.StandardButton.Ok), QtCore.Qt.MouseButton.LeftButton)


def test_a_server_chosen_in_the_dialog_is_the_engine_of_the_next_start(
    qtbot: Any, make_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window("lenet5", "none")
    dialog = _open_dialog(qtbot, window)
    assert dialog.width() >= 620  # the fields' hints are read whole
    assert dialog.now_label.text().startswith("Jobs run now: a thread of this process")  # the tests' engine
    assert dialog.local_button.isChecked() and not dialog.server_box.isEnabled()

    _pick(qtbot, dialog.server_button)
    assert dialog.server_box.isEnabled()
    qtbot.keyClicks(dialog.address_field, "gpu-server")
    _ok(qtbot, dialog)
    assert "HOST:PORT" in dialog.problem.text() and dialog.isVisible()  # said, and still open

    dialog.address_field.clear()
    qtbot.keyClicks(dialog.address_field, "127.0.0.1:7341")
    qtbot.keyClicks(dialog.token_field, str(tmp_path / "missing"))
    _ok(qtbot, dialog)
    assert "no such file" in dialog.problem.text() and dialog.isVisible()

    token = tmp_path / "token"
    token.write_text("secret\n")
    dialog.token_field.clear()
    qtbot.keyClicks(dialog.token_field, str(token))
    with qtbot.waitSignal(dialog.finished):
        _ok(qtbot, dialog)
    assert Settings().engine() == ("127.0.0.1:7341", str(token))
    assert "next start" in window.statusBar().currentMessage()
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    assert configured_engine() == ("127.0.0.1:7341", str(token))  # what the next start's runner is made from

    dialog = _open_dialog(qtbot, window)  # opens on the stored choice; back to this computer
    assert dialog.server_button.isChecked() and dialog.address_field.text() == "127.0.0.1:7341"
    _pick(qtbot, dialog.local_button)
    with qtbot.waitSignal(dialog.finished):
        _ok(qtbot, dialog)
    assert configured_engine() == ("local", None)


def test_the_environment_comes_before_the_settings(monkeypatch: pytest.MonkeyPatch, qapp: Any) -> None:
    Settings().set_engine("127.0.0.1:7341", "/some/token")
    monkeypatch.setenv(ENGINE_ENV, "local")
    assert configured_engine() == ("local", None)
