"""``viewer bench``: the benchmarks, a table of ratios against bare torchvision."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subparsers.add_parser("bench", help="benchmarks: ratios against bare torchvision, as a table")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions and smaller inputs")
    bench.add_argument(
        "--only", help="comma-separated: classify,activations,dense,gui,graph,explain,dream,engine,atlas,soak,live"
    )
    bench.add_argument("--device", default="auto")
    bench.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.bench import run_benchmarks

    return run_benchmarks(quick=args.quick, only=args.only, device=args.device)
