"""`viewer bench --only explain`: three rows (occlusion, Grad-CAM, compare), each a ratio with its goal; run here
at toy sizes (the numbers are the README's, not the test's)."""

from __future__ import annotations

from viewer import bench


def test_explain_section_reports_three_ratios(monkeypatch, capsys) -> None:
    import viewer.bench.explain as explain_bench

    monkeypatch.setattr(explain_bench, "SIDE", 64)
    monkeypatch.setattr(explain_bench, "PATCH", 16)
    monkeypatch.setattr(explain_bench, "STRIDE", 16)
    monkeypatch.setattr(explain_bench, "BATCH", 8)  # two batches: the steps end with the sweep going first
    monkeypatch.setattr(explain_bench, "COMPARED", ("lenet5", "nin", "squeezenet1_1"))
    import torch

    assert bench.run_benchmarks(quick=True, only="explain", device="cpu") == 0
    # The occlusion row steps the sweep and its reference alternately: the grad mode is left as it was found.
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| explain")]
    assert len(rows) == 3
    assert [row.split("|")[2].split(",")[0].strip() for row in rows] == ["occlusion", "Grad-CAM", "compare lenet5"]
    assert [row.split("|")[6].strip() for row in rows] == ["≤1.10", "≤1.20", "≤1.10"]
    assert all(float(row.split("|")[5]) > 0 for row in rows)
    assert "16 images" in rows[0]
