"""``viewer activations``: one layer's activation maps, listed, as a grid PNG or as a .npy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from viewer.commands.common import (
    add_model_options,
    load_model_from,
    print_written,
    warn_unfit,
)
from viewer.core.options import NORMALIZATIONS, PRESETS, SORT_KEYS

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    activations = subparsers.add_parser("activations", help="activation maps of one layer")
    activations.add_argument("image", metavar="IMAGE")
    add_model_options(activations)
    activations.add_argument("--layer", required=True, help="a layer name from `viewer summary`")
    activations.add_argument("--preprocess", choices=PRESETS, default="weights")
    activations.add_argument("--sort", choices=SORT_KEYS, default="index")
    activations.add_argument("--normalize", choices=NORMALIZATIONS, default="channel")
    activations.add_argument("--colormap", default="viridis")
    activations.add_argument("--show", type=int, default=16, metavar="N", help="channels listed (default 16)")
    activations.add_argument("--all", action="store_true", help="list every channel")
    activations.add_argument(
        "--out", metavar="GRID.png|FOLDER/", help="every channel, each at least at its own resolution"
    )
    activations.add_argument("--npy", metavar="FILE.npy|FOLDER/")
    activations.add_argument("--json", action="store_true")
    activations.add_argument("--force", action="store_true", help="overwrite existing files")
    activations.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.core.network.recipe import recipe_used
    from viewer.core.out_paths import prepare_out
    from viewer.engine import activations, export
    from viewer.engine.images import load_image, preprocess

    stem = f"{Path(args.image).stem}_{args.model if not args.model_file else 'custom'}_{args.layer}"
    args.out, args.npy = prepare_out(args.out, f"{stem}.png"), prepare_out(args.npy, f"{stem}.npy")
    export.check_targets([args.out, args.npy], force=args.force)  # refuse before any work, write all or none
    loaded = load_model_from(args)
    warn_unfit(loaded, args.preprocess, False)
    image = load_image(args.image)
    tensor = preprocess(image, loaded.input, args.preprocess)
    activation = activations.capture(loaded, tensor, [args.layer])[args.layer]
    written = []
    if args.out:  # every channel, each map zoomed to a readable grid (never below its own resolution)
        scale = activations.readable_scale(activation.array.shape)
        grid = activations.channel_grid(
            activation, normalize=args.normalize, order=args.sort, colormap=args.colormap, scale=scale
        )
        written.append(export.write_png(args.out, grid, force=args.force))
    if args.npy:
        written.append(export.write_npy(args.npy, activation.array.astype("float32"), force=args.force))
    print_written(written)
    order = activation.order[args.sort]
    if args.json:
        print(
            json.dumps(
                {
                    "image": image.path,
                    "model": loaded.name,
                    "weights": loaded.weights_label,
                    "recipe": recipe_used(loaded.recipe, args.preprocess),
                    "layer": args.layer,
                    "shape": list(activation.array.shape),
                    "channels": [
                        {
                            "index": int(c),
                            "mean": float(activation.mean[c]),
                            "max": float(activation.max[c]),
                            "zero_fraction": float(activation.zero_fraction[c]),
                            "dead": bool(activation.dead[c]),
                        }
                        for c in order
                    ],
                },
                indent=2,
            )
        )
    else:
        total = len(order)
        shown = total if args.all else max(0, min(args.show, total))
        print(
            f"{image.name}: {loaded.name}, {loaded.weights_label}, layer {args.layer}, "
            f"shape {'x'.join(map(str, activation.array.shape))}, {int(activation.dead.sum())} dead channel(s)"
        )
        print(
            f"showing all {total} channels"
            if shown == total
            else f"showing {shown} of {total} channels, by {'index' if args.sort == 'index' else args.sort} "
            f"(--all lists every one{'; the grid PNG has all' if args.out else ''})"
        )
        for c in order[:shown]:
            print(
                f"channel {int(c):4d}  mean {activation.mean[c]:8.4f}  max {activation.max[c]:8.4f}  "
                f"zeros {activation.zero_fraction[c]:5.1%}{'  dead' if activation.dead[c] else ''}"
            )
    return 0
