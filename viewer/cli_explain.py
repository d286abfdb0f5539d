"""Command line of issue 12: ``viewer explain``, ``viewer compare`` and ``viewer models --chart``.

``add_parsers(subparsers)`` adds the two subcommands and the ``--chart`` option of ``models``;
``commands(models_handler)`` returns their handlers (``models`` wrapped so that ``--chart`` draws the chart and
anything else is the plain list). As the rest of the CLI: parse, one engine call, print or export.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_parsers", "commands"]

METHODS = ("dense", "gradcam", "occlusion", "saliency", "ig")  # viewer.engine.explain.METHODS (torch-free here)


def _model_options(parser: argparse.ArgumentParser) -> None:
    from viewer.core.defaults import DEFAULT_MODEL

    parser.add_argument("--model", default=DEFAULT_MODEL, help="network name (`viewer models` lists them)")
    parser.add_argument("--weights", default="default", help="default | none | an enum such as IMAGENET1K_V1 | a FILE")
    parser.add_argument("--model-file", metavar="FILE.py:FUNCTION", help="a custom architecture")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps")


class _Network(argparse.Action):
    """``--model A [--weights W] --model B …``: each ``--weights`` belongs to the ``--model`` before it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, value: Any, option: Any = None):
        networks = list(getattr(namespace, "networks", None) or [])
        if self.dest == "model":
            networks.append([value, "default"])
        elif not networks:
            parser.error("--weights must follow the --model it belongs to")
        elif networks[-1][1] != "default":
            parser.error(f"--model {networks[-1][0]} has two --weights")
        else:
            networks[-1][1] = value
        namespace.networks = networks


def add_parsers(subparsers: Any) -> None:
    """Add ``explain`` and ``compare``, and ``--chart`` to the existing ``models`` parser."""
    explain = subparsers.add_parser(
        "explain",
        help="explanation map of one class: dense, Grad-CAM, occlusion, saliency or integrated gradients",
        description="One method's map of one class over the whole image, in the image's pixel coordinates.",
    )
    explain.add_argument("image", metavar="IMAGE")
    _model_options(explain)
    explain.add_argument("--method", choices=METHODS, default="gradcam")
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

    compare = subparsers.add_parser(
        "compare",
        help="one image through 2-6 networks: top-k, warm time, params, GMACs, ImageNet accuracy",
        description="Networks run one after the other on the current device; the time is the median of warm "
        "batch-1 forward passes. Give each network as --model NAME, optionally followed by its --weights.",
    )
    compare.add_argument("image", metavar="IMAGE")
    compare.add_argument("--model", action=_Network, required=True, metavar="NAME")
    compare.add_argument("--weights", action=_Network, metavar="W", help="weights of the --model before it")
    compare.add_argument("--topk", type=int, default=5)
    compare.add_argument("--runs", type=int, default=5, help="timed warm runs per network (the median is shown)")
    compare.add_argument("--device", default="auto")
    compare.add_argument("--json", metavar="FILE", help="also write the comparison as JSON (- prints it instead)")
    compare.add_argument("--force", action="store_true", help="overwrite --json")

    models = subparsers.choices["models"]
    models.add_argument("--chart", metavar="FILE.png|FILE.svg", help="draw the accuracy-versus-cost chart")
    models.add_argument(
        "--chart-x",
        choices=("gmacs", "latency"),
        default="gmacs",
        help="latency: the x axis is the time measured on --chart-device (measured once, then cached)",
    )
    models.add_argument("--chart-device", default="cpu")
    models.add_argument("--force", action="store_true", help="overwrite --chart")


def commands(models_handler: Callable[[argparse.Namespace], int]) -> dict[str, Callable[[argparse.Namespace], int]]:
    """The handlers, with ``models`` drawing the chart when ``--chart`` is given."""

    def models(args: argparse.Namespace) -> int:
        return _cmd_chart(args) if getattr(args, "chart", None) else models_handler(args)

    return {"explain": _cmd_explain, "compare": _cmd_compare, "models": models}


