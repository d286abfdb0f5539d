"""Benchmarks (``viewer bench``): each row a ratio measured in one run against bare torchvision.

Not tests: speed is measured here, printed as a table, and copied into the README with the machine it ran on.
"""

from __future__ import annotations

from collections.abc import Callable

from viewer.bench.common import Row, best_of, best_of_interleaved, machine_line, print_table, sample_image

__all__ = [
    "Row",
    "best_of",
    "best_of_interleaved",
    "machine_line",
    "print_table",
    "run_benchmarks",
    "sample_image",
]


def run_benchmarks(*, quick: bool = False, only: str | None = None, device: str = "auto") -> int:
    """Run the chosen sections and print one table; returns a process exit code."""
    from viewer.engine.models.weights import resolve_device

    resolved = str(resolve_device(device))
    sections = (only or "classify,activations,dense,gui,graph,explain,dream,engine,atlas,soak,live").split(",")
    print(f"# viewer bench — {machine_line(resolved)}")
    rows: list[Row] = []
    for section in sections:
        runner = _section(section.strip())
        rows.extend(runner(quick=quick, device=resolved))
    print_table(rows)
    return 0


def _section(name: str) -> Callable[..., list[Row]]:
    from viewer.core.errors import ModelError

    if name == "classify":
        from viewer.bench.classify import bench_classify

        return bench_classify
    if name == "activations":
        from viewer.bench.capture import bench_capture

        return bench_capture
    if name == "dense":
        from viewer.bench.dense import bench_dense

        return bench_dense
    if name == "gui":
        from viewer.bench.gui import bench_gui

        return bench_gui
    if name == "graph":
        from viewer.bench.graph import bench_graph

        return bench_graph
    if name == "explain":  # occlusion, Grad-CAM and compare (issue 12)
        from viewer.bench.explain import bench_explain

        return bench_explain
    if name == "dream":  # the optimised image of a channel against the bare passes it contains (issue 23)
        from viewer.bench.dream import bench_dream

        return bench_dream
    if name == "engine":  # the engine's own process: a capture's transfer, a remote engine, the start (issue 21)
        from viewer.bench.engine import bench_engine

        return bench_engine
    if name == "atlas":  # each channel's strongest images over a folder (issue 23)
        from viewer.bench.atlas import bench_atlas

        return bench_atlas
    if name == "live":  # a camera or a video: the newest frame's analysis rate, the window's stalls (issue 24)
        from viewer.bench.live import bench_live

        return bench_live
    if name == "soak":  # seeded actions on the real window: bugs, results over the wrong input, memory (issue 19)
        from viewer.bench.soak import bench_soak

        return bench_soak
    names = "classify, activations, dense, gui, graph, explain, dream, engine, atlas, soak, live"
    raise ModelError(f"--only {name}: no such benchmark ({names}).")
