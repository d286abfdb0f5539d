"""Command line: ``viewer [gui] | classify | models | summary | graph | activations | heatmap | bench``.

Each subcommand parses its arguments, makes one engine call and prints or exports the result; there is no
logic here of its own. A ``ViewerError`` (bad input) prints its one sentence on stderr and exits 2; any
other exception is a bug: one line on stderr naming the log file that holds the traceback, exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from viewer import __version__, cli_explain
from viewer.core.defaults import DEFAULT_MODEL

__all__ = ["build_parser", "main"]

EXIT_BAD_INPUT = 2
EXIT_BUG = 1
LOG_PATH = Path(tempfile.gettempdir()) / "convnet-viewer.log"


def _add_model_options(parser: argparse.ArgumentParser, *, default_model: str | None = DEFAULT_MODEL) -> None:
    parser.add_argument("--model", default=default_model, help="network name (`viewer models` lists them)")
    parser.add_argument(
        "--weights",
        default="default",
        help="default | none (random init) | a torchvision enum such as IMAGENET1K_V2 | a state_dict FILE",
    )
    parser.add_argument(
        "--model-file", metavar="FILE.py:FUNCTION", help="a custom architecture: a function returning an nn.Module"
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (auto: cuda > mps > cpu)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="viewer", description="Look inside image-classification networks.")
    parser.add_argument("--version", action="version", version=f"convnet-viewer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("images", nargs="*", metavar="IMAGE")
    _add_model_options(gui, default_model=None)
    gui.add_argument("--tab", choices=("predictions", "activations", "architecture", "heatmap"))
    gui.add_argument("--layer", help="layer to show in the Activations tab (a name from `viewer summary`)")
    gui.add_argument("--class", dest="class_", metavar="CLASS", help="class for the Heatmap tab (index or name)")
    gui.add_argument(
        "--expand",
        metavar="BLOCKS",
        help="blocks to open in the Architecture diagram: names (inception3a,layer1.0), a depth or all",
    )
    gui.add_argument("--screenshot", metavar="FILE.png", help="wait for every job, save the window, exit")
    gui.add_argument(
        "--size",
        metavar="WxH",
        type=_window_size,
        help="window size in pixels, e.g. 1366x768 (screenshots, tests); default: fits the screen",
    )

    classify = commands.add_parser("classify", help="top-k classes of images")
    classify.add_argument(
        "images",
        nargs="+",
        metavar="IMAGE|FOLDER",
        help="image files, or folders (the images directly inside, as a drop on the app)",
    )
    _add_model_options(classify)
    classify.add_argument("--topk", type=int, default=5)
    classify.add_argument("--preprocess", choices=("weights", "standardize", "full"), default="weights")
    classify.add_argument(
        "--tta",
        action="store_true",
        help="Krizhevsky's ten views: corners and centre of the central square, and their mirrors",
    )
    classify.add_argument(
        "--tta-average",
        choices=("probs", "logits"),
        default="probs",
        help="with --tta: average the softmax outputs (the paper's, default) or the logits",
    )
    classify.add_argument(
        "--format",
        choices=("text", "lecture", "json"),
        default="text",
        help="lecture: 'score name' lines with full WordNet names and no header, as the lecture's "
        "demo; json: as --json",
    )
    classify.add_argument("--json", action="store_true", help="print one JSON document (a list, one object per image)")

    models = commands.add_parser("models", help="list the networks")
    models.add_argument("--json", action="store_true")

    summary = commands.add_parser("summary", help="architecture table: output shapes, parameters, MACs")
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
    summary.add_argument("--out", metavar="FILE", help="also write .json, .csv or .txt")
    summary.add_argument("--force", action="store_true", help="overwrite --out")
    summary.add_argument(
        "--lecture-table",
        action="store_true",
        help="ResNet: He et al.'s Table 1 (18 to 152 layers), read from the networks",
    )

    graph = commands.add_parser(
        "graph", help="the data-flow graph as the lecture draws it: text, JSON or SVG",
        description="The network's data-flow graph: a box per layer call or collapsed block, parallel branches side "
        "by side, joins, skip connections beside the boxes they bypass, training-only heads dashed to the side. "
        "Only shapes are computed (on the meta device): weights never change the graph.",
    )  # fmt: skip
    graph.add_argument("--model", default="resnet18", help="network name (`viewer models` lists them)")
    graph.add_argument("--weights", default="default",
                       help="accepted for symmetry with the other commands and ignored: the graph depends on shapes "
                            "only, never on weights")  # fmt: skip
    graph.add_argument("--model-file", metavar="FILE.py:FUNCTION", help="a custom architecture (runs your code)")
    graph.add_argument("--input", metavar="CxHxW", help="input size (default: the network's own)")
    graph.add_argument("--expand", metavar="all|DEPTH|BLOCK,...",
                       help="which blocks to open: all, a depth (0: top-level blocks closed) or block names "
                            "(default: the lecture's level)")  # fmt: skip
    graph.add_argument("--aux", action=argparse.BooleanOptionalAction, default=True,
                       help="GoogLeNet/Inception: draw the auxiliary classifiers (training-only heads, dashed; "
                            "the default, as in the paper's figure); --no-aux hides them")  # fmt: skip
    graph.add_argument(
        "--convolutionized",
        metavar="WxH",
        help="the fully convolutional form for a WIDTHxHEIGHT image (Linear layers as convolutions)",
    )
    graph.add_argument(
        "--expand-groups", metavar="BLOCK", help="ResNeXt: draw BLOCK's grouped convolution as its parallel pathways"
    )
    graph.add_argument("--json", metavar="FILE|-", help="write the drawing as JSON (- prints it instead of the text)")
    graph.add_argument("--svg", metavar="FILE", help="write the drawing as SVG")
    graph.add_argument("--force", action="store_true", help="overwrite existing files")

    activations = commands.add_parser("activations", help="activation maps of one layer")
    activations.add_argument("image", metavar="IMAGE")
    _add_model_options(activations)
    activations.add_argument("--layer", required=True, help="a layer name from `viewer summary`")
    activations.add_argument("--preprocess", choices=("weights", "standardize", "full"), default="weights")
    activations.add_argument("--sort", choices=("index", "mean", "max"), default="index")
    activations.add_argument("--normalize", choices=("channel", "layer"), default="channel")
    activations.add_argument("--colormap", default="viridis")
    activations.add_argument("--show", type=int, default=16, metavar="N", help="channels listed (default 16)")
    activations.add_argument("--all", action="store_true", help="list every channel")
    activations.add_argument("--out", metavar="GRID.png", help="every channel, each at least at its own resolution")
    activations.add_argument("--npy", metavar="FILE.npy")
    activations.add_argument("--json", action="store_true")
    activations.add_argument("--force", action="store_true", help="overwrite existing files")

    heatmap = commands.add_parser("heatmap", help="dense class heatmap (convolutionized network, several scales)")
    heatmap.add_argument("image", metavar="IMAGE")
    _add_model_options(heatmap)
    heatmap.add_argument("--class", dest="class_", default="top", help="top | INDEX | NAME")
    heatmap.add_argument("--scales", default="1,1.4,2", help="comma-separated scales of the base size")
    heatmap.add_argument("--offsets", action="store_true", help="OverFeat's stride-1 final max-pool offsets")
    heatmap.add_argument("--fuse", choices=("mean", "max"), default="mean")
    heatmap.add_argument("--mode", choices=("softmax", "logit"), default="softmax")
    heatmap.add_argument("--alpha", type=float, default=0.5)
    heatmap.add_argument("--colormap", default="turbo")
    heatmap.add_argument("--out", metavar="OVERLAY.png")
    heatmap.add_argument("--npy", metavar="MAP.npy")
    heatmap.add_argument("--json", action="store_true")
    heatmap.add_argument("--force", action="store_true", help="overwrite existing files")

    bench = commands.add_parser("bench", help="benchmarks: ratios against bare torchvision, as a table")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions and smaller inputs")
    bench.add_argument("--only", help="comma-separated: classify,activations,dense,gui,graph,explain")
    bench.add_argument("--device", default="auto")
    cli_explain.add_parsers(commands)  # explain, compare, models --chart (issue 12)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] not in (*_COMMANDS, "-h", "--help", "--version"):
        arguments = ["gui", *arguments]  # `viewer` and `viewer IMAGE...` open the app
    args = build_parser().parse_args(arguments)
    command = args.command
    from viewer.engine.errors import ViewerError

    try:
        return int(_COMMANDS[command](args) or 0)
    except ViewerError as error:
        print(f"viewer: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("viewer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `viewer models | head`: the reader left, which is not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a bug: keep the user's terminal clean, keep the traceback in the log
        with open(LOG_PATH, "a", encoding="utf-8") as log:
            traceback.print_exc(file=log)
        print(f"viewer: internal error ({type(error).__name__}: {error}); details in {LOG_PATH}", file=sys.stderr)
        return EXIT_BUG


def _load(args: argparse.Namespace):
    from viewer.engine.weights import load_model

    progress = _TextProgress() if sys.stderr.isatty() else None
    return load_model(args.model, args.weights, model_file=args.model_file, device=args.device, progress=progress)


class _TextProgress:
    """A one-line text progress bar on stderr for weight downloads."""

    def __call__(self, done: int, total: int) -> bool:
        if total:
            filled = int(30 * done / total)
            sys.stderr.write(
                f"\rdownloading [{'#' * filled}{'.' * (30 - filled)}] {done / 2**20:6.1f}/{total / 2**20:.1f} MB"
            )
        else:
            sys.stderr.write(f"\rdownloading {done / 2**20:6.1f} MB")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
        return True


def _window_size(text: str) -> tuple[int, int]:
    """``--size 1366x768`` → (1366, 768)."""
    width, sep, height = text.lower().partition("x")
    if not (sep and width.strip().isdigit() and height.strip().isdigit()) or min(int(width), int(height)) < 100:
        raise argparse.ArgumentTypeError(f"{text!r}: give the size as WIDTHxHEIGHT in pixels, e.g. 1366x768")
    return int(width), int(height)


def _cmd_gui(args: argparse.Namespace) -> int:
    from viewer.gui.launch import run_gui

    return run_gui(
        list(args.images),
        model=args.model,
        weights=None if args.weights == "default" else args.weights,
        model_file=args.model_file,
        device=args.device,
        tab=args.tab,
        layer=args.layer,
        class_=args.class_,
        expand=args.expand,
        screenshot=args.screenshot,
        window_size=args.size,
    )


def _cmd_classify(args: argparse.Namespace) -> int:
    from viewer.core.image_paths import expand_image_paths
    from viewer.engine.errors import ModelError, ViewerError
    from viewer.engine.images import load_image
    from viewer.engine.inference import classify

    if args.topk < 1:
        raise ModelError(f"--topk {args.topk}: ask for at least one class.")
    loaded = _load(args)
    _warn_unfit(loaded, args.preprocess, args.tta)
    expanded = expand_image_paths(args.images)  # folders as a drop on the app reads them
    for error in expanded.errors:
        print(f"viewer: {error}", file=sys.stderr)
    images, failed = [], bool(expanded.errors)
    for path in expanded.files:
        try:
            images.append(load_image(path))
        except ViewerError as error:  # other images are still classified
            print(f"viewer: {error}", file=sys.stderr)
            failed = True
    predictions = (
        classify(images, loaded, topk=args.topk, preset=args.preprocess, tta=args.tta, tta_average=args.tta_average)
        if images
        else []
    )
    if args.json or args.format == "json":
        print(json.dumps([p.as_dict() for p in predictions], indent=2))
    elif args.format == "lecture":
        _print_lecture(predictions, loaded.categories)
    else:
        for number, prediction in enumerate(predictions):
            if number:
                print()
            extra = f", ten-crop TTA ({prediction.tta_average} averaged)" if prediction.tta else ""
            print(
                f"{Path(prediction.image).name}: {prediction.model}, {prediction.weights}, {prediction.device}, "
                f"preprocess {prediction.preprocess}{extra}"
            )
            for top in prediction.topk:
                print(f"{top.logit:.2f} {top.name}  (p={top.prob:.3f})")
    return EXIT_BAD_INPUT if failed else 0


def _print_lecture(predictions: Sequence[Any], categories: Sequence[str]) -> None:
    """The lecture's demo: one "score name" line per class, full WordNet names, no header; a blank line between
    images (a single image prints exactly the lecture's lines)."""
    from viewer.core.class_search import full_names

    names = full_names(categories)
    for number, prediction in enumerate(predictions):
        if number:
            print()
        for top in prediction.topk:
            print(f"{top.logit:.2f} {names[top.index]}")


def _warn_unfit(loaded: Any, preset: str, tta: bool) -> None:
    """A warning line on stderr for each preset that does not fit these weights (nothing is refused)."""
    from viewer.core.preset_fit import unfit_reasons

    for reason in unfit_reasons(
        preset,
        tta,
        model=loaded.name,
        weights=loaded.weights,
        pretrained=loaded.pretrained,
        categories=loaded.categories,
        mean=loaded.input.mean,
        std=loaded.input.std,
    ):
        print(f"viewer: warning: {reason}", file=sys.stderr)


def _cmd_models(args: argparse.Namespace) -> int:
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


def _parse_input(text: str | None) -> tuple[int, int, int] | None:
    from viewer.engine.errors import ModelError

    if not text:
        return None
    try:
        channels, height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ModelError(f"--input {text}: expected CxHxW, e.g. 3x224x224.") from None
    return channels, height, width


def _cmd_summary(args: argparse.Namespace) -> int:
    from viewer.engine import export, summary
    from viewer.engine.registry import get_spec
    from viewer.engine.weights import custom_spec
    from viewer.engine.weights import with_module_attributes as custom_spec_with_module

    if args.lecture_table:
        return _print_lecture_table(args)
    export.check_targets([args.out], force=args.force)
    spec = custom_spec(args.model_file) if args.model_file else get_spec(args.model)
    # A registry name is built on the meta device with its auxiliary heads, which the table marks training only.
    model = spec.builder() if args.model_file else spec.name
    if args.model_file:
        spec = custom_spec_with_module(spec, model)  # categories/input_size/... set on the returned module
    result = summary.summarize(model, _parse_input(args.input) or spec.input.shape, model_name=spec.name)
    document = summary.summary_to_dict(result)
    text = summary.format_table(result, depth=args.depth)
    print(json.dumps(document, indent=2) if args.json else text)
    if args.out:
        export.write_summary(args.out, document, summary.summary_rows(result), text, force=args.force)
    return 0


def _print_lecture_table(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from viewer.engine import lecture_tables
    from viewer.engine.errors import ModelError

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


def _cmd_graph(args: argparse.Namespace) -> int:
    from viewer.engine import export
    from viewer.engine.graph_export import draw_graph, graph_document
    from viewer.engine.graph_svg import write_graph_svg
    from viewer.engine.graph_variants import parse_size

    json_file = args.json if args.json and args.json != "-" else None
    export.check_targets([json_file, args.svg], force=args.force)  # refuse before any work
    size = parse_size(args.convolutionized) if args.convolutionized else None
    input_shape = _parse_input(args.input)
    if args.model_file:
        from viewer.engine.weights import custom_spec

        spec = custom_spec(args.model_file)
        model: Any = spec.builder()
        name, input_shape = spec.name, input_shape or spec.input.shape
    else:
        model = name = args.model
    drawing = draw_graph(model, input_shape=input_shape, model_name=name, expand=args.expand, aux=args.aux,
                         convolutionized=size, expand_groups=args.expand_groups)  # fmt: skip
    document = graph_document(drawing.layout, drawing.graph) if args.json else None
    written = []
    if json_file:
        written.append(export.write_json(json_file, document, force=args.force))
    if args.svg:
        written.append(write_graph_svg(args.svg, drawing.layout, force=args.force))
    _print_written(written)
    if args.json == "-":
        print(json.dumps(document, indent=2))
    else:
        print(_graph_text(drawing))
    return 0


def _graph_text(drawing: Any) -> str:
    from viewer.core.graph import format_shape
    from viewer.core.layout import box_lines, format_count

    graph, view, layout = drawing.graph, drawing.view, drawing.layout
    lines = [f"{graph.model_name}: input {format_shape(graph.input_shape)}, {format_count(graph.total_params)} "
             f"parameters, {graph.gmacs:.3g} GMACs; {len(view.nodes)} boxes, {len(view.edges)} edges, "
             f"{len(layout.frames)} open blocks, drawing {layout.width:.0f}×{layout.height:.0f}"]  # fmt: skip
    if graph.variant:
        lines.append(f"variant: {graph.variant}")
    if not graph.traced:
        lines.append(f"not traced ({graph.fallback_reason}): the module tree in call order")
    for node in view.nodes:
        indent = "  " * (node.parent.count(".") + 1 if node.parent else 0)
        what = {"input": "input", "join": node.type}.get(node.kind) or box_lines(node)[1]
        if node.kind == "block":
            what += " (collapsed)"
        costs = " · ".join(
            part
            for part in (
                f"{format_count(node.params)} params" if node.params else "",
                f"{format_count(node.macs)} MACs" if node.macs else "",
            )
            if part
        )
        extra = "  training only" if node.training_only else ""
        lines.append(f"{indent + node.id:<34} {what:<36} {format_shape(node.shape):>14}  {costs}{extra}".rstrip())
    lines.extend(f"note: {note}" for note in graph.notes)
    return "\n".join(lines)


def _print_written(paths: Sequence[Any]) -> None:
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)


def _cmd_activations(args: argparse.Namespace) -> int:
    from viewer.engine import activations, export
    from viewer.engine.images import load_image, preprocess

    export.check_targets([args.out, args.npy], force=args.force)  # refuse before any work, write all or none
    loaded = _load(args)
    _warn_unfit(loaded, args.preprocess, False)
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
    _print_written(written)
    order = activation.order[args.sort]
    if args.json:
        print(
            json.dumps(
                {
                    "image": image.path,
                    "model": loaded.name,
                    "weights": loaded.weights_label,
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


def _cmd_heatmap(args: argparse.Namespace) -> int:
    from viewer.engine import export, heatmap
    from viewer.engine.errors import ModelError
    from viewer.engine.images import load_image, to_display_array

    # Refuse before any work. Into a folder the names come from the result (write_heatmap checks them then).
    targets = export.heatmap_paths(args.out, {}) if args.out and not Path(args.out).is_dir() else []
    npy = args.npy
    if npy:
        targets = [path for path in targets if path.suffix != ".npy"] + [Path(npy)]
    export.check_targets(targets, force=args.force)
    loaded = _load(args)
    image = load_image(args.image)
    try:
        scales = tuple(float(s) for s in args.scales.split(","))
    except ValueError:
        raise ModelError(f"--scales {args.scales}: expected numbers separated by commas, e.g. 1,1.4,2.") from None
    if not all(0 < s < float("inf") for s in scales):
        raise ModelError(f"--scales {args.scales}: every scale must be a positive number, e.g. 1,1.4,2.")
    result = heatmap.run_heatmap(
        loaded,
        image,
        class_index=_class_index(args.class_, loaded.categories, loaded.name),
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
    _print_written(written)
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


def _class_index(choice: str, categories: Sequence[str], model_name: str) -> int | None:
    from viewer.engine.class_names import find_class
    from viewer.engine.errors import ModelError

    if choice in ("", "top"):
        return None
    try:
        return find_class(categories, choice, model_name)
    except ModelError as error:
        raise ModelError(f"--class: {error}") from None


def _cmd_bench(args: argparse.Namespace) -> int:
    from viewer.bench import run_benchmarks

    return run_benchmarks(quick=args.quick, only=args.only, device=args.device)


_COMMANDS = {
    "gui": _cmd_gui,
    "classify": _cmd_classify,
    "models": _cmd_models,
    "summary": _cmd_summary,
    "graph": _cmd_graph,
    "activations": _cmd_activations,
    "heatmap": _cmd_heatmap,
    "bench": _cmd_bench,
}
_COMMANDS.update(cli_explain.commands(_cmd_models))
