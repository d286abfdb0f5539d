"""The notice banner (widgets.notices.NoticeBanner): text, details, actions, dismissal and clearing by kind."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from viewer.gui.widgets.notices import NoticeBanner


@pytest.fixture
def banner(qtbot) -> NoticeBanner:
    widget = NoticeBanner()
    qtbot.addWidget(widget)
    return widget


def test_a_notice_shows_its_text_and_details_on_demand(banner: NoticeBanner, qtbot) -> None:
    assert banner.text() == ""  # hidden until a notice comes
    banner.show_notice("Download failed.", "Traceback: …", level="warning")
    assert banner.text() == "Download failed." and banner.history == [("warning", "Download failed.", "Traceback: …")]
    assert banner.details_button.isVisibleTo(banner) and not banner.details.isVisibleTo(banner)
    qtbot.mouseClick(banner.details_button, Qt.MouseButton.LeftButton)
    assert banner.details.isVisibleTo(banner) and banner.details.toPlainText() == "Traceback: …"
    banner.show_notice("Plain.")
    assert not banner.details_button.isVisibleTo(banner)  # no details: no button


def test_an_action_runs_once_per_click_and_the_notice_stays_until_cleared(banner: NoticeBanner, qtbot) -> None:
    ran: list[str] = []
    enabled_while_running: list[bool] = []

    def download() -> None:  # a dialog the user cancels, say: nothing changes
        ran.append("download")
        enabled_while_running.append(button.isEnabled())

    banner.show_notice("Weights missing.", actions=[("Download", download)], kind="model")
    (button,) = banner.action_buttons()
    assert button.text() == "Download"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert ran == ["download"] and enabled_while_running == [False]
    assert banner.text() == "Weights missing." and button.isEnabled()  # its remedies are still there
    with qtbot.waitSignal(banner.dismissed):
        banner.clear("model")  # what the state does once the action resolved it
    assert banner.text() == ""
    banner.show_notice("Again.", actions=[("A", lambda: None), ("B", lambda: None)])
    assert [b.text() for b in banner.action_buttons()] == ["A", "B"]  # the old buttons are gone


def test_clear_takes_away_only_the_notice_of_that_kind(banner: NoticeBanner, qtbot) -> None:
    banner.show_notice("No model.", kind="model")
    banner.clear("heatmap")
    assert banner.text() == "No model."
    with qtbot.waitSignal(banner.dismissed):
        banner.clear("model")
    assert banner.text() == "" and banner.kind == ""
    banner.show_notice("Plain.")
    banner.clear("")  # a plain message belongs to no kind
    assert banner.text() == "Plain."


def test_the_close_button_dismisses(banner: NoticeBanner, qtbot) -> None:
    banner.show_notice("Something.")
    with qtbot.waitSignal(banner.dismissed):
        qtbot.mouseClick(banner.close_button, Qt.MouseButton.LeftButton)
    assert banner.isHidden()
