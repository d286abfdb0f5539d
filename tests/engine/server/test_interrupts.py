"""A cancelled job stops inside its forward pass (viewer.engine.server.interrupts), through the real job loop."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
from torch import nn

from viewer.core.progress import Progress
from viewer.engine.server import Request, Scheduler
from viewer.engine.server.interrupts import Interrupted, Interrupts

WAIT_S = 60


class Recorder:
    """A client's session as the loop sees it: the messages it was sent, and an event per ended job."""

    client_id = 1
    shares_memory = False

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.ended: dict[int, threading.Event] = {}

    def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        if message["op"] in ("result", "error", "cancelled"):
            self.ended.setdefault(message["job"], threading.Event()).set()

    def ops(self, job: int) -> list[str]:
        return [message["op"] for message in self.messages if message["job"] == job]


class Calls(nn.Module):
    """Counts its calls; ``then`` runs inside its forward (what a cancel arriving mid-forward does)."""

    def __init__(self, then: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.count = 0
        self.then = then

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.count += 1
        if self.then is not None:
            self.then()
        return x + 1


def _run_all(scheduler: Scheduler, recorder: Recorder, *jobs: int) -> None:
    """Run the loop on its own thread until ``jobs`` have ended, then stop it."""
    for job in jobs:
        recorder.ended.setdefault(job, threading.Event())
    thread = threading.Thread(target=scheduler.run, name="test-loop")
    thread.start()
    try:
        for job in jobs:
            assert recorder.ended[job].wait(WAIT_S), f"job {job} never ended: {recorder.ops(job)}"
    finally:
        scheduler.stop()
        thread.join(WAIT_S)
    assert not thread.is_alive()


def test_a_cancel_that_arrives_mid_forward_stops_the_job_at_the_next_module() -> None:
    recorder = Recorder()
    after = Calls()
    fallback_ran = threading.Event()
    scheduler = Scheduler({})

    def cancel_now() -> None:
        scheduler.cancel(recorder.client_id, 1)

    network = nn.Sequential(Calls(), Calls(then=cancel_now), after, Calls())

    def sweep() -> Iterator[Progress]:
        yield Progress(0, 1, "one long step")
        try:
            with torch.inference_mode():
                network(torch.zeros(1))
        except Exception:  # a fallback a job may have: a cancellation must not look like a failure here
            fallback_ran.set()
        return "finished"

    scheduler.jobs = {"sweep": sweep}
    scheduler.put(Request(recorder, 1, "sweep"))
    _run_all(scheduler, recorder, 1)
    assert recorder.ops(1) == ["started", "progress", "cancelled"]
    assert after.count == 0  # stopped before the module after the one during which the cancel came
    assert not fallback_ran.is_set()


def test_a_job_nested_in_a_cancelled_one_runs_on_and_the_outer_stops_after() -> None:
    recorder = Recorder()
    scheduler = Scheduler({})
    outer_after = Calls()
    nested_network = nn.Sequential(Calls(), Calls(), Calls())

    def classify() -> float:  # the urgent job, nested between two steps of the outer one
        scheduler.cancel(recorder.client_id, 1)  # the outer is withdrawn while the nested one runs
        with torch.inference_mode():
            return float(nested_network(torch.zeros(1)).item())

    def sweep() -> Iterator[Progress]:
        scheduler.put(Request(recorder, 2, "classify", priority=0))  # comes in while the sweep runs
        yield Progress(0, 1, "a step, after which the urgent job runs nested")
        with torch.inference_mode():
            nn.Sequential(Calls(), outer_after)(torch.zeros(1))
        return "finished"

    scheduler.jobs = {"sweep": sweep, "classify": classify}
    scheduler.put(Request(recorder, 1, "sweep", priority=5))
    _run_all(scheduler, recorder, 1, 2)
    assert recorder.ops(2) == ["started", "result"]
    assert [m["value"] for m in recorder.messages if m["job"] == 2 and m["op"] == "result"] == [3.0]
    assert recorder.ops(1)[-1] == "cancelled"
    assert outer_after.count == 0


def test_only_the_loops_thread_is_interrupted_and_only_while_a_job_runs() -> None:
    interrupts = Interrupts()
    cancelled = Request(Recorder(), 1, "sweep")
    cancelled.cancelled.set()
    network = nn.Sequential(Calls(), Calls())
    other_thread: list[BaseException | float] = []
    with interrupts.watching(cancelled):
        worker = threading.Thread(target=lambda: other_thread.append(float(network(torch.zeros(1)).item())))
        worker.start()
        worker.join(WAIT_S)
        with pytest.raises(Interrupted):
            network(torch.zeros(1))
    assert other_thread == [2.0]  # another thread's forward (the window's, in the in-process engine) runs on
    assert float(network(torch.zeros(1)).item()) == 2.0  # no job running: no hook left behind
