"""`viewer bench --only dream`: the optimised image against the bare passes to its layer (judged) and through the
whole network (not judged); run here at a toy size (the numbers are the README's, not the test's)."""

from __future__ import annotations

import torch

from viewer import bench


def test_dream_section_reports_a_judged_ratio_and_the_whole_network_one(monkeypatch, capsys) -> None:
    import viewer.bench.dream as dream_bench

    monkeypatch.setattr(dream_bench, "SIDE", 64)
    monkeypatch.setattr(dream_bench, "QUICK_STEPS", 3)

    assert bench.run_benchmarks(quick=True, only="dream", device="cpu") == 0
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()  # left as it was found
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| dream")]
    assert len(rows) == 2
    assert "features.10 channel 7, 3 steps at 64²" in rows[0] and "whole network" in rows[1]
    assert [row.split("|")[6].strip() for row in rows] == ["≤1.30", "-"]
    assert all(float(row.split("|")[5]) > 0 for row in rows)
