"""The benchmark harness (not its timings, which the README reports): fair sampling, the table, the CLI."""

from __future__ import annotations

import pytest

from viewer import bench
from viewer.bench import Row, best_of_interleaved, print_table
from viewer.bench.common import best_of_stepwise
from viewer.cli import main


def test_interleaving_gives_both_sides_as_many_runs_and_alternates_who_goes_first() -> None:
    calls: list[str] = []
    reference, ours = best_of_interleaved(lambda: calls.append("ref"), lambda: calls.append("ours"), repeats=4)
    assert calls.count("ref") == calls.count("ours") == 5  # one warm-up each, then four
    assert calls[2:] == ["ref", "ours", "ours", "ref", "ref", "ours", "ours", "ref"]
    assert 0 <= reference < 1 and 0 <= ours < 1


def test_stepwise_timing_alternates_the_steps_of_the_two_jobs_and_sums_each_steps_best() -> None:
    calls: list[str] = []

    def job(name: str, steps: int):
        def run():
            for step in range(steps):
                calls.append(f"{name}{step}")
                yield

        return run

    reference, ours = best_of_stepwise(job("r", 3), job("o", 3), repeats=2, warmup=0)
    # Each next() is one step; the step that ends the job (StopIteration) is timed too.
    assert calls[:6] == ["r0", "o0", "o1", "r1", "r2", "o2"]
    assert len(calls) == 12  # two repeats of three steps each, nothing more
    assert 0 <= reference < 1 and 0 <= ours < 1
    with pytest.raises(ValueError, match="as many steps"):
        best_of_stepwise(job("r", 2), job("o", 3), repeats=1)


def test_table_is_markdown_with_a_verdict_per_row(capsys) -> None:
    print_table(
        [
            Row("classify", "alexnet", "24.9 ms", "24.1 ms", 1.034, "≤1.05", True),
            Row("gui", "stall", "40 ms", "5 ms timer", 40.0, "≤30 ms", False),
            Row("activations", "memory", "+1 MB", "2 MB", 0.5, "-", None),
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| section") and set(lines[1]) <= {"|", "-"}
    assert [line.split("|")[-2].strip() for line in lines[2:]] == ["yes", "NO", "-"]
    assert "1.034" in lines[2]


def test_classify_section_runs_and_reports_a_ratio(monkeypatch, capsys) -> None:
    import viewer.bench.classify as classify_bench

    monkeypatch.setattr(classify_bench, "MODELS", ("alexnet",))
    assert bench.run_benchmarks(quick=True, only="classify", device="cpu") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# viewer bench — torch ")
    (row,) = [line for line in out if line.startswith("| classify")]
    ratio = float(row.split("|")[5])
    assert ratio > 0


def test_an_unknown_section_is_one_sentence(capsys) -> None:
    assert main(["bench", "--only", "nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such benchmark" in err[0]


@pytest.mark.parametrize(
    "name", ["classify", "activations", "dense", "gui", "graph", "explain", "dream", "engine", "soak", "live"]
)
def test_every_section_named_in_the_help_exists(name: str) -> None:
    assert callable(bench._section(name))


def test_graph_section_reports_graph_and_layout_against_a_forward(monkeypatch) -> None:
    import viewer.bench.graph as graph_bench

    monkeypatch.setattr(graph_bench, "MODEL", "resnet18")
    (row,) = bench._section("graph")(quick=True, device="cpu")
    assert row.section == "graph" and row.case.startswith("resnet18 fully expanded (70 boxes)")
    assert row.ours.startswith("graph ") and "layout" in row.ours and row.reference.startswith("forward ")
    assert row.value > 0 and row.goal == "≤5" and row.met == (row.value <= 5)


def test_gui_latency_rows_come_from_a_quick_fresh_process_measurement() -> None:
    """Drop → top-k, picker → top-k (idle, then during an occlusion sweep) and the switching soak each give a
    positive value (quick mode)."""
    from viewer.bench.gui import _latency_rows

    rows = _latency_rows("cpu", quick=True)
    assert [row.case.split(" ")[0] for row in rows] == ["drop", "picker", "picker", "12"]
    assert "occlusion sweep" in rows[2].case
    assert all(row.section == "gui" and row.value > 0 and row.met in (True, False) for row in rows)


def test_heatmap_overhead_row_in_quick_mode() -> None:
    from viewer.bench.heatmap import bench_heatmap_overhead

    (row,) = bench_heatmap_overhead(quick=True, device="cpu")
    assert row.section == "dense" and "3-scale heatmap" in row.case and row.value > 0


def test_engine_section_runs_its_three_rows_in_quick_mode(monkeypatch) -> None:
    """A capture through a local engine process, a classification through `viewer engine --listen` on loopback
    and the engine's start each give a positive value; the goals' verdicts are not asserted (timings)."""
    import viewer.bench.engine as engine_bench

    monkeypatch.setattr(engine_bench, "ACTIVATIONS_MODEL", "resnet18")  # the same path, a smaller capture
    rows = bench._section("engine")(quick=True, device="cpu")
    assert [row.section for row in rows] == ["engine"] * 3
    capture, remote, start = rows
    assert capture.case.startswith("resnet18 all ") and "MB back" in capture.case and capture.met in (True, False)
    assert "--listen" in remote.case and remote.reference.startswith("local engine") and remote.met in (True, False)
    assert start.case.startswith("start:") and start.met is None
    assert all(row.value > 0 for row in rows)


def test_live_rows_come_from_a_quick_fresh_process_measurement(monkeypatch) -> None:
    """Both live rows (analysis rate against a bare forward, the longest stall); no speed asserted here."""
    pytest.importorskip("PySide6.QtMultimedia", exc_type=ImportError)
    import viewer.bench.live as live_bench

    monkeypatch.setattr(live_bench, "_bare_forward_rate", lambda device, seconds: 10.0)
    rate, stall = live_bench.bench_live(quick=True, device="cpu")
    assert rate.section == stall.section == "live"
    assert rate.reference == "bare batch-1 forward 10.0/s" and rate.value > 0 and rate.goal == "≥0.9"
    assert stall.ours.endswith(" ms") and stall.goal == "≤25 ms"
