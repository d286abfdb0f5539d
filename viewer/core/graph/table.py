"""The architecture table of a graph: one row per call in execution order, blocks as headers (plain Python).

Shared by ``viewer summary`` (text, CSV, JSON) and the GUI's table, so both list the same rows: a module called
three times is three rows with three shapes, and additions and concatenations have rows of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from viewer.core.graph.dataflow import Block, Graph, GraphNode
from viewer.core.graph.receptive import ReceptiveField

__all__ = ["TableRow", "format_graph_table", "graph_rows", "human_count"]


@dataclass(frozen=True)
class TableRow:
    """One row: a block being entered, or one call."""

    name: str  # block name or node id
    label: str  # what the first column shows: "layer1.0.relu (ReLU, call 2 of 3)"
    kind: str  # "model", "block" or "call"
    type: str
    depth: int  # 0 for the model, 1 for its direct children…
    module: str | None  # the module of a call, the block's own path, None for functions
    call: int
    calls: int  # how many times this module runs
    shape: tuple[int, ...] | None
    params: int
    macs: int
    receptive_field: ReceptiveField | None
    training_only: bool

    @property
    def memory_bytes(self) -> int:
        """float32 bytes of the output of one image."""
        size = 4
        for n in self.shape or ():
            size *= n
        return size if self.shape else 0


def _block_row(graph: Graph, depth: int, block: Block) -> TableRow:
    output = graph.node(block.nodes[-1])
    return TableRow(block.name, f"{block.name} ({block.type})", "block", block.type, depth, block.name, 1, 1,
                    output.shape, block.params, block.macs, output.receptive_field, block.training_only)  # fmt: skip


def _call_row(graph: Graph, depth: int, node: GraphNode, calls: dict[str, int]) -> TableRow:
    total = calls.get(node.module, 1) if node.module else 1
    suffix = f", call {node.call} of {total}" if total > 1 else ""
    label = f"{node.module or node.id} ({node.type}{suffix})"
    if node.op == "input":
        label = "input"
    return TableRow(node.id, label, "call", node.type, depth, node.module, node.call, total, node.shape,
                    node.params, node.macs, node.receptive_field, node.training_only)  # fmt: skip


def graph_rows(graph: Graph) -> list[TableRow]:
    """The model's row, then every block entered and every call, in execution order."""
    calls: dict[str, int] = {}
    for node in graph.nodes:
        if node.module:
            calls[node.module] = calls.get(node.module, 0) + 1
    rows = [TableRow(graph.model_name, graph.model_name, "model", "model", 0, None, 1, 1,
                     next((n.shape for n in reversed(graph.nodes) if not n.training_only), None),
                     graph.total_params, graph.macs, None, False)]  # fmt: skip
    for depth, item in graph.iter_rows():
        if isinstance(item, Block):
            rows.append(_block_row(graph, depth + 1, item))
        else:
            rows.append(_call_row(graph, depth + 1, item, calls))
    return rows


def human_count(count: int) -> str:
    """``4.09G``, ``25.56M``, ``9.41k``, ``120``."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= scale:
            return f"{count / scale:.2f}{suffix}"
    return str(count)


def _shape_text(shape: tuple[int, ...] | None) -> str:
    return "—" if shape is None else "x".join(map(str, shape)) or "scalar"


def format_graph_table(
    graph: Graph,
    depth: int | None = None,
    block_notes: Mapping[str, Sequence[str]] | None = None,
    notes_key: str = "",
) -> str:
    """A text table (layer, output shape, params, MACs, receptive field), indented by depth, and a footer.

    Args:
        graph: The graph to print.
        depth: Deepest level shown (0: the model only; 1: its direct children …); all when None.
        block_notes: Lines printed under a block's row, indented one level deeper; they span the columns and
            never widen them (the lecture's formulas are longer than any cell).
        notes_key: A footer line that explains the notes, printed when at least one note is.
    """
    header = ("Layer (type)", "Output shape", "Params", "MACs", "RF")
    lines: list[tuple[str, ...] | str] = []  # a str is a note: printed as it is
    for row in graph_rows(graph):
        if depth is not None and row.depth > depth:
            continue
        rf = row.receptive_field
        lines.append((
            f"{'  ' * row.depth}{row.label}" + (" [training only]" if row.training_only else ""),
            _shape_text(row.shape),
            f"{row.params:,}" if row.params or row.kind != "call" else "",
            human_count(row.macs) if row.macs else "",
            f"{rf.size[0]}x{rf.size[1]}/{rf.jump[0]}" if rf else "",
        ))  # fmt: skip
        if row.kind == "block" and block_notes:
            lines += [f"{'  ' * (row.depth + 1)}{note}" for note in block_notes.get(row.name, ())]
    cells = [line for line in lines if isinstance(line, tuple)]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    align = ("<", "<", ">", ">", ">")

    def line(row: tuple[str, ...] | str) -> str:
        if isinstance(row, str):
            return row
        return "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True)).rstrip()

    rule = "-" * len(line(header))
    footer = [
        f"Input: {_shape_text(graph.input_shape)}",
        f"Total params: {graph.total_params:,}",
        f"MACs: {graph.macs:,}  ({graph.gmacs:.3f} GMACs)",
    ]
    if graph.training_params:
        footer.append(f"Training-only heads: {graph.training_params:,} params, {human_count(graph.training_macs)} "
                      "MACs (not in the totals)")  # fmt: skip
    if graph.variant:
        footer.append(f"Variant: {graph.variant}")
    footer += [f"Note: {note}" for note in graph.notes]
    footer.append("RF: receptive field size / jump in input pixels")
    if notes_key and len(cells) < len(lines):
        footer.append(notes_key)
    return "\n".join([line(header), rule, *map(line, lines), rule, *footer])
