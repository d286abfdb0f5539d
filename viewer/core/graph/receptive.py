"""Receptive fields: which input pixels one cell of a feature map can see (plain Python, no torch).

A field is described the classic way (Araujo et al., "Computing receptive fields of CNNs", Distill 2019):
``size`` (pixels on a side), ``jump`` (input pixels between neighbouring cells) and ``start`` (the centre of
cell (0, 0) in input pixel coordinates, where pixel ``i`` is centred on ``i``; negative with padding). A layer
with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d`` maps a field to::

    size' = size + (d·(k−1))·jump      jump' = jump·s      start' = start + (d·(k−1)/2 − p)·jump
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Pair", "ReceptiveField", "as_pair", "larger_field"]

Pair = tuple[int, int]


@dataclass(frozen=True)
class ReceptiveField:
    """Size, jump and start (centre of cell (0, 0)) per axis, as (height, width) pairs."""

    size: Pair = (1, 1)
    jump: Pair = (1, 1)
    start: tuple[float, float] = (0.0, 0.0)

    def compose(self, kernel: Pair, stride: Pair, padding: tuple[float, float], dilation: Pair) -> ReceptiveField:
        """The field after one more sliding-window layer."""
        extents = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return ReceptiveField(
            size=as_pair(s + e * j for s, e, j in zip(self.size, extents, self.jump, strict=True)),
            jump=as_pair(j * s for j, s in zip(self.jump, stride, strict=True)),
            start=(
                self.start[0] + (extents[0] / 2 - padding[0]) * self.jump[0],
                self.start[1] + (extents[1] / 2 - padding[1]) * self.jump[1],
            ),
        )

    def center(self, row: int, col: int) -> tuple[float, float]:
        """(y, x) of the centre of cell (row, col) in input pixel coordinates."""
        return self.start[0] + row * self.jump[0], self.start[1] + col * self.jump[1]

    def box(self, row: int, col: int, clip: Pair | None = None) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) edges of the field of cell (row, col); pixel ``i`` spans ``[i, i+1)``.

        Args:
            row: Cell row in the feature map.
            col: Cell column in the feature map.
            clip: (height, width) of the input: clip the box to the image (padding is outside it).
        """
        cy, cx = self.center(row, col)
        y0, x0 = cy - (self.size[0] - 1) / 2, cx - (self.size[1] - 1) / 2
        y1, x1 = y0 + self.size[0], x0 + self.size[1]
        if clip is not None:
            height, width = clip
            x0, x1 = min(max(x0, 0.0), width), min(max(x1, 0.0), width)
            y0, y1 = min(max(y0, 0.0), height), min(max(y1, 0.0), height)
        return x0, y0, x1, y1

    def as_dict(self) -> dict[str, list[float]]:
        return {"size": list(self.size), "jump": list(self.jump), "start": list(self.start)}


def as_pair(values: Iterable[int]) -> Pair:
    values = tuple(values)
    return (values[0], values[0]) if len(values) == 1 else (values[0], values[1])


def larger_field(a: ReceptiveField | None, b: ReceptiveField | None) -> ReceptiveField | None:
    """The union of two fields that share a centre: per axis, the larger size (and jump).

    ``None`` (a global field) is absorbing only when both are ``None``: a merge of a local and a global
    branch is reported by its local part, as the lecture's pictures do.
    """
    if a is None or b is None:
        return a or b
    main = a if a.size[0] * a.size[1] >= b.size[0] * b.size[1] else b
    return ReceptiveField(
        size=(max(a.size[0], b.size[0]), max(a.size[1], b.size[1])),
        jump=(max(a.jump[0], b.jump[0]), max(a.jump[1], b.jump[1])),
        start=main.start,
    )
