"""``viewer graph``: the data-flow graph as the lecture draws it, as text, JSON or SVG."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from viewer.commands.common import (
    parse_input,
    print_written,
)

if TYPE_CHECKING:
    from torch import nn

    from viewer.engine.graph.export import GraphDrawing

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    graph = subparsers.add_parser(
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
    graph.add_argument("--direction", choices=("TB", "LR"), default="TB", type=str.upper,
                       help="where the data flows: TB top to bottom (the default, as in the lecture's figures) or LR "
                            "left to right (a deep network then fits a wide screen or slide)")  # fmt: skip
    graph.add_argument("--json", metavar="FILE|-", help="write the drawing as JSON (- prints it instead of the text)")
    graph.add_argument("--svg", metavar="FILE", help="write the drawing as SVG")
    graph.add_argument("--force", action="store_true", help="overwrite existing files")
    graph.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.core.diagram.svg import write_graph_svg
    from viewer.core.out_paths import prepare_out
    from viewer.engine import export
    from viewer.engine.graph.export import draw_graph, graph_document
    from viewer.engine.graph.variants import parse_size

    name = args.model_file.rpartition(":")[2] if args.model_file else args.model
    json_file = prepare_out(args.json, f"{name}_graph.json") if args.json and args.json != "-" else None
    args.svg = prepare_out(args.svg, f"{name}_graph.svg")
    export.check_targets([json_file, args.svg], force=args.force)  # refuse before any work
    size = parse_size(args.convolutionized) if args.convolutionized else None
    input_shape = parse_input(args.input)
    if args.model_file:
        from viewer.engine.models.weights import custom_spec

        spec = custom_spec(args.model_file)
        assert spec.builder is not None  # custom_spec always holds the user's function
        model: nn.Module | str = spec.builder()
        name, input_shape = spec.name, input_shape or spec.input.shape
    else:
        model = name = args.model
    drawing = draw_graph(model, input_shape=input_shape, model_name=name, expand=args.expand, aux=args.aux,
                         convolutionized=size, expand_groups=args.expand_groups,
                         direction=args.direction)  # fmt: skip
    document = graph_document(drawing.layout, drawing.graph) if args.json else None
    written = []
    if json_file:
        written.append(export.write_json(json_file, document, force=args.force))
    if args.svg:
        written.append(write_graph_svg(args.svg, drawing.layout, force=args.force))
    print_written(written)
    if args.json == "-":
        print(json.dumps(document, indent=2))
    else:
        print(_graph_text(drawing))
    return 0


def _graph_text(drawing: GraphDrawing) -> str:
    from viewer.core.diagram.layout import box_lines, format_count
    from viewer.core.graph.dataflow import format_shape

    graph, view, layout = drawing.graph, drawing.view, drawing.layout
    lines = [f"{graph.model_name}: input {format_shape(graph.input_shape)}, {format_count(graph.total_params)} "
             f"parameters, {graph.gmacs:.3g} GMACs; {len(view.nodes)} boxes, {len(view.edges)} edges, "
             f"{len(layout.frames)} open blocks, drawing {layout.width:.0f}×{layout.height:.0f}"
             + (" left to right" if layout.direction == "LR" else "")]  # fmt: skip
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
