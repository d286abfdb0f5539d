"""``viewer heatmap``: a dense class heatmap (the convolutionized network over several scales)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from viewer.commands.common import (
    add_model_options,
    class_index_option,
    load_model_from,
    print_written,
)
from viewer.core.options import FUSIONS, MODES, SCALE_PRESETS, parse_scales

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    heatmap = subparsers.add_parser("heatmap", help="dense class heatmap (convolutionized network, several scales)")
    heatmap.add_argument("image", metavar="IMAGE")
    add_model_options(heatmap)
    heatmap.add_argument("--class", dest="class_", default="top", help="top | INDEX | NAME")
    heatmap.add_argument(
        "--scales",
        default="1,1.4,2",
        help="image short sides as multiples of the resize size (256 for ImageNet; not the network's 224 input), "
        f"comma-separated, or a preset: {', '.join(SCALE_PRESETS)} (Sermanet et al.'s 6 sizes, 245 to 461 px)",
    )
    heatmap.add_argument("--offsets", action="store_true", help="OverFeat's stride-1 final max-pool offsets")
    heatmap.add_argument("--fuse", choices=FUSIONS, default="mean")
    heatmap.add_argument("--mode", choices=MODES, default="softmax")
    heatmap.add_argument("--alpha", type=float, default=0.5)
    heatmap.add_argument("--colormap", default="turbo")
    heatmap.add_argument("--out", metavar="OVERLAY.png|FOLDER/", help="overlay PNG + float32 NPY + JSON provenance")
    heatmap.add_argument("--npy", metavar="MAP.npy")
    heatmap.add_argument("--json", action="store_true")
    heatmap.add_argument("--force", action="store_true", help="overwrite existing files")
    heatmap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.core.errors import ModelError
    from viewer.core.out_paths import prepare_out
    from viewer.engine import export
    from viewer.engine.heatmap import dense as heatmap
    from viewer.engine.images import load_image, to_display_array

    # Refuse before any work. Into a folder the names come from the result (write_heatmap checks them then).
    args.out = prepare_out(args.out)  # "maps/" is a folder, made now: the names come from the result
    args.npy = prepare_out(args.npy, f"{Path(args.image).stem}_heatmap.npy")
    targets = export.heatmap_paths(args.out, {}) if args.out and not Path(args.out).is_dir() else []
    npy = args.npy
    if npy:
        targets = [path for path in targets if path.suffix != ".npy"] + [Path(npy)]
    export.check_targets(targets, force=args.force)
    loaded = load_model_from(args)
    image = load_image(args.image)
    try:
        scales = parse_scales(args.scales)
    except ValueError as error:
        raise ModelError(f"--scales {args.scales}: {error}.") from None
    result = heatmap.run_heatmap(
        loaded,
        image,
        class_index=class_index_option(args.class_, loaded.categories, loaded.name),
        mode=args.mode,
        scales=scales,
        offsets=args.offsets,
        fuse=args.fuse,
    )
    rgb = to_display_array(image, max_side=max(image.size))
    if args.out:  # overlay PNG, float32 scores and JSON provenance, written together or not at all
        written = export.write_heatmap(
            args.out,
            rgb,
            result.scores,
            result.provenance(),
            alpha=args.alpha,
            colormap=args.colormap,
            force=args.force,
            npy_path=npy,
        )
    elif npy:
        written = [export.write_npy(npy, result.scores.astype("float32"), force=args.force)]
    else:
        written = []
    print_written(written)
    peak_row, peak_col = divmod(int(result.scores.argmax()), result.scores.shape[1])
    if args.json:
        print(
            json.dumps(
                {**result.provenance(), "peak": {"x": peak_col, "y": peak_row, "value": float(result.scores.max())}},
                indent=2,
            )
        )
    else:
        print(
            f"{image.name}: {loaded.name}, {loaded.weights_label}; class {result.class_index} {result.class_name}; "
            f"scales {', '.join(map(str, result.scales))}; peak {result.scores.max():.3f} at x={peak_col}, y={peak_row}"
        )
        for note in result.notes:
            print(f"note: {note}")
    return 0