def _written(paths: Sequence[Any]) -> None:
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)


def _class_index(choice: str, categories: Sequence[str], model_name: str) -> int | None:
    from viewer.engine.class_names import find_class
    from viewer.engine.errors import ModelError

    if choice in ("", "top"):
        return None
    try:
        return find_class(categories, choice, model_name)
    except ModelError as error:
        raise ModelError(f"--class: {error}") from None


def _cmd_explain(args: argparse.Namespace) -> int:
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.errors import ModelError
    from viewer.engine.explain import explain
    from viewer.engine.explain_export import write_explanation
    from viewer.engine.images import load_image, to_display_array
    from viewer.engine.weights import load_model

    if args.patch < 1 or args.stride < 1 or args.steps < 1:
        raise ModelError("--patch, --stride and --steps must be at least 1.")
    targets = export.heatmap_paths(args.out, {}) if args.out and not Path(args.out).is_dir() else []
    if args.npy:
        targets = [path for path in targets if path.suffix != ".npy"] + [Path(args.npy)]
    export.check_targets(targets, force=args.force)  # refuse before any work
    loaded = load_model(args.model, args.weights, model_file=args.model_file, device=args.device)
    image = load_image(args.image)
    options: dict[str, Any] = {}
    if args.method == "occlusion":
        options = {"patch": args.patch, "stride": args.stride}
    elif args.method == "ig":
        options = {"steps": args.steps, "chunks": min(4, args.steps)}
    job = explain(loaded, image, args.method, class_index=_class_index(args.class_, loaded.categories, loaded.name),
                  **options)  # fmt: skip
    result = run_job(job, _progress_line if sys.stderr.isatty() else None)
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
    _written(written)
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


def _progress_line(step: Any) -> None:
    sys.stderr.write(f"\r{step.message[:70]:<70} {100 * step.fraction:3.0f}%")
    sys.stderr.flush()


def _cmd_compare(args: argparse.Namespace) -> int:
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.compare import compare
    from viewer.engine.errors import ModelError

    if args.topk < 1 or args.runs < 1:
        raise ModelError("--topk and --runs must be at least 1.")
    json_file = args.json if args.json and args.json != "-" else None
    export.check_targets([json_file], force=args.force)
    networks = [tuple(pair) for pair in args.networks]
    result = run_job(compare(networks, args.image, topk=args.topk, runs=args.runs, device=args.device))
    document = result.as_dict()
    if json_file:
        _written([export.write_json(json_file, document, force=args.force)])
    if args.json == "-":
        print(json.dumps(document, indent=2))
        return 0
    print(f"{Path(result.image_path).name}: {len(result.networks)} networks; time = median of warm batch-1 runs")
    for network in result.networks:
        if network.error:
            print(f"\n{network.model}: not run: {network.error}")
            continue
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
        print(f"  {network.time_label}; {network.params / 1e6:.2f} M params; {gmacs}; {acc}")
        for top in network.topk:
            print(f"  {top.prob:7.2%}  {top.name}")
        for note in network.notes:
            print(f"  note: {note}")
    return 0


def _cmd_chart(args: argparse.Namespace) -> int:
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.errors import ExportError
    from viewer.engine.zoo_chart import measure_latency, zoo_points

    path = Path(args.chart)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ExportError(f"{path.name}: the chart is written as .png or .svg.")
    export.check_targets([path], force=args.force)
    latency = None
    if args.chart_x == "latency":
        latency = run_job(measure_latency(device=args.chart_device), _progress_line if sys.stderr.isatty() else None)
    points = zoo_points(latency)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from viewer.gui.widgets.zoo_chart import render_chart  # the GUI only inside this subcommand

    _written([render_chart(points, path, axis=args.chart_x)])
    print(f"{len(points)} networks with ImageNet weights; x: {args.chart_x}; point area ∝ parameters")
    return 0
