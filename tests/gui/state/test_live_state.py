"""The live state's one-slot mailbox, without a video or an engine: a host whose jobs the test finishes by hand.

What the window's live view relies on wherever Qt Multimedia cannot load (``test_live.py`` plays a real video):
a frame is sent when the engine is free, otherwise it waits in the slot and a newer one replaces it; the frames
analysed are never more than the frames shown, and each result is of the newest frame at the time it was sent.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from viewer.core.results.live import FrameResult, LiveFrame
from viewer.core.results.prediction import TopClass
from viewer.gui.jobs.tickets import JobKind, Stop, Ticket
from viewer.gui.state.live import LiveState


class Host:
    """The app as the live state sees it; ``sent`` holds each job's ticket, frame and options."""

    def __init__(self) -> None:
        self.model = SimpleNamespace(info=SimpleNamespace(key="model"))
        self.notices = SimpleNamespace(job_failed=lambda kind, error: self.failures.append(error))
        self.failures: list[Any] = []
        self.sent: list[tuple[Ticket, LiveFrame, dict[str, Any]]] = []

    def _submit(self, kind: JobKind, job: str, frame: LiveFrame, **options: Any) -> Ticket:
        assert kind is JobKind.LIVE and job == "live_frame" and options["model"] == "model"
        ticket = Ticket(kind, len(self.sent) + 1, on_result=options["on_result"])
        self.sent.append((ticket, frame, options))
        return ticket

    def finish(self, index: int = -1) -> None:
        ticket, frame, _options = self.sent[index]
        result = FrameResult(frame.number, frame.time_s, [TopClass(1, "one", 2.0, 0.9)], "model")
        ticket.set_result(result)
        ticket.on_result(result)


def _offer(state: LiveState, number: int, made: list[int]) -> None:
    def make() -> LiveFrame:
        made.append(number)
        return LiveFrame(number, number / 30, np.zeros((4, 4, 3), np.uint8), "test")

    state.offer(number, make)


def test_the_newest_frame_waits_and_older_ones_are_never_made(qtbot) -> None:
    host = Host()
    state = LiveState(host)  # type: ignore[arg-type]
    results: list[FrameResult] = []
    state.result_changed.connect(lambda result: results.append(result) if result is not None else None)
    made: list[int] = []
    _offer(state, 0, made)
    assert made == []  # not live yet: nothing shown, nothing sent
    state.start("test")
    for number in range(10):
        _offer(state, number, made)
    assert made == [0] and [frame.number for _t, frame, _o in host.sent] == [0]  # 1–8 dropped unmade
    host.finish()
    assert made == [0, 9] and [r.number for r in results] == [0]
    host.finish()
    assert [r.number for r in results] == [0, 9] and state.analysed == 2 <= state.shown == 10
    _offer(state, 10, made)  # the engine is free: sent at once
    assert made[-1] == 10 and len(host.sent) == 3


def test_options_a_model_change_and_stop(qtbot) -> None:
    host = Host()
    state = LiveState(host)  # type: ignore[arg-type]
    state.topk, state.heatmap, state.heatmap_class = 3, True, 872
    host.model.info = None  # no model yet: the newest frame waits for one
    state.start("test")
    made: list[int] = []
    for number in range(3):
        _offer(state, number, made)
    assert made == [] and host.sent == []
    host.model.info = SimpleNamespace(key="model")
    state.model_ready()
    assert made == [2]
    options = host.sent[0][2]
    assert (options["topk"], options["heatmap"], options["heatmap_class"]) == (3, True, 872)
    host.sent[0][0].stop(Stop.WITHDRAWN)  # the model changed: the frame in the engine is withdrawn
    _offer(state, 3, made)
    assert made == [2, 3]
    state.stop()
    assert host.sent[1][0].stop_requested and not state.active and state.result is None
    _offer(state, 4, made)
    assert made == [2, 3]
