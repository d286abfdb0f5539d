"""``viewer compare``: one image through 2-6 networks, one after the other: top-k, warm time, params, GMACs and
the ImageNet accuracy of the weights. A network that cannot run (an unknown name, weights that do not load) is
one sentence on stderr, the others are still compared, and the call exits 2."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from viewer.commands.common import RECIPE_HELP, Failures, print_written

__all__ = ["add_parser", "run"]


class _Network(argparse.Action):
    """``--model A [--weights W] [--recipe R] --model B …``: each ``--weights`` and ``--recipe`` belongs to the
    ``--model`` before it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, value: Any, option: Any = None):
        networks = list(getattr(namespace, "networks", None) or [])
        slot = {"model": 0, "weights": 1, "recipe": 2}[self.dest]
        if slot == 0:
            networks.append([value, "default", None])
        elif not networks:
            parser.error(f"--{self.dest} must follow the --model it belongs to")
        elif networks[-1][slot] not in ("default", None):
            parser.error(f"--model {networks[-1][0]} has two --{self.dest}")
        else:
            networks[-1][slot] = value
        namespace.networks = networks


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    compare = subparsers.add_parser(
        "compare",
        help="one image through 2-6 networks: top-k, warm time, params, GMACs, ImageNet accuracy",
        description="Networks run one after the other on the current device; the time is the median of warm "
        "batch-1 forward passes. Give each network as --model NAME, optionally followed by its --weights and "
        "--recipe.",
    )
    compare.add_argument("image", metavar="IMAGE")
    compare.add_argument("--model", action=_Network, required=True, metavar="NAME")
    compare.add_argument("--weights", action=_Network, metavar="W", help="weights of the --model before it")
    compare.add_argument(
        "--recipe", action=_Network, metavar="R", help=f"recipe of the --model before it: {RECIPE_HELP}"
    )
    compare.add_argument("--topk", type=int, default=5)
    compare.add_argument("--runs", type=int, default=5, help="timed warm runs per network (the median is shown)")
    compare.add_argument("--device", default="auto")
    compare.add_argument("--json", metavar="FILE", help="also write the comparison as JSON (- prints it instead)")
    compare.add_argument("--force", action="store_true", help="overwrite --json")
    compare.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.core.errors import ModelError
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.compare import compare

    if args.topk < 1 or args.runs < 1:
        raise ModelError("--topk and --runs must be at least 1.")
    from viewer.core.out_paths import prepare_out

    json_file = prepare_out(args.json, "compare.json") if args.json and args.json != "-" else None
    export.check_targets([json_file], force=args.force)
    networks = [tuple(pair) for pair in args.networks]
    result = run_job(compare(networks, args.image, topk=args.topk, runs=args.runs, device=args.device))
    document = result.as_dict()
    failures = Failures()
    for network in result.networks:  # a network that could not run is named on stderr; the others are compared
        if network.error:  # "Unknown model 'x'" names it already; a weights file's sentence names only the file
            failures.report(network.error if network.model in network.error else f"{network.model}: {network.error}")
    if json_file:
        print_written([export.write_json(json_file, document, force=args.force)])
    if args.json == "-":
        print(json.dumps(document, indent=2))  # its "error" fields say which networks did not run
        return failures.exit_status
    ran = [network for network in result.networks if not network.error]
    count = f"{len(ran)} of {len(result.networks)} networks run" if failures.count else f"{len(ran)} networks"
    print(f"{Path(result.image_path).name}: {count}; time = median of warm batch-1 runs")
    for network in ran:
        accuracy = network.accuracy
        acc = (
            f"acc@1 {accuracy['acc@1']:.2f} %"
            + (f", acc@5 {accuracy['acc@5']:.2f} %" if "acc@5" in accuracy else "")
            + f" ({network.accuracy_dataset})"
            if "acc@1" in accuracy
            else "accuracy: none published for these weights"
        )
        gmacs = f"{network.gmacs:.3g} GMACs" if network.gmacs is not None else "GMACs unknown"
        print()
        print(f"{network.model} [{network.weights}]")
        heads = f" (+{network.training_only_params / 1e6:.2f} M training-only)" if network.training_only_params else ""
        print(f"  {network.time_label}; {network.params / 1e6:.2f} M params{heads}; {gmacs}; {acc}")
        for top in network.topk:
            print(f"  {top.prob:7.2%}  {top.name}")
        for note in network.notes:
            print(f"  note: {note}")
    return failures.exit_status
