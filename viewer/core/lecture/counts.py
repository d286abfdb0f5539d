"""The lecture's parameter arithmetic beside the real modules' counts: ResNet's basic block and bottleneck.

The lecture counts a convolution's parameters as ``(k×k×C_in + 1) × C_out`` (weights and one bias per filter)
and shows that a basic block at 256 channels costs 1.2M parameters, which the bottleneck brings down to 70k.
torchvision's blocks have no convolution bias and a BatchNorm (a scale and a shift per channel) after every
convolution, and the first block of a stage adds a projection on its shortcut, so the real count differs: here
both, and why, from the block's channel counts as the data-flow graph records them. Pure arithmetic, no Qt.
Shown in the Architecture diagram's block tooltips (:attr:`LectureFormula.lines`) and under the block's row of
``viewer summary`` (:attr:`LectureFormula.table_lines`; ``lecture`` in its JSON, :meth:`LectureFormula.as_dict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from viewer.core.graph.dataflow import Graph, GraphNode

__all__ = [
    "ConvSpec",
    "LectureFormula",
    "approx_count",
    "basic_block_formula",
    "block_formula",
    "block_formulas",
    "lecture_conv_formula",
]

# The blocks the lecture computes; ResNeXt's grouped bottleneck is left out (the lecture counts no groups).
_LECTURE_BLOCKS = ("BasicBlock", "Bottleneck")


@dataclass(frozen=True)
class ConvSpec:
    """One square convolution as the lecture writes it: kernel ``k``×``k``, ``in_channels`` → ``out_channels``."""

    kernel: int
    in_channels: int
    out_channels: int

    @property
    def weights(self) -> int:
        return self.kernel * self.kernel * self.in_channels * self.out_channels

    @property
    def text(self) -> str:
        """``(3×3×64 + 1) × 64``: the lecture's count, a bias per filter."""
        return f"({self.kernel}×{self.kernel}×{self.in_channels} + 1) × {self.out_channels}"

    @property
    def lecture_count(self) -> int:
        return (self.kernel * self.kernel * self.in_channels + 1) * self.out_channels


def lecture_conv_formula(convs: Sequence[ConvSpec]) -> tuple[str, int]:
    """The lecture's formula for convolutions in a row and its value; two equal ones read ``2 × (…) × C``."""
    if len(convs) == 2 and convs[0] == convs[1]:
        return f"2 × {convs[0].text}", 2 * convs[0].lecture_count
    return " + ".join(conv.text for conv in convs), sum(conv.lecture_count for conv in convs)


def basic_block_formula(channels: int) -> tuple[str, int]:
    """A basic block at ``channels`` channels: two 3×3 convolutions, ``2 × (3×3×C + 1) × C``."""
    return lecture_conv_formula([ConvSpec(3, channels, channels)] * 2)


