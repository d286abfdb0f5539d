"""``viewer summary``: the architecture table (output shapes, parameters, MACs), or He et al.'s Table 1."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from viewer.commands.common import (
    parse_input,
)
from viewer.core.defaults import DEFAULT_MODEL

if TYPE_CHECKING:
    from torch import nn

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    summary = subparsers.add_parser("summary", help="architecture table: output shapes, parameters, MACs")
    summary.add_argument("--model", default=DEFAULT_MODEL)
    summary.add_argument("--model-file", metavar="FILE.py:FUNCTION")
    summary.add_argument("--input", metavar="CxHxW", help="input size (default: the network's own)")
    summary.add_argument("--depth", type=int, help="deepest level shown (default: all)")
    summary.add_argument("--json", action="store_true")
    summary.add_argument(
        "--aux",
        action="store_true",
        help="kept for old scripts: auxiliary classifiers are always listed where they branch off, "
        "marked training only",
    )
    summary.add_argument("--out", metavar="FILE|FOLDER/", help="also write .json, .csv or .txt (a folder: MODEL.txt)")
    summary.add_argument("--force", action="store_true", help="overwrite --out")
    summary.add_argument(
        "--lecture-table",
        action="store_true",
        help="ResNet: He et al.'s Table 1 (18 to 152 layers), read from the networks",
    )
    summary.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.engine import export, summary
    from viewer.engine.models.registry import get_spec
    from viewer.engine.models.weights import custom_spec
    from viewer.engine.models.weights import with_module_attributes as custom_spec_with_module

    if args.lecture_table:
        return _print_lecture_table(args)
    from viewer.core.out_paths import prepare_out

    args.out = prepare_out(args.out, f"{args.model_file.rpartition(':')[2] if args.model_file else args.model}.txt")
    export.check_targets([args.out], force=args.force)
    spec = custom_spec(args.model_file) if args.model_file else get_spec(args.model)
    # A registry name is built on the meta device with its auxiliary heads, which the table marks training only.
    model: nn.Module | str = spec.name
    if args.model_file:
        assert spec.builder is not None  # custom_spec always holds the user's function
        module = spec.builder()
        spec = custom_spec_with_module(spec, module)  # categories/input_size/... set on the returned module
        model = module
    result = summary.summarize(model, parse_input(args.input) or spec.input.shape, model_name=spec.name)
    document = summary.summary_to_dict(result)
    text = summary.format_table(result, depth=args.depth)
    print(json.dumps(document, indent=2, ensure_ascii=False) if args.json else text)  # the lecture's ×, as printed
    if args.out:
        export.write_summary(args.out, document, summary.summary_rows(result), text, force=args.force)
    return 0


def _print_lecture_table(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from viewer.core.errors import ModelError
    from viewer.engine import lecture_tables

    if args.model_file or args.input or args.out:
        raise ModelError(
            "--lecture-table is the paper's table of the registry's ResNets at 224×224: it takes "
            "--model and --json, not --model-file, --input or --out."
        )
    table = lecture_tables.resnet_table(args.model)
    print(
        json.dumps(asdict(table), indent=2, ensure_ascii=False)
        if args.json
        else lecture_tables.format_resnet_table(table)
    )
    return 0
