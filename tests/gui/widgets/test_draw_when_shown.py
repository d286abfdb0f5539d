"""``DrawWhenShown``: a view behind another tab draws once, when shown; a shown view draws at once."""

from __future__ import annotations

from typing import ClassVar

from PySide6 import QtCore, QtWidgets

from viewer.gui.widgets.common.turns import DrawWhenShown


class _Counting(DrawWhenShown):
    """Counts the events its filter sees: none while nothing waits."""

    filtered = 0

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        self.filtered += 1
        return super().eventFilter(watched, event)


def _let_turns_pass(qtbot, turns: int = 2) -> None:
    """Wait until ``turns`` event-loop turns have passed (a zero-interval timer started now fires after the
    helper's, started earlier): a negative check then means something, not a timer that had no time yet."""
    for _ in range(turns):
        fired: list[int] = []
        timer = QtCore.QTimer()
        timer.setSingleShot(True)
        timer.setInterval(0)
        timer.timeout.connect(lambda fired=fired: fired.append(1))
        timer.start()
        qtbot.waitUntil(lambda fired=fired: bool(fired))


def _tabs(qtbot) -> tuple[QtWidgets.QTabWidget, QtWidgets.QWidget]:
    """A shown tab widget whose second tab (the view) is behind the first."""
    tabs = QtWidgets.QTabWidget()
    qtbot.addWidget(tabs)
    view = QtWidgets.QWidget()
    tabs.addTab(QtWidgets.QWidget(), "front")
    tabs.addTab(view, "behind")
    tabs.show()
    qtbot.waitExposed(tabs)
    assert not view.isVisible()
    return tabs, view


def test_a_shown_view_draws_at_once(qtbot) -> None:
    tabs, view = _tabs(qtbot)
    tabs.setCurrentWidget(view)
    drawn: list[str] = []
    helper = DrawWhenShown(view, lambda: drawn.append("draw"))
    helper.request()
    assert drawn == ["draw"] and not helper.pending()


def test_a_hidden_view_draws_once_a_turn_after_it_is_shown(qtbot) -> None:
    tabs, view = _tabs(qtbot)
    events: list[str] = []
    helper = _Counting(view, lambda: events.append("draw"))
    helper.request()
    helper.request()  # a second change while hidden: still one drawing
    assert events == [] and helper.pending()
    tabs.setCurrentWidget(view)
    assert events == []  # not in the Show event: the tab switch paints first …
    # … a turn later: what was posted in the switch's turn (its repaint) is handled before the drawing.
    QtCore.QTimer.singleShot(0, lambda: events.append("posted in the show's turn"))
    qtbot.waitUntil(lambda: "draw" in events)
    assert events == ["posted in the show's turn", "draw"] and not helper.pending()
    seen = helper.filtered
    assert seen > 0  # its Show came through the filter
    tabs.setCurrentIndex(0)
    tabs.setCurrentWidget(view)
    view.resize(view.width() + 10, view.height())
    _let_turns_pass(qtbot)
    assert events.count("draw") == 1  # shown again with nothing new: nothing drawn
    assert helper.filtered == seen  # and the filter is off: a shown view's events never go through Python


def test_a_view_hidden_again_before_its_turn_draws_at_its_next_show(qtbot) -> None:
    tabs, view = _tabs(qtbot)
    drawn: list[str] = []
    helper = DrawWhenShown(view, lambda: drawn.append("draw"))
    helper.request()
    tabs.setCurrentWidget(view)
    tabs.setCurrentIndex(0)  # gone again in the same turn
    _let_turns_pass(qtbot)
    assert drawn == [] and helper.pending()
    tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: drawn == ["draw"])


def test_drawing_now_when_shown_draws_in_the_show_event(qtbot) -> None:
    tabs, view = _tabs(qtbot)
    drawn: list[str] = []
    helper = DrawWhenShown(view, lambda: drawn.append("draw"), when_shown="now")
    helper.request()
    assert drawn == []
    tabs.setCurrentWidget(view)
    assert drawn == ["draw"]  # before its first paint


def test_cancel_forgets_and_flush_draws_while_hidden(qtbot) -> None:
    tabs, view = _tabs(qtbot)
    drawn: list[str] = []
    helper = DrawWhenShown(view, lambda: drawn.append("draw"))
    helper.request()
    helper.cancel()
    assert not helper.pending()
    tabs.setCurrentWidget(view)
    _let_turns_pass(qtbot)
    assert drawn == []  # what it would have drawn is gone
    tabs.setCurrentIndex(0)
    helper.flush()
    assert drawn == []  # nothing waits: nothing to draw
    helper.request()
    helper.flush()  # someone reads the picture of the hidden view
    assert drawn == ["draw"] and not helper.pending()
    tabs.setCurrentWidget(view)
    _let_turns_pass(qtbot)
    assert drawn == ["draw"]  # drawn already: not again when shown


def test_the_explain_tabs_maps_that_land_while_it_is_hidden_are_drawn_when_it_is_shown(qtbot) -> None:
    import numpy as np

    from viewer.gui.widgets.explain import ExplainView

    class Map:
        scores = np.linspace(0, 1, 40 * 60, dtype=np.float32).reshape(40, 60)
        parameters: ClassVar[dict[str, object]] = {}

    class Found:  # what the view reads of an ExplainSet
        model, class_index, class_name, pretrained, input_size, forward_ms = "net", 3, "tabby", True, (60, 40), 0.0
        results: ClassVar[dict[str, Map]] = {"saliency": Map()}
        reasons: ClassVar[dict[str, str]] = {"gradcam": "not a convolutional network"}

    tabs, _ = _tabs(qtbot)
    view = ExplainView()
    tabs.addTab(view, "explain")
    view.set_image(np.full((40, 60, 3), 120, np.uint8))
    view.set_explanations(Found())  # behind another tab
    saliency, gradcam = view.panels["saliency"], view.panels["gradcam"]
    assert not saliency.shown and saliency.picture.source.isNull() and gradcam.isEnabled()
    tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: saliency.shown)
    assert not saliency.picture.source.isNull() and not gradcam.isEnabled()