@dataclass(frozen=True)
class LectureFormula:
    """The lecture's count of a residual block next to the real module's, and what makes them differ."""

    block: str
    formula: str  # "2 × (3×3×64 + 1) × 64"
    value: int  # what the formula gives: 73,856
    real: int  # the real module's parameters (the graph's count): 73,984
    why: str  # "no convolution bias (−128), BatchNorm's scale and shift (+256)"
    basic_width: int | None = None  # a bottleneck: its output width, where the lecture compares a basic block

    @property
    def basic_alternative(self) -> tuple[str, int] | None:
        """A bottleneck: the basic block at its output width, ``("2 × (3×3×256 + 1) × 256", 1_180_160)``."""
        return None if self.basic_width is None else basic_block_formula(self.basic_width)

    @property
    def basic_sentence(self) -> str | None:
        """A bottleneck: the lecture's motivation, a basic block at the same width beside this block's count."""
        if self.basic_alternative is None:
            return None
        text, value = self.basic_alternative
        return (
            f"A basic block at {self.basic_width} channels would have {text} ≈ {approx_count(value)}, "
            f"this bottleneck {approx_count(self.value)}"
        )

    @property
    def lines(self) -> list[str]:
        """Plain-text lines for a tooltip: the formula, the real count and why, the basic block it replaces."""
        out = [f"Lecture: {self.formula} = {self.value:,}", f"This module: {self.real:,} ({self.why})"]
        return out if self.basic_sentence is None else [*out, self.basic_sentence]

    @property
    def table_lines(self) -> list[str]:
        """Lines under the block's row of a text table, whose Params column has the real count already.

        Labelled and short (the widest, a wide ResNet's first bottleneck of a stage, is under 120 characters with
        the table's indent); a bottleneck's comparison with a basic block continues the lecture's line.
        """
        out = [f"lecture: {self.formula} = {self.value:,}"]
        if self.basic_sentence is not None:
            out.append(f"         {self.basic_sentence[0].lower()}{self.basic_sentence[1:]}")
        return [*out, f"differs: {self.why}"]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``formula``, ``value``, ``real``, ``reason`` and, for a bottleneck, ``basic_block``."""
        basic = self.basic_alternative
        return {
            "formula": self.formula,
            "value": self.value,
            "real": self.real,
            "reason": self.why,
            "basic_block": None
            if basic is None
            else {"channels": self.basic_width, "formula": basic[0], "value": basic[1], "text": self.basic_sentence},
        }


def approx_count(value: int) -> str:
    """The lecture's rounding: ``1.2M``, ``70k``."""
    return f"{value / 1e6:.1f}M" if value >= 1e6 else f"{value / 1e3:.0f}k"


def _signed(value: int) -> str:
    """``+256``, ``−128`` (a real minus sign, as the lecture prints it)."""
    return f"{value:+,}".replace("-", "\u2212")


def _square_kernel(node: GraphNode) -> int | None:
    kernel = node.hyper.get("kernel_size")
    size = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    return int(size[0]) if len(set(size)) == 1 and isinstance(size[0], int) else None


def block_formula(graph: Graph, name: str) -> LectureFormula | None:
    """The lecture's formula for block ``name`` of ``graph`` if it is a ResNet basic block or bottleneck, else None.

    The residual path's convolutions are the block's own (a shortcut's projection sits in a sub-block, like
    torchvision's ``downsample``); BatchNorms, biases and the projection make up the difference.
    """
    block = graph.blocks.get(name)
    if block is None or block.type not in _LECTURE_BLOCKS:
        return None
    nodes = [graph.node(node_id) for node_id in block.nodes]
    path = [node for node in nodes if node.block == name]
    convs: list[ConvSpec] = []
    biases = batchnorm = 0
    for node in path:
        if node.type == "Conv2d":
            kernel = _square_kernel(node)
            if kernel is None or node.hyper.get("groups", 1) != 1:
                return None  # not a convolution the lecture counts (ResNeXt's groups, a k×1 kernel)
            convs.append(ConvSpec(kernel, int(node.hyper["in_channels"]), int(node.hyper["out_channels"])))  # type: ignore[arg-type]
            biases += node.params - convs[-1].weights
        elif node.type.startswith("BatchNorm"):
            batchnorm += node.params
    if not convs:
        return None
    shortcut = sum(node.params for node in nodes if node.block != name)
    formula, value = lecture_conv_formula(convs)
    lecture_biases = sum(conv.out_channels for conv in convs)
    why = []
    if biases != lecture_biases:
        why.append("no convolution bias" if biases == 0 else "other biases")
        why[-1] += f" ({_signed(biases - lecture_biases)})"
    if batchnorm:
        why.append(f"BatchNorm's scale and shift ({_signed(batchnorm)})")
    if shortcut:
        why.append(f"projection shortcut ({_signed(shortcut)})")  # He et al.'s name for the 1×1 on the shortcut
    basic = convs[-1].out_channels if block.type == "Bottleneck" else None
    real = sum(node.params for node in nodes)
    return LectureFormula(name, formula, value, real, ", ".join(why) or "the same", basic)


def block_formulas(graph: Graph) -> dict[str, LectureFormula]:
    """The lecture's formula of every basic block and bottleneck of ``graph``, by block name."""
    found = {name: block_formula(graph, name) for name in graph.blocks}
    return {name: formula for name, formula in found.items() if formula is not None}
