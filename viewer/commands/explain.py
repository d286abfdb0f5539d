"""``viewer explain``: one explanation method's map of one class over the whole image (dense, Grad-CAM,
occlusion, saliency, integrated gradients), exported as overlay PNG + float32 NPY + JSON provenance."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from viewer.commands.common import add_model_options, class_index_option, print_written, progress_line
from viewer.core.options import EXPLAIN_METHODS

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explain = subparsers.add_parser(
        "explain",
        help="explanation map of one class: dense, Grad-CAM, occlusion, saliency or integrated gradients",
        description="One method's map of one class over the whole image, in the image's pixel coordinates.",
    )
    explain.add_argument("image", metavar="IMAGE")
    add_model_options(explain)
    explain.add_argument("--method", choices=EXPLAIN_METHODS, default="gradcam")
    explain.add_argument("--class", dest="class_", default="top", help="top | INDEX | NAME")
    explain.add_argument("--patch", type=int, default=32, help="occlusion: patch side in network-input pixels")
    explain.add_argument("--stride", type=int, default=8, help="occlusion: step between patches")
    explain.add_argument("--steps", type=int, default=32, help="integrated gradients: points on the path")
    explain.add_argument("--alpha", type=float, default=0.5)
    explain.add_argument("--colormap", default="turbo")
    explain.add_argument("--out", metavar="OVERLAY.png|FOLDER", help="overlay PNG + float32 NPY + JSON provenance")
    explain.add_argument("--npy", metavar="MAP.npy")
    explain.add_argument("--json", action="store_true", help="print the provenance and the peak as JSON")
    explain.add_argument("--force", action="store_true", help="overwrite existing files")
    explain.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.core.errors import ModelError
    from viewer.core.out_paths import prepare_out
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.explain.export import write_explanation
    from viewer.engine.explain.methods import explain
    from viewer.engine.images import load_image, to_display_array
    from viewer.engine.models.weights import load_model

    if args.patch < 1 or args.stride < 1 or args.steps < 1:
        raise ModelError("--patch, --stride and --steps must be at least 1.")
    args.out = prepare_out(args.out)  # "maps/" is a folder, made now: the names come from the result
    args.npy = prepare_out(args.npy, f"{Path(args.image).stem}_{args.method}.npy")
    targets = export.heatmap_paths(args.out, {}) if args.out and not Path(args.out).is_dir() else []
    if args.npy:
        targets = [path for path in targets if path.suffix != ".npy"] + [Path(args.npy)]
    export.check_targets(targets, force=args.force)  # refuse before any work
    loaded = load_model(args.model, args.weights, model_file=args.model_file, device=args.device, recipe=args.recipe)
    image = load_image(args.image)
    options: dict[str, int] = {}
    if args.method == "occlusion":
        options = {"patch": args.patch, "stride": args.stride}
    elif args.method == "ig":
        options = {"steps": args.steps, "chunks": min(4, args.steps)}
    class_index = class_index_option(args.class_, loaded.categories, loaded.name)
    job = explain(loaded, image, args.method, class_index=class_index, **options)
    result = run_job(job, progress_line if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if args.out:
        rgb = to_display_array(image, max_side=max(image.size))
        written = write_explanation(
            args.out, rgb, result, alpha=args.alpha, colormap=args.colormap, force=args.force, npy_path=args.npy
        )
    elif args.npy:
        written = [export.write_npy(args.npy, result.scores, force=args.force)]
    else:
        written = []
    print_written(written)
    row, col = divmod(int(result.scores.argmax()), result.scores.shape[1])
    peak = {"x": col, "y": row, "value": float(result.scores.max())}
    if args.json:
        print(json.dumps({**result.provenance(), "peak": peak}, indent=2))
    else:
        print(
            f"{image.name}: {loaded.name}, {loaded.weights_label}; {args.method}; class {result.class_index} "
            f"{result.class_name}; peak {peak['value']:.4g} at x={col}, y={row}"
        )
        for note in result.notes:
            print(f"note: {note}")
    return 0
