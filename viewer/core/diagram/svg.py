"""A laid-out graph as a standalone SVG file (plain strings, no Qt): what ``viewer graph --svg`` writes, and the
Architecture tab's and the pathways window's Export… as SVG (one SVG of a diagram, wherever it is asked for).

It draws the same :class:`core.diagram.layout.Layout` the app paints, with the app's colours: rounded boxes filled
by layer kind (convolution, pooling, normalisation, activation, linear, collapsed block, join) holding the
``box_lines`` text, round ⊕/concatenation joins, expanded blocks as labelled frames behind their boxes, edges as
polylines with arrowheads and each tensor's shape in a tooltip (and as a small label where no box shows it),
training-only heads dashed and labelled, and a caption with the totals, the variant and the notes. The data
flows down or to the right, as the layout was made (``Layout.direction``).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from viewer.core.diagram.colours import BORDER, FRAME_BORDER, FRAME_FILLS, KIND_COLOURS, ROUTE, TRAINING, kind_of
from viewer.core.diagram.layout import (
    CHAR_WIDTH,
    LINE_HEIGHT,
    Box,
    Direction,
    FrameBox,
    Layout,
    Route,
    box_lines,
    format_count,
    join_symbol,
)
from viewer.core.diagram.svg_pieces import attr, number, svg_header
from viewer.core.file_export import atomic_write
from viewer.core.graph.dataflow import ViewNode, format_shape

__all__ = ["graph_svg", "write_graph_svg"]

FONT_SIZE = 10.0
CAPTION_LINE = 15.0
MIN_WIDTH = 480.0  # a narrow network (a single column) still gets a readable caption


def _caption_lines(layout: Layout, width: float) -> tuple[list[str], list[str]]:
    """The caption wrapped to ``width``: the title's lines (bold, so wrapped shorter), then the variant and notes."""
    view = layout.view
    title = (f"{view.model_name} · input {format_shape(view.input_shape)} · {format_count(view.total_params)} "
             f"parameters · {view.macs / 1e9:.3g} GMACs")  # fmt: skip
    wrap = int((width - 24) / CHAR_WIDTH)
    texts = []
    if view.variant:
        texts.append(f"Variant: {view.variant}")
    training = [node for node in view.nodes if node.training_only]
    if training:
        params = sum(node.params for node in training)
        macs = sum(node.macs for node in training)
        texts.append(f"Dashed: training only ({format_count(params)} parameters, {format_count(macs)} MACs), "
                     "not counted in the totals.")  # fmt: skip
    if not view.traced:
        texts.append("Not traced: the boxes are the module tree in call order, without the data flow.")
    texts.extend(view.notes)
    lines = [line for text in texts for line in textwrap.wrap(text, wrap) or [""]]
    return textwrap.wrap(title, int(wrap * CHAR_WIDTH / 7.4)), lines


def graph_svg(layout: Layout) -> str:
    """The whole drawing as SVG text (UTF-8, standalone, no external resources)."""
    view = layout.view
    nodes = {node.id: node for node in view.nodes}
    width = max(layout.width, MIN_WIDTH)
    title_lines, note_lines = _caption_lines(layout, width)
    caption = title_lines + note_lines
    caption_height = len(caption) * CAPTION_LINE + 12
    height = layout.height + caption_height
    out: list[str] = [
        *svg_header(width, height, title=f"{view.model_name}: data-flow graph", font_size=FONT_SIZE),
        "<defs>",
        _marker("arrow", ROUTE),
        _marker("arrow-training", TRAINING),
        "</defs>",
        f'<rect x="0" y="0" width="{number(width)}" height="{number(height)}" fill="#ffffff"/>',
    ]
    out.append('<g class="caption">')
    for index, line in enumerate(caption):
        weight = ' font-weight="bold" font-size="12"' if index < len(title_lines) else ""
        out.append(f'<text x="{number(12)}" y="{number(18 + index * CAPTION_LINE)}"{weight}>{escape(line)}</text>')
    out.append("</g>")
    out.append(f'<g transform="translate({number((width - layout.width) / 2)},{number(caption_height)})">')
    out.append('<g class="frames">')
    out.extend(_frame(frame) for frame in sorted(layout.frames, key=lambda f: f.name.count(".")))
    out.append("</g>")
    out.append('<g class="edges">')
    for route in layout.routes:
        out.extend(_route(route, nodes, layout))
    out.append("</g>")
    out.append('<g class="nodes">')
    for node in view.nodes:
        out.extend(_box(layout.boxes[node.id], node, layout.direction))
    out.append("</g>")
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_graph_svg(path: str | os.PathLike[str], layout: Layout, *, force: bool = False) -> Path:
    """Write :func:`graph_svg` atomically (an existing file is kept unless ``force``)."""
    payload = graph_svg(layout).encode("utf-8")

    def write(handle: BinaryIO) -> None:
        handle.write(payload)

    return atomic_write(path, write, force=force)


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto"><path d="M0,1 L10,5 L0,9 z" fill="{colour}"/></marker>'
    )


