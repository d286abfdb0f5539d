"""``viewer models``: the networks the viewer knows, with their size, cost and accuracy."""

from __future__ import annotations

import argparse
import json

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = subparsers.add_parser("models", help="list the networks")
    models.add_argument("--json", action="store_true")
    models.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.engine.registry import list_specs

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
