"""``viewer models``: the networks the viewer knows, with their size, cost and accuracy."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from viewer.commands.common import print_written, progress_line

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = subparsers.add_parser("models", help="list the networks")
    models.add_argument("--json", action="store_true")
    models.add_argument("--chart", metavar="FILE.png|FILE.svg", help="draw the accuracy-versus-cost chart")
    models.add_argument(
        "--chart-x",
        choices=("gmacs", "latency"),
        default="gmacs",
        help="latency: the x axis is the time measured on --chart-device (measured once, then cached)",
    )
    models.add_argument("--chart-device", default="cpu")
    models.add_argument("--force", action="store_true", help="overwrite --chart")

    models.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.chart:
        return _chart(args)
    from viewer.engine.models.registry import list_specs

    specs = list_specs()
    if args.json:
        rows = [
            {
                "name": s.name,
                "family": s.family,
                "paper": s.paper,
                "params": s.num_params,
                "gmacs": s.gmacs,
                "input": list(s.input.shape),
                "weights": list(s.weights),
                "default_weights": s.default_weights,
                "weights_note": s.weights_note,
                "variant": s.variant,
                "accuracy": s.accuracy,
            }
            for s in specs
        ]
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'name':<20} {'family':<22} {'params':>9} {'GMACs':>8} {'variant':>15} {'input':>10}  weights")
    for s in specs:
        params = f"{s.num_params / 1e6:.2f}M" if s.num_params else "-"
        gmacs = f"{s.gmacs:.3f}" if s.gmacs is not None else "-"
        weights = ", ".join(s.weights) if s.weights else "none (random init only)"
        weights += f" ({s.weights_note})" if s.weights_note else ""
        print(
            f"{s.name:<20} {s.family:<22} {params:>9} {gmacs:>8} {s.variant or '-':>15} "
            f"{'x'.join(map(str, s.input.shape)):>10}  {weights}"
        )
    return 0


def _chart(args: argparse.Namespace) -> int:
    from viewer.core.errors import ExportError
    from viewer.core.out_paths import prepare_out
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.zoo_chart import measure_latency, zoo_points

    path = Path(prepare_out(args.chart, "zoo_chart.svg") or args.chart)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ExportError(f"{path.name}: the chart is written as .png or .svg.")
    export.check_targets([path], force=args.force)
    latency = None
    if args.chart_x == "latency":
        latency = run_job(measure_latency(device=args.chart_device), progress_line if sys.stderr.isatty() else None)
    points = zoo_points(latency)
    from viewer.gui.widgets.compare.chart import (
        render_chart,
    )  # the GUI only inside this subcommand (offscreen without a display)

    print_written([render_chart(points, path, axis=args.chart_x)])
    print(f"{len(points)} networks with ImageNet weights; x: {args.chart_x}; point area ∝ parameters")
    return 0