def _frame(frame: FrameBox) -> str:
    dash = ' stroke-dasharray="6 3"' if frame.training_only else ' stroke-dasharray="4 3"'
    stroke = TRAINING if frame.training_only else FRAME_BORDER
    label = frame.label + (" · training only" if frame.training_only else "")
    fits = max(4, int((frame.w - 10) / (CHAR_WIDTH * 0.95)))
    shown = label if len(label) <= fits else label[: fits - 1] + "…"
    return (
        f'<g class="frame" data-block="{attr(frame.name)}"><title>{escape(label)}</title>'
        f'<rect x="{number(frame.x)}" y="{number(frame.y)}" width="{number(frame.w)}" '
        f'height="{number(frame.h)}" rx="6" fill="{FRAME_FILLS[0]}" stroke="{stroke}"{dash}/>'
        f'<text x="{number(frame.x + 6)}" y="{number(frame.y + 12)}" fill="#506070">{escape(shown)}</text></g>'
    )


def _route(route: Route, nodes: dict[str, ViewNode], layout: Layout) -> Iterable[str]:
    points = " ".join(f"{number(x)},{number(y)}" for x, y in route.points)
    colour, marker = (TRAINING, "arrow-training") if route.training_only else (ROUTE, "arrow")
    dash = ' stroke-dasharray="5 3"' if route.training_only else ""
    tip = f"{route.src} → {route.dst}: {format_shape(route.shape)}"
    yield (
        f'<polyline class="edge" points="{points}" fill="none" stroke="{colour}" stroke-width="1.3"{dash} '
        f'marker-end="url(#{marker})"><title>{escape(tip)}</title></polyline>'
    )
    source = nodes.get(route.src)
    if source is not None and source.kind == "join" and route.shape is not None and len(route.points) >= 2:
        # A join shows only its symbol: say what leaves it beside its first segment (top-down), or under the join
        # (left to right: the gap to the next column is narrower than the text).
        x0, y0 = route.points[0]
        if layout.direction == "LR":
            join = layout.boxes[route.src]
            x, y, anchor = join.center[0], join.y + join.h + 9, ' text-anchor="middle"'
        else:
            x, y, anchor = x0 + 14, y0 + 10, ""
        yield (
            f'<text class="shape" x="{number(x)}" y="{number(y)}"{anchor} font-size="8" '
            f'fill="#506070">{escape(format_shape(route.shape))}</text>'
        )


def _box(box: Box, node: ViewNode, direction: Direction) -> Iterable[str]:
    kind = kind_of(node)
    tip = [node.id if node.kind != "input" else "input"]
    if node.note:
        tip.append(node.note)
    if node.receptive_field is not None:
        tip.append(f"receptive field {node.receptive_field}")
    title = f"<title>{escape(chr(10).join(tip))}</title>"
    dash = ' stroke-dasharray="4 2"' if node.training_only else ""
    stroke = TRAINING if node.training_only else BORDER
    yield f'<g class="node {kind}" data-id="{attr(node.id)}">{title}'
    if node.kind == "join":
        cx, cy = box.center
        yield (
            f'<circle cx="{number(cx)}" cy="{number(cy)}" r="{number(box.w / 2)}" fill="{KIND_COLOURS["join"]}" '
            f'stroke="{stroke}" stroke-width="1.2"{dash}/>'
        )
        yield (
            f'<text x="{number(cx)}" y="{number(cy + 4.5)}" text-anchor="middle" font-size="13" '
            f'font-weight="bold" fill="#304050">{escape(join_symbol(node))}</text>'
        )
    else:
        yield (
            f'<rect x="{number(box.x)}" y="{number(box.y)}" width="{number(box.w)}" height="{number(box.h)}" '
            f'rx="5" fill="{KIND_COLOURS[kind]}" stroke="{stroke}" stroke-width="1"{dash}/>'
        )
        cx = box.x + box.w / 2
        for index, line in enumerate(box_lines(node, direction)):
            y = box.y + 6 + LINE_HEIGHT * (index + 1) - 3
            style = ' font-weight="bold"' if index == 0 else ""
            if line == "training only":
                style = f' font-style="italic" fill="{TRAINING}"'
            yield f'<text x="{number(cx)}" y="{number(y)}" text-anchor="middle"{style}>{escape(line)}</text>'
    yield "</g>"
