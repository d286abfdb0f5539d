"""The one worker: results delivered once, superseded jobs dropped, progress, cancel, errors, cache, OOM, exit."""

from __future__ import annotations

import threading
import time

import pytest

from viewer.core.choice import ModelChoice
from viewer.core.progress import Progress
from viewer.engine.errors import ImageError
from viewer.gui import jobs
from viewer.gui.jobs import JobKind, JobRunner

JOB_TIMEOUT_MS = 120_000  # generous: the CPU is shared


@pytest.fixture
def runner(qtbot):
    jobs = JobRunner()
    yield jobs
    assert jobs.shutdown(timeout=10)


def collect(runner: JobRunner) -> dict[str, list]:
    seen: dict[str, list] = {"returned": [], "errored": [], "progress": [], "cancelled": []}
    runner.returned.connect(lambda result, ticket: seen["returned"].append((result, ticket)))
    runner.errored.connect(lambda error, ticket: seen["errored"].append((error, ticket)))
    runner.progress.connect(lambda item, ticket: seen["progress"].append(item.step))
    runner.cancelled.connect(lambda ticket: seen["cancelled"].append(ticket))
    return seen


def test_result_arrives_with_its_ticket(qtbot, runner):
    seen = collect(runner)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        ticket = runner.submit(JobKind.CLASSIFY, sum, [1, 2, 3])
    assert seen["returned"] == [(6, ticket)] and ticket.result() == 6
    assert not runner.is_busy()


def test_newer_job_of_a_kind_supersedes_older_ones(qtbot, runner):
    seen = collect(runner)
    gate, running = threading.Event(), threading.Event()
    blocker = runner.submit(JobKind.CLASSIFY, lambda: running.set() or (gate.wait(30) and "first"))
    # Running before the next is submitted: superseded while still queued, the worker would skip it and start
    # the next one, which is then no longer queued when the last supersedes it (a race CI once lost).
    assert running.wait(30)
    middle = runner.submit(JobKind.CLASSIFY, lambda: "middle")
    other = runner.submit(JobKind.SUMMARY, lambda: "other kind")  # a different kind is not superseded
    last = runner.submit(JobKind.CLASSIFY, lambda: "last")
    assert blocker.stopped_by is middle.stopped_by is jobs.Stop.SUPERSEDED and not last.stop_requested
    assert middle.cancelled()  # still queued: its Future is cancelled outright
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        gate.set()
    results = sorted(result for result, _ in seen["returned"])
    assert results == ["last", "other kind"] and other.result() == "other kind"
    assert dict(seen["returned"])["last"] is last and seen["cancelled"] == []


def test_the_next_job_waits_until_the_gui_thread_has_handled_a_result(qtbot, runner, monkeypatch):
    # While the GUI thread shows a result (slots, repaints: Python called from Qt), a worker running on
    # through Python-heavy code would make it wait for the GIL at each call. So the next job starts after.
    monkeypatch.setattr(jobs, "DELIVERY_WAIT_S", 60.0)  # the bound is tested below
    handled = threading.Event()
    handled_before_next = []
    runner.submit(JobKind.CLASSIFY, lambda: "first", on_result=lambda _result: handled.set())
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.ACTIVATIONS, lambda: handled_before_next.append(handled.is_set()))
    assert handled_before_next == [True]


def test_a_job_runs_only_once_the_gui_thread_has_shown_that_it_started(qtbot, runner, monkeypatch):
    # Showing "Heatmap of …" (status bar, progress) is GUI work too; the job's Python must not race it.
    monkeypatch.setattr(jobs, "DELIVERY_WAIT_S", 60.0)
    shown = threading.Event()
    runner.started.connect(lambda ticket: shown.set())
    shown_before_running = []
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.HEATMAP, lambda: shown_before_running.append(shown.is_set()))
    assert shown_before_running == [True]


def test_what_the_user_waits_for_runs_before_the_graph_and_the_summary(qtbot, runner):
    gate = threading.Event()
    ran = []
    runner.submit(JobKind.HEATMAP, lambda: gate.wait(30))  # busy: the others queue behind it
    for kind in (JobKind.GRAPH, JobKind.SUMMARY, JobKind.ACTIVATIONS, JobKind.CLASSIFY):
        runner.submit(kind, ran.append, kind)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        gate.set()
    assert ran == [JobKind.CLASSIFY, JobKind.ACTIVATIONS, JobKind.GRAPH, JobKind.SUMMARY]


