"""core.progress: Progress.fraction and run_job (the generator protocol: yield progress, return the result)."""

from __future__ import annotations

import pytest

from viewer.core.progress import Job, Progress, run_job


@pytest.mark.parametrize(("step", "total", "fraction"), [(0, 4, 0.0), (1, 4, 0.25), (9, 4, 1.0), (1, 0, 0.0)])
def test_fraction_is_clamped(step: int, total: int, fraction: float) -> None:
    assert Progress(step, total).fraction == fraction


def test_run_job_reports_each_step_and_returns_the_value() -> None:
    def job() -> Job[str]:
        for step in range(3):
            yield Progress(step, 3, f"step {step}")
        return "done"

    seen: list[Progress] = []
    assert run_job(job(), seen.append) == "done"
    assert [p.message for p in seen] == ["step 0", "step 1", "step 2"]
    assert run_job(job()) == "done"
