"""The job runner over an engine process: delivery on the GUI thread, supersede, withdraw against Cancel, engine
errors and death as JobErrors, the out-of-memory policy in the engine, a bug in a handler, shutdown."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from viewer.core.network.choice import ModelChoice
from viewer.engine.server.scheduler import NOTE_CPU, NOTE_RETRIED
from viewer.gui.jobs.runner import JobRunner
from viewer.gui.jobs.tickets import JobError, JobKind, Stop, Ticket

# The engine's job table (tests/gui/runner_jobs.py), never imported here: it patches the model cache of the
# process that imports it, which must be the engine's only.
TABLE = "runner_jobs:JOBS"
JOB_TIMEOUT_MS = 180_000  # generous: the CPU is shared, and each test starts an engine
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals as on POSIX")


@pytest.fixture
def runner(qtbot: Any) -> Iterator[JobRunner]:
    jobs = JobRunner(jobs=TABLE)
    yield jobs
    pid = jobs.client.pid
    assert jobs.shutdown(timeout=2.0), f"engine {pid} still alive"


def collect(runner: JobRunner) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"returned": [], "errored": [], "cancelled": [], "finished": [], "message": []}
    runner.returned.connect(lambda result, ticket: seen["returned"].append((result, ticket)))
    runner.errored.connect(lambda error, ticket: seen["errored"].append((error, ticket)))
    runner.cancelled.connect(seen["cancelled"].append)
    runner.finished.connect(seen["finished"].append)
    runner.message.connect(seen["message"].append)
    return seen


def running(qtbot: Any, runner: JobRunner, kind: JobKind, name: str, *args: Any, **kwargs: Any) -> Ticket:
    """A job submitted and started in the engine."""
    with qtbot.waitSignal(runner.started, timeout=JOB_TIMEOUT_MS, check_params_cb=lambda t: t.kind is kind):
        ticket = runner.submit(kind, name, *args, **kwargs)
    return ticket


def test_results_and_progress_are_delivered_on_the_gui_thread(qtbot: Any, runner: JobRunner) -> None:
    seen = collect(runner)
    threads, steps = [], []
    runner.progress.connect(lambda item, ticket: steps.append((item.step, threading.current_thread())))
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        spun = runner.submit(JobKind.COMPARE, "spin", 3, 0.0)
        ticket = runner.submit(JobKind.ZOO, "echo", 1, on_result=lambda _r: threads.append(threading.current_thread()))
    assert threads == [threading.main_thread()]
    assert [step for step, _ in steps] == [1, 2, 3] and {t for _, t in steps} == {threading.main_thread()}
    result = ticket.result()
    assert result["args"] == (1,) and result["pid"] == runner.client.pid != os.getpid()
    assert seen["returned"] == [(3, spun), (result, ticket)] and seen["finished"] == [spun, ticket]
    assert ticket.elapsed_ms is not None and not runner.is_busy()


def test_a_newer_job_of_a_kind_supersedes_the_older_one(qtbot: Any, runner: JobRunner) -> None:
    seen = collect(runner)
    handled: list[object] = []
    first = running(qtbot, runner, JobKind.COMPARE, "spin", 100_000, on_result=handled.append)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        other = runner.submit(JobKind.ZOO, "echo", "other kind")  # a different kind is not superseded
        last = runner.submit(JobKind.COMPARE, "echo", "last")
        assert first.stopped_by is Stop.SUPERSEDED and not last.stop_requested and not other.stop_requested
    assert sorted(result["args"][0] for result, _ in seen["returned"]) == ["last", "other kind"]
    assert handled == [] and seen["cancelled"] == [] and seen["errored"] == []
    assert set(seen["finished"]) == {first, other, last}


def test_withdraw_is_silent_and_only_the_users_cancel_says_cancelled(qtbot: Any, runner: JobRunner) -> None:
    seen = collect(runner)
    withdrawn = running(qtbot, runner, JobKind.HEATMAP, "spin", 100_000)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.withdraw(JobKind.HEATMAP)
    assert withdrawn.stopped_by is Stop.WITHDRAWN and seen["cancelled"] == [] and seen["finished"] == [withdrawn]
    cancelled = running(qtbot, runner, JobKind.EXPLAIN, "spin", 100_000)
    queued = runner.submit(JobKind.EXPLAIN_COSTLY, "spin", 10)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.cancel()
    assert seen["cancelled"] == [cancelled, queued] and seen["returned"] == [] and queued.cancelled()
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):  # the engine stopped the job: the next one runs
        after = runner.submit(JobKind.EXPLAIN, "echo", "after")
    assert after.result()["args"] == ("after",)


def test_engine_errors_are_job_errors(qtbot: Any, runner: JobRunner) -> None:
    seen = collect(runner)
    handled: list[JobError] = []
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.OPEN, "user_error", "x.jpg", on_error=handled.append)
        runner.submit(JobKind.ZOO, "bug")
        runner.submit(JobKind.COMPARE, "nosuch")
    user, bug, unknown = (error for error, _ in seen["errored"])
    assert handled == [user] and not user.is_bug and user.message.startswith("x.jpg: not an image file")
    assert bug.is_bug and "ZeroDivisionError" in bug.message and "return 1 / 0" in bug.details
    assert not unknown.is_bug and "no job 'nosuch'" in unknown.message


def test_a_job_killed_with_the_engine_errors_once_and_the_next_job_works(qtbot: Any, runner: JobRunner) -> None:
    seen = collect(runner)
    running(qtbot, runner, JobKind.COMPARE, "spin", 100_000)
    runner.submit(JobKind.ZOO, "echo", "queued behind it")
    pid = runner.client.pid
    assert pid is not None
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        os.kill(pid, signal.SIGKILL)
    sentence = "the engine stopped: it was killed by SIGKILL; restarted."
    assert [(error.message, error.is_bug) for error, _ in seen["errored"]] == [(sentence, False)] * 2
    assert seen["message"] == [sentence]  # once, for both jobs
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        after = runner.submit(JobKind.ZOO, "echo", "after")
    assert after.result()["pid"] not in (pid, os.getpid())


def test_an_idle_engine_killed_is_said_once_and_restarted(qtbot: Any, runner: JobRunner) -> None:
    seen = collect(runner)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        first = runner.submit(JobKind.ZOO, "echo", "before")
    pid = first.result()["pid"]
    with qtbot.waitSignal(runner.message, timeout=JOB_TIMEOUT_MS):
        os.kill(pid, signal.SIGKILL)
    assert seen["message"] == ["the engine stopped: it was killed by SIGKILL; restarted."] and not seen["errored"]
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        after = runner.submit(JobKind.ZOO, "echo", "after")
    assert after.result()["pid"] not in (pid, os.getpid())
    assert seen["message"] == ["the engine stopped: it was killed by SIGKILL; restarted."]  # said once


GPU = ModelChoice("resnet18", "none", None, "cuda")


def test_out_of_gpu_memory_retries_with_the_low_memory_arguments(qtbot: Any, runner: JobRunner) -> None:
    seen = collect(runner)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        ticket = runner.submit(
            JobKind.HEATMAP, "gpu_hungry", model=GPU, low_memory={"smaller": True}, fits_smaller=True
        )
    assert ticket.result() == {"device": "cuda", "smaller": True}
    assert seen["message"] == [f"Heatmap: {NOTE_RETRIED}"]


def test_out_of_gpu_memory_falls_back_to_the_cpu_until_forgotten(qtbot: Any, runner: JobRunner) -> None:
    seen = collect(runner)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        first = runner.submit(JobKind.HEATMAP, "gpu_hungry", model=GPU, low_memory={"smaller": True})
    assert first.result() == {"device": "cpu", "smaller": True}
    assert seen["message"] == [f"Heatmap: {NOTE_RETRIED}", f"Heatmap: {NOTE_CPU}"]
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):  # remembered: straight to the CPU, nothing said
        second = runner.submit(JobKind.EXPLAIN, "gpu_hungry", model=GPU)
    assert second.result() == {"device": "cpu", "smaller": False} and len(seen["message"]) == 2
    runner.forget_gpu_fallbacks()
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):  # the GPU is tried again (and fails again)
        third = runner.submit(JobKind.EXPLAIN, "gpu_hungry", model=GPU)
    assert third.result() == {"device": "cpu", "smaller": False}
    assert seen["message"][2:] == [f"Explain: {NOTE_CPU}"]


def test_shutdown_mid_job_ends_the_engine_within_two_seconds(qtbot: Any) -> None:
    runner = JobRunner(jobs=TABLE)
    seen = collect(runner)
    running(qtbot, runner, JobKind.EXPLAIN_COSTLY, "hang")  # ignores SIGTERM: only the kill ends it
    pid = runner.client.pid
    assert pid is not None
    assert runner.shutdown(timeout=2.0) and runner.closed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(RuntimeError, match="shut down"):
        runner.submit(JobKind.ZOO, "echo")
    assert seen["errored"] == [] and seen["cancelled"] == []  # nothing delivered after the shutdown


def test_a_bug_in_a_result_handler_is_reported_and_the_runner_goes_on(
    qtbot: Any, inline_runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, trace: reported.append(error))

    def broken_handler(result: object) -> None:
        raise KeyError(result)

    handled: list[object] = []
    runner = inline_runner(first=lambda: "first", second=lambda: "second")
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.CLASSIFY, "first", on_result=broken_handler)
        runner.submit(JobKind.SUMMARY, "second", on_result=handled.append)
    assert [type(error) for error in reported] == [KeyError] and handled == ["second"] and not runner.is_busy()


def test_a_closed_runner_takes_no_more_jobs(qtbot: Any, inline_runner: Any) -> None:
    runner = inline_runner(first=lambda: "first")
    assert runner.shutdown(timeout=10)
    with pytest.raises(RuntimeError):
        runner.submit(JobKind.CLASSIFY, "first")


@pytest.mark.gpu
def test_a_real_out_of_memory_runs_the_job_on_the_cpu(qtbot: Any, inline_runner: Any) -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    total = torch.cuda.get_device_properties(0).total_memory

    def greedy(loaded: Any) -> str:
        if loaded.device.type == "cuda":
            torch.empty(2 * total, dtype=torch.uint8, device=loaded.device)  # more than the card has
        return str(loaded.device.type)

    runner = inline_runner(greedy=greedy)
    returned: list[object] = []
    messages: list[str] = []
    runner.returned.connect(lambda result, ticket: returned.append(result))
    runner.message.connect(messages.append)
    with qtbot.waitSignal(runner.idle, timeout=300_000):
        runner.submit(
            JobKind.CLASSIFY, "greedy", model=ModelChoice("lenet5", "none", None, "cuda"), description="Greedy"
        )
    assert returned == ["cpu"] and "GPU out of memory" in messages[0]
