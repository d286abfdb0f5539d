"""The job policy: one table (``job_policy.POLICY``) for every kind, shown in docs/gui.md, obeyed by the runner."""

from __future__ import annotations

import threading
from pathlib import Path

import inline_jobs  # as the engine names it (tests/gui is on the path)

from tests.gui.conftest import JOB_TIMEOUT_MS
from viewer.core.progress import Progress
from viewer.gui.jobs.policy import POLICY, Change, policy_table, withdrawn_on
from viewer.gui.jobs.tickets import JobKind, Stop

DOCS = Path(__file__).resolve().parents[3] / "docs" / "gui.md"


def test_every_job_kind_has_a_policy_and_the_docs_show_the_table() -> None:
    assert set(POLICY) == set(JobKind)
    assert policy_table() in DOCS.read_text(encoding="utf-8")


def test_a_new_image_withdraws_the_shown_images_work_and_never_an_export() -> None:
    withdrawn = set(withdrawn_on(Change.IMAGE))
    assert {JobKind.CLASSIFY, JobKind.EXPLAIN, JobKind.EXPLAIN_COSTLY, JobKind.COMPARE} <= withdrawn
    assert not {kind for kind in withdrawn if kind.value.startswith("export")}
    assert JobKind.GRAPH not in withdrawn  # the graph is of the network, not of the image


def test_a_queued_top_k_runs_between_two_steps_of_a_long_job(qtbot, inline_runner) -> None:
    order: list[str] = []
    stepped = threading.Event()
    go_on = threading.Event()

    def long_job():
        for step in range(3):
            order.append(f"long {step}")
            if step == 0:
                stepped.set()
                go_on.wait(30)
            yield Progress(step + 1, 3, "long")
        return "long done"

    runner = inline_runner(long=long_job, top_k=lambda: order.append("top-k"))
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.COMPARE, "long")  # priority 2
        assert stepped.wait(30)
        runner.submit(JobKind.CLASSIFY, "top_k")  # priority 0, queued meanwhile
        assert inline_jobs.wait_queued("top_k")
        go_on.set()
    assert order == ["long 0", "top-k", "long 1", "long 2"]


def test_a_job_run_between_two_steps_starts_with_torchs_default_modes(qtbot, inline_runner) -> None:
    import torch

    seen: list[tuple[bool, bool]] = []
    stepped, go_on = threading.Event(), threading.Event()

    def careless_long_job():  # holds inference mode across its yield, as a sloppy generator might
        with torch.inference_mode():
            stepped.set()
            go_on.wait(30)
            yield Progress(1, 2, "long")
        return "long done"

    def modes() -> None:
        seen.append((torch.is_grad_enabled(), torch.is_inference_mode_enabled()))

    runner = inline_runner(long=careless_long_job, modes=modes)
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        runner.submit(JobKind.EXPLAIN_COSTLY, "long")
        assert stepped.wait(30)
        runner.submit(JobKind.CLASSIFY, "modes")
        assert inline_jobs.wait_queued("modes")
        go_on.set()
    assert seen == [(True, False)]


def test_a_long_job_withdrawn_while_a_job_it_hosts_runs_hosts_no_more(qtbot, inline_runner) -> None:
    order: list[str] = []
    stepped, go_on, hosted, withdrawn = threading.Event(), threading.Event(), threading.Event(), threading.Event()

    def long_job():
        try:
            stepped.set()
            go_on.wait(30)
            yield Progress(1, 2, "long")
            return "long done"
        finally:
            order.append("long closed")

    def first() -> None:  # a model switch, run between two steps of the long job, which the state then withdraws
        order.append("first")
        hosted.set()
        withdrawn.wait(30)

    runner = inline_runner(long=long_job, first=first, second=lambda: order.append("second"))
    with qtbot.waitSignal(runner.idle, timeout=JOB_TIMEOUT_MS):
        long = runner.submit(JobKind.COMPARE, "long")
        assert stepped.wait(30)
        runner.submit(JobKind.MODEL, "first")
        assert inline_jobs.wait_queued("first")
        go_on.set()
        assert hosted.wait(30)
        long.stop(Stop.WITHDRAWN)
        runner.submit(JobKind.CLASSIFY, "second")
        withdrawn.set()
    assert order == ["first", "long closed", "second"]  # the second ran after the withdrawn job ended
