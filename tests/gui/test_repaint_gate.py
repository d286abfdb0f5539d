"""The repaint gate: a passage counts as shown only after the GUI thread has gone through its posted events."""

from __future__ import annotations

import threading

from PySide6 import QtCore

from viewer.gui.repaint_gate import HOPS, RepaintGate


def test_a_passage_is_shown_only_after_the_events_posted_before_it(qtbot):
    gate = RepaintGate()
    handled: list[str] = []
    number = gate.open_passage()
    QtCore.QTimer.singleShot(0, lambda: handled.append("repaint queued before"))
    gate.mark_posted(number)
    assert gate.shown_upto() == 0 and not gate.wait(number, timeout=0)
    qtbot.waitUntil(lambda: gate.shown_upto() == number)
    assert handled == ["repaint queued before"] and gate.wait(number, timeout=0) and HOPS >= 1


def test_passages_end_in_the_order_they_began_and_a_worker_waits_for_its_own(qtbot):
    gate = RepaintGate()
    first, second = gate.open_passage(), gate.open_passage()
    results: list[bool] = []
    waiter = threading.Thread(target=lambda: results.append(gate.wait(second, timeout=60)))
    waiter.start()
    gate.mark_posted(first)
    qtbot.waitUntil(lambda: gate.shown_upto() == first)
    assert waiter.is_alive()  # its own passage is not shown yet
    gate.mark_posted(second)
    qtbot.waitUntil(lambda: not waiter.is_alive())
    assert results == [True] and gate.shown_upto() == second


def test_closing_releases_a_waiting_worker_at_once(qtbot):
    gate = RepaintGate()
    number = gate.open_passage()
    results: list[bool] = []
    waiter = threading.Thread(target=lambda: results.append(gate.wait(number, timeout=600)))
    waiter.start()
    gate.close()
    waiter.join(timeout=60)
    assert not waiter.is_alive() and results == [False]