def test_a_job_cancelled_while_its_start_is_shown_builds_no_model(qtbot, runner, monkeypatch):
    monkeypatch.setattr(jobs, "DELIVERY_WAIT_S", 60.0)
    built, ran = [], []
    monkeypatch.setattr(runner.cache, "get", lambda key, progress=None: built.append(key) or key)
    runner.started.connect(lambda ticket: ticket.cancel())  # the user changes their mind at once
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.MODEL, lambda loaded: ran.append(loaded), model=ModelChoice("vgg19", "none", None, "cpu"))
    assert built == [] and ran == []


def test_a_busy_gui_thread_does_not_hold_the_worker_back(qtbot, runner):
    # The wait for the GUI thread is bounded: a slot that blocks (here until the next job starts) must not
    # deadlock the worker.
    next_started = threading.Event()
    seen = []
    runner.returned.connect(lambda result, ticket: result == "first" and seen.append(next_started.wait(30)))
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.CLASSIFY, lambda: "first")
        runner.submit(JobKind.ACTIVATIONS, lambda: next_started.set() or "second")
    assert seen == [True]


def test_a_generator_reports_progress_and_its_returned_value_goes_to_its_own_handler(qtbot, runner):
    seen = collect(runner)
    handled = []

    def job():
        for step in range(3):
            yield Progress(step, 3)
        return "done"

    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.HEATMAP, job, on_result=handled.append)
        runner.submit(JobKind.CLASSIFY, lambda: "other", on_result=lambda result: handled.append(("classify", result)))
    assert seen["progress"] == [0, 1, 2]
    assert sorted(handled, key=str) == [("classify", "other"), "done"]  # each result to its own handler


def test_cancel_stops_a_generator_between_yields(qtbot, runner):
    seen = collect(runner)
    reached = threading.Event()
    steps_run = []

    def job():
        for step in range(10_000):
            steps_run.append(step)
            reached.set()
            time.sleep(0.01)  # simulated work inside the job, not synchronisation
            yield Progress(step, 10_000)
        return "never"

    ticket = runner.submit(JobKind.HEATMAP, job)
    qtbot.waitUntil(reached.is_set, timeout=JOB_TIMEOUT_MS)
    with qtbot.waitSignal(runner.cancelled, timeout=JOB_TIMEOUT_MS):
        runner.cancel(JobKind.HEATMAP)
    assert seen["cancelled"] == [ticket] and seen["returned"] == []
    assert isinstance(ticket.exception(), jobs.JobCancelled) and ticket.stopped_by is jobs.Stop.USER
    assert len(steps_run) < 10_000


def test_a_withdrawn_or_superseded_job_says_nothing(qtbot, runner):
    seen = collect(runner)
    reached = threading.Event()

    def job():
        while True:
            reached.set()
            yield Progress(0, 1)

    runner.submit(JobKind.HEATMAP, job)
    qtbot.waitUntil(reached.is_set, timeout=JOB_TIMEOUT_MS)
    runner.submit(JobKind.HEATMAP, job)  # supersedes the running one
    reached.clear()
    qtbot.waitUntil(reached.is_set, timeout=JOB_TIMEOUT_MS)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.withdraw(JobKind.HEATMAP)  # the state moved on
    assert seen["cancelled"] == [] and seen["returned"] == [] and seen["errored"] == []


def test_user_errors_read_as_sentences_and_bugs_carry_a_traceback(qtbot, runner):
    seen = collect(runner)

    def user_error():
        raise ImageError("cat.txt: not an image file (no known image header).")

    def bug():
        return {}["missing"]

    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.CLASSIFY, user_error)
        runner.submit(JobKind.SUMMARY, bug)
    (first, _), (second, _) = seen["errored"]
    assert first.message == "cat.txt: not an image file (no known image header)." and not first.is_bug
    assert isinstance(first.error, ImageError)
    assert second.is_bug and second.message.startswith("Bug: KeyError")
    assert "Traceback" in second.details and "def bug" not in second.message


