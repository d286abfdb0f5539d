"""The lecture's tables, regenerated from the networks themselves: ResNet's Table 1 (He et al., 2015).

Table 1 of "Deep residual learning for image recognition" ("Architectures for ImageNet") gives, for the 18-,
34-, 50-, 101- and 152-layer networks, each stage's output size, its block (the convolutions of one residual
block) and how many blocks it stacks, and the cost of the whole network. Here every cell is read off the data-flow
graph (:func:`viewer.engine.graph.build.build_graph`): kernel sizes and widths from the Conv2d nodes of each stage's
first block, block counts from the blocks of each stage, output sizes from node shapes, the depth in the column
title by counting weighted layers, and the FLOPs (multiply-adds, the paper's convention) from ``Graph.macs``,
for He et al.'s stride placement (v1) and torchvision's (v1.5). Only the row of FLOPs as the paper prints them
is typed in, to compare with.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from viewer.core.errors import ModelError
from viewer.core.graph.dataflow import Graph, GraphNode
from viewer.core.results.lecture import ResNetTable, TableCell, TableRow

__all__ = [
    "PAPER_GFLOPS",
    "RESNET_TABLE_MODELS",
    "format_resnet_table",
    "resnet_table",
    "resnet_table_of_graphs",
]

# Column by column: (torchvision's network, He et al.'s v1 network). Basic blocks have no 1×1 to move the
# stride to, so ResNet-18/34 are the same network in both.
RESNET_TABLE_MODELS: tuple[tuple[str, str], ...] = (
    ("resnet18", "resnet18"),
    ("resnet34", "resnet34"),
    ("resnet50", "resnet50_v1"),
    ("resnet101", "resnet101_v1"),
    ("resnet152", "resnet152_v1"),
)
# The FLOPs row exactly as Table 1 prints it (×10⁹ multiply-adds), for comparison with the measured rows.
PAPER_GFLOPS: tuple[float, ...] = (1.8, 3.6, 3.8, 7.6, 11.3)


def _size(node: GraphNode) -> str:
    if node.shape is None or len(node.shape) != 3:
        raise ModelError(f"{node.id}: the lecture table needs a C×H×W output here, not {node.shape}.")
    return f"{node.shape[1]}×{node.shape[2]}"


def _kernel(value: object) -> str:
    size = value if isinstance(value, tuple) else (value, value)
    return "×".join(map(str, size))


def _stride(value: object) -> int:
    first = value[0] if isinstance(value, tuple) else value
    if not isinstance(first, (int, float)):
        raise TypeError(f"a stride is a number or a tuple of numbers, not {value!r}")
    return int(first)


def _first(graph: Graph, kind: str) -> GraphNode:
    for node in graph.nodes:
        if node.type == kind and not node.training_only:
            return node
    raise ModelError(f"{graph.model_name} has no {kind}, so it is not one of the lecture's ResNets.")


def _stages(graph: Graph) -> list[str]:
    """The top-level blocks that stack residual blocks (torchvision's layer1 … layer4), in execution order."""
    stages = [name for name, block in graph.blocks.items() if not block.parent and block.children]
    if len(stages) != 4:
        raise ModelError(f"{graph.model_name} does not have ResNet's four stages of residual blocks.")
    return stages


def _block_convs(graph: Graph, block: str) -> tuple[str, ...]:
    """``("1×1, 64", "3×3, 64", "1×1, 256")``: the residual path of ``block``, the shortcut's projection left out."""
    convs = [graph.node(node) for node in graph.blocks[block].nodes]
    return tuple(f"{_kernel(node.hyper['kernel_size'])}, {node.hyper['out_channels']}"
                 for node in convs if node.type == "Conv2d" and node.block == block)  # fmt: skip


def _depth(graph: Graph) -> int:
    """Weighted layers on the main path, as the paper counts them: convolutions and fc, not the shortcuts."""
    return sum(1 for node in graph.nodes if node.type in ("Conv2d", "Linear") and not node.training_only
               and "downsample" not in node.id)  # fmt: skip


def _gflops(macs: int) -> str:
    return f"{macs / 1e9:.2f}×10⁹"


def resnet_table_of_graphs(v15: Sequence[Graph], v1: Sequence[Graph], *, chosen: str | None = None) -> ResNetTable:
    """Table 1 from the graphs of the five networks, torchvision's (``v15``) and He et al.'s (``v1``), column by column.

    Args:
        v15: The graphs of torchvision's ResNet-18, 34, 50, 101 and 152 (stride on the 3×3).
        v1: The graphs of the same depths with the paper's stride placement (18 and 34: the same networks).
        chosen: A network name to highlight; its column and its variant's FLOPs are marked.
    """
    columns, rows_by_stage = [], []
    first = v1[0]
    conv1, pool = _first(first, "Conv2d"), _first(first, "MaxPool2d")
    stage_names = _stages(first)
    for graph in v1:
        stages = _stages(graph)
        columns.append(f"{_depth(graph)}-layer")
        rows_by_stage.append([
            TableCell(_block_convs(graph, graph.blocks[stage].children[0]), len(graph.blocks[stage].children))
            for stage in stages
        ])  # fmt: skip
    head = first.nodes[-1]
    if head.type != "Linear":
        raise ModelError(f"{first.model_name} does not end in a fully-connected layer.")
    final = [node for node in first.nodes if node.type in ("AdaptiveAvgPool2d", "AvgPool2d")][-1]
    count = len(v1)

    def spanning(text: str) -> tuple[TableCell, ...]:
        return (TableCell((text,)),) * count

    rows = [
        TableRow("conv1", _size(conv1), spanning(
            f"{_kernel(conv1.hyper['kernel_size'])}, {conv1.hyper['out_channels']}, "
            f"stride {_stride(conv1.hyper['stride'])}")),
        TableRow("conv2_x", _size(first.node(first.blocks[stage_names[0]].nodes[-1])), spanning(
            f"{_kernel(pool.hyper['kernel_size'])} max pool, stride {_stride(pool.hyper['stride'])}")),
    ]  # fmt: skip
    for index, stage in enumerate(stage_names):
        label = f"conv{index + 2}_x"
        output = _size(first.node(first.blocks[stage].nodes[-1]))
        rows.append(TableRow("" if index == 0 else label, "" if index == 0 else output,
                             tuple(column[index] for column in rows_by_stage)))  # fmt: skip
    rows.append(TableRow("", _size(final), spanning(f"average pool, {head.hyper['out_features']}-d fc, softmax")))

    chosen_index, chosen_v1 = None, False
    for index, (a, b) in enumerate(zip(v15, v1, strict=True)):
        if chosen in (a.model_name, b.model_name):
            chosen_index, chosen_v1 = index, chosen == b.model_name  # ResNet-18/34: both, the v1 row shows it

    def mark(index: int, is_v1: bool) -> str:
        return " *" if index == chosen_index and is_v1 == chosen_v1 else ""

    rows += [
        TableRow("FLOPs, v1", "", tuple(TableCell((_gflops(g.macs) + mark(i, True),)) for i, g in enumerate(v1))),
        TableRow("FLOPs, v1.5", "", tuple(
            TableCell(("same",) if a.macs == b.macs else (_gflops(a.macs) + mark(i, False),))
            for i, (a, b) in enumerate(zip(v15, v1, strict=True)))),
        TableRow("FLOPs, paper", "", tuple(TableCell((f"{value}×10⁹",)) for value in PAPER_GFLOPS[:count])),
    ]  # fmt: skip
    models = tuple(a.model_name if a.model_name == b.model_name else f"{a.model_name} / _v1"
                   for a, b in zip(v15, v1, strict=True))  # fmt: skip
    notes = [
        "FLOPs are multiply-adds (the paper's and torchvision's count) for one 224×224 image; v1: He et al.'s "
        "stride 2 on the first 1×1 of conv3_1, conv4_1 and conv5_1 (resnetN_v1); v1.5: torchvision's, on the 3×3.",
    ]
    if chosen_index is not None:
        graph = (v1 if chosen_v1 else v15)[chosen_index]
        notes.append(f"* {chosen}: {graph.variant or 'a ResNet'}; {_gflops(graph.macs)} FLOPs.")
    return ResNetTable(
        title="ResNet architectures for ImageNet (He et al. 2015, Table 1), read from the networks",
        columns=tuple(columns),
        models=models,
        rows=tuple(rows),
        gmacs_v1=tuple(g.macs / 1e9 for g in v1),
        gmacs_v15=tuple(g.macs / 1e9 for g in v15),
        chosen=chosen_index,
        chosen_v1=chosen_v1,
        notes=tuple(notes),
    )


def resnet_table(chosen: str | None = None) -> ResNetTable:
    """Table 1 built from the registry's ResNets on the meta device; ``chosen`` must be one of them.

    Raises:
        ModelError: ``chosen`` is not one of the table's networks (one sentence).
    """
    from viewer.engine.graph.build import graph_of_name

    known = {name for pair in RESNET_TABLE_MODELS for name in pair}
    if chosen is not None and chosen not in known:
        names = ", ".join(v15 for v15, _ in RESNET_TABLE_MODELS)
        raise ModelError(f"The lecture table (He et al. 2015, Table 1) is for ResNets ({names} and their _v1 "
                         f"variants); {chosen} is not one of them.")  # fmt: skip
    v15 = [graph_of_name(name) for name, _ in RESNET_TABLE_MODELS]
    v1 = [graph_of_name(name) for _, name in RESNET_TABLE_MODELS]
    return resnet_table_of_graphs(v15, v1, chosen=chosen)


def _cell_lines(cell: TableCell) -> list[str]:
    """The paper's layout: a block's convolutions stacked in a bracket, ×N beside its middle line."""
    if not cell.repeat:
        return list(cell.lines)
    width = max(map(len, cell.lines))
    count = len(cell.lines)
    if count == 1:
        return [f"[{cell.lines[0]}] ×{cell.repeat}"]
    lines = []
    for index, text in enumerate(cell.lines):
        left, right = ("⎡", "⎤") if index == 0 else ("⎣", "⎦") if index == count - 1 else ("⎢", "⎥")
        suffix = f" ×{cell.repeat}" if index == count // 2 else ""
        lines.append(f"{left}{text:<{width}}{right}{suffix}")
    return lines


def format_resnet_table(table: ResNetTable) -> str:
    """The table as monospaced text, laid out like the paper (spanning rows centred across the columns)."""
    rendered = [[_cell_lines(cell) for cell in row.cells] for row in table.rows]
    headers = [f"{name} *" if index == table.chosen else name for index, name in enumerate(table.columns)]
    width = max(
        [len(h) for h in headers] + [len(m) for m in table.models]
        + [len(line) for row, cells in zip(table.rows, rendered, strict=True) if not row.spans
           for cell in cells for line in cell]
    ) + 2  # fmt: skip
    label_width = max([len("layer name")] + [len(row.layer) for row in table.rows]) + 2
    size_width = max([len("output size")] + [len(row.output) for row in table.rows]) + 2
    total = width * len(table.columns)
    rule = "-" * (label_width + size_width + total)
    out = [table.title, rule,
           f"{'layer name':<{label_width}}{'output size':<{size_width}}" + "".join(f"{h:<{width}}" for h in headers),
           f"{'':<{label_width}}{'':<{size_width}}" + "".join(f"{m:<{width}}" for m in table.models), rule]  # fmt: skip
    for number, (row, cells) in enumerate(zip(table.rows, rendered, strict=True)):
        if row.layer.startswith("FLOPs") and not table.rows[number - 1].layer.startswith("FLOPs"):
            out.append(rule)
        if row.spans:
            out.append(f"{row.layer:<{label_width}}{row.output:<{size_width}}{cells[0][0]:^{total}}".rstrip())
            continue
        height = max(map(len, cells))
        for line in range(height):
            label, output = (row.layer, row.output) if line == height // 2 else ("", "")
            text = "".join(f"{(cell[line] if line < len(cell) else ''):<{width}}" for cell in cells)
            out.append(f"{label:<{label_width}}{output:<{size_width}}{text}".rstrip())
    out.append(rule)
    for note in table.notes:
        out.extend(textwrap.wrap(note, width=len(rule), subsequent_indent="  "))
    return "\n".join(out)
