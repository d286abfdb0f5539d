"""``viewer dream``: the image optimised to excite one channel (Olah et al. 2017's feature visualisation).

From noise, ``--steps`` steps of Adam on a decorrelated Fourier image, each step seeing it shifted, scaled and
rotated at random, maximise the channel's mean activation (``--layer`` and ``--channel``) or a class logit
(``--class``); ``--seed`` makes the same image again. The PNG (RGB, ``--size`` pixels a side) is written whole or
not at all; the objective before and after is printed.
"""

from __future__ import annotations

import argparse
import sys

from viewer.commands.common import add_model_options, class_index_option, load_model_from, print_written, progress_line

__all__ = ["add_parser", "default_name", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dream = subparsers.add_parser("dream", help="the image optimised to excite one channel (feature visualisation)")
    add_model_options(dream)
    dream.add_argument("--layer", help="a layer name from `viewer summary` (features.10)")
    dream.add_argument("--channel", type=int, metavar="C", help="the layer's channel to excite (0-based)")
    dream.add_argument(
        "--class",
        dest="class_",
        metavar="NAME|INDEX",
        help="excite this class's logit instead of a layer's channel (a name such as 'goldfish', or an index)",
    )
    dream.add_argument("--steps", type=int, default=256, metavar="N", help="optimisation steps (default 256)")
    dream.add_argument("--size", type=int, metavar="PX", help="the image's side (default: the network's input size)")
    dream.add_argument("--seed", type=int, default=0, help="the random start and transformations (default 0)")
    dream.add_argument("--out", required=True, metavar="IMAGE.png|FOLDER/", help="the PNG to write")
    dream.add_argument("--force", action="store_true", help="overwrite an existing file")
    dream.set_defaults(run=run)


def default_name(layer: str, channel: int) -> str:
    """The PNG's name when ``--out`` is a folder."""
    return f"{layer}_channel{channel:04d}.png" if layer else f"class{channel:04d}.png"


def run(args: argparse.Namespace) -> int:
    from viewer.core.errors import ModelError
    from viewer.core.out_paths import prepare_out
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.optimise.job import optimise_channel

    if args.class_ is not None and (args.layer is not None or args.channel is not None):
        raise ModelError("Give either --class or --layer with --channel, not both.")
    if args.class_ is None and (args.layer is None or args.channel is None):
        raise ModelError("Say what to excite: --layer L --channel C, or --class NAME.")
    if args.steps < 1:
        raise ModelError(f"--steps must be at least 1, not {args.steps}.")
    loaded = load_model_from(args)
    if args.class_ is not None:
        layer, channel = "", class_index_option(args.class_, loaded.categories, loaded.name)
        if channel is None:
            raise ModelError("--class names one class: a name or an index.")
    else:
        layer, channel = args.layer, args.channel
    out = prepare_out(args.out, default_name(layer, channel)) or args.out  # a folder gets the default name
    export.check_targets([out], force=args.force)  # refuse before the optimisation, not after it

    job = optimise_channel(loaded, layer, channel, steps=args.steps, size=args.size, seed=args.seed)
    tty = sys.stderr.isatty()
    try:
        result = run_job(job, progress_line if tty else None)
    finally:
        job.close()
    if tty:
        sys.stderr.write("\n")
    print_written([export.write_png(out, result.image, force=args.force)])

    width, height = result.size
    print(
        f"{loaded.name}, {loaded.weights_label}; {result.title}: "
        f"objective {result.start_value:.4g} → {result.end_value:.4g} after {result.steps} steps "
        f"(seed {result.seed}, {width}x{height}, {result.seconds:.1f} s on {result.device})"
    )
    return 0
