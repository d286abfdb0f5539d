"""ResNet's Table 1 (He et al., 2015) as plain rows and cells, read off the networks by the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ResNetTable", "TableCell", "TableRow"]


@dataclass(frozen=True)
class TableCell:
    """One cell: plain text (``lines`` of one entry), or a residual block's convolutions stacked ``repeat`` times."""

    lines: tuple[str, ...]
    repeat: int = 0  # 0: plain text; N: a block of ``lines`` (one convolution each), ×N

    @property
    def text(self) -> str:
        """One line: ``[1×1, 64; 3×3, 64; 1×1, 256] ×3``, or the plain text."""
        return f"[{'; '.join(self.lines)}] ×{self.repeat}" if self.repeat else "; ".join(self.lines)


@dataclass(frozen=True)
class TableRow:
    """A row of the table: the layer's name (``conv3_x``), its output size (``28×28``), one cell per column."""

    layer: str
    output: str
    cells: tuple[TableCell, ...]

    @property
    def spans(self) -> bool:
        """The same in every column: the paper prints it once across the columns."""
        return len(set(self.cells)) == 1


@dataclass(frozen=True)
class ResNetTable:
    """ResNet's Table 1, as plain rows; ``chosen`` is the column of the network asked about (or None)."""

    title: str
    columns: tuple[str, ...]  # "18-layer", ...
    models: tuple[str, ...]  # the network under each column: "resnet50 / resnet50_v1"
    rows: tuple[TableRow, ...]
    gmacs_v1: tuple[float, ...]
    gmacs_v15: tuple[float, ...]
    chosen: int | None = None
    chosen_v1: bool = False  # the chosen network has He et al.'s stride placement (always, for ResNet-18/34)
    notes: tuple[str, ...] = field(default_factory=tuple)