def test_a_bug_in_a_result_handler_is_reported_and_the_runner_goes_on(qtbot, runner, monkeypatch):
    import sys

    reported = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, trace: reported.append(error))

    def broken_handler(result):
        raise KeyError(result)

    handled = []
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.CLASSIFY, lambda: "first", on_result=broken_handler)
        runner.submit(JobKind.SUMMARY, lambda: "second", on_result=handled.append)
    assert [type(error) for error in reported] == [KeyError] and handled == ["second"] and not runner.is_busy()


def test_model_keys_resolve_through_one_cached_model(qtbot, runner):
    seen = collect(runner)
    key = ModelChoice("lenet5", "none", None, "cpu")
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.CLASSIFY, lambda loaded: loaded, model=key)
        runner.submit(JobKind.SUMMARY, lambda loaded: loaded, model=key)
    first, second = (result for result, _ in seen["returned"])
    assert first is second and first.name == "lenet5" and not first.pretrained
    assert runner.cache.keys() == runner.loaded_models() == [key]
    parameters = sum(p.numel() for p in first.model.parameters()) + sum(b.numel() for b in first.model.buffers())
    assert runner.loaded_model_bytes() == 4 * parameters  # float32


def test_out_of_memory_on_a_gpu_retries_on_the_cpu(qtbot, runner, monkeypatch):
    seen = collect(runner)
    messages = []
    runner.message.connect(messages.append)
    monkeypatch.setattr(runner.cache, "get", lambda key, progress=None: key)  # no model needed here

    def job(loaded):
        key = loaded
        if key.device != "cpu":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return "ran on " + key.device

    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(
            JobKind.CLASSIFY, job, model=ModelChoice("resnet50", "none", None, "cuda:0"), description="Classifying"
        )
    assert [r for r, _ in seen["returned"]] == ["ran on cpu"]
    assert messages and "out of memory" in messages[0] and "CPU" in messages[0]


def test_after_running_out_of_gpu_memory_a_model_stays_on_the_cpu_until_chosen_again(qtbot, runner, monkeypatch):
    monkeypatch.setattr(runner.cache, "get", lambda key, progress=None: key)
    tried = []

    def job(loaded):
        key = loaded
        tried.append(key.device)
        if key.device != "cpu":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return key.device

    gpu = ModelChoice("resnet50", "none", None, "cuda:0")
    for kind in (JobKind.CLASSIFY, JobKind.ACTIVATIONS):
        with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
            runner.submit(kind, job, model=gpu)
    assert tried == ["cuda:0", "cpu", "cpu"]  # the second job did not reload the model on the GPU to fail again
    other = ModelChoice("resnet18", "none", None, "cuda:0")
    runner.forget_gpu_fallbacks()  # the user chose the device again
    tried.clear()
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.CLASSIFY, job, model=gpu)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.SUMMARY, lambda loaded: tried.append(("other", loaded.device)), model=other)
    assert tried == ["cuda:0", "cpu", ("other", "cuda:0")]  # tried the GPU again; another model was never moved


def test_out_of_memory_retries_with_less_memory_on_the_gpu_before_the_cpu(qtbot, runner, monkeypatch):
    monkeypatch.setattr(runner.cache, "get", lambda key, progress=None: key)
    tried = []

    def job(*, loaded, tile=None):
        key = loaded
        tried.append((key.device, tile))
        if key.device != "cpu":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return key.device

    gpu = ModelChoice("resnet50", "none", None, "cuda:0")
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        ticket = runner.submit(JobKind.HEATMAP, job, model=gpu, low_memory={"tile": 512})
    assert tried == [("cuda:0", None), ("cuda:0", 512), ("cpu", 512)] and ticket.result() == "cpu"


def test_a_closed_runner_takes_no_more_jobs(qtbot):
    # Closing during a long job is tested once, end to end: test_stress.py (a real window, a real heatmap).
    runner = JobRunner()
    assert runner.shutdown(timeout=10)
    with pytest.raises(RuntimeError):
        runner.submit(JobKind.CLASSIFY, sum, [])
