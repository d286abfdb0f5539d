"""Steps 2 and 3 of the layered layout (``layered``): the x of every slot, then the y of every rank.

x: sweeps down and up, each rank solved exactly (ordered least squares, boxes kept apart); sibling frames are
then pushed apart. y: one band per rank, the gaps grown by the frame borders and labels that open or close there.
A left-to-right drawing is placed here as a top-down one and turned afterwards (``Part.label_across``): its frame
labels then take room in x, before the frame, and none in y.
"""

from __future__ import annotations

from itertools import pairwise

from viewer.engine.layout.order import frame_spans
from viewer.engine.layout.parts import (
    DUMMY_SPACE,
    FRAME_LABEL,
    FRAME_PAD,
    SWEEPS,
    X_SPACE,
    Y_SPACE,
    Part,
    Slot,
)

__all__ = ["assign_x", "assign_y", "separate_frames"]


def _gap(a: Slot, b: Slot, label_across: bool) -> float:
    """Least distance between the centres of neighbours ``a`` (left) and ``b`` in a rank."""
    space = DUMMY_SPACE if a.id is None and b.id is None else X_SPACE
    labels = FRAME_LABEL * len(b.frames - a.frames) if label_across else 0.0  # the frames opening at b
    return (a.w + b.w) / 2 + space + FRAME_PAD * len(a.frames ^ b.frames) + labels


def assign_x(part: Part) -> None:
    layers = part.layers
    gaps = [[_gap(a, b, part.label_across) for a, b in pairwise(layer)] for layer in layers]
    for layer, layer_gaps in zip(layers, gaps, strict=True):
        x = 0.0
        for index, slot in enumerate(layer):
            slot.x = x - sum(layer_gaps) / 2
            if index < len(layer_gaps):
                x += layer_gaps[index]
    order = list(range(len(layers)))
    for sweep in range(SWEEPS):
        downwards = sweep % 2 == 0
        moved = 0.0
        for r in order[1:] if downwards else reversed(order[:-1]):
            moved = max(moved, _place_rank(layers[r], gaps[r], downwards))
        # Corridors may keep swinging between their two ends; the boxes settle in a few sweeps.
        if downwards and sweep and moved < 0.5:
            break


def _place_rank(layer: list[Slot], gaps: list[float], downwards: bool) -> float:
    """Solve one rank: least squares to its neighbours' mean, in order and apart. Returns how far a box moved."""
    targets = []
    for slot in layer:
        total = weighted = 0.0
        for other, weight in slot.up if downwards else slot.down:
            total += weight
            weighted += weight * other.x
        targets.append(weighted / total if total else slot.x)
    places = targets if len(layer) == 1 else _ordered_least_squares(targets, [slot.stiffness for slot in layer], gaps)
    moved = 0.0
    for slot, x in zip(layer, places, strict=True):
        if slot.id is not None:
            moved = max(moved, abs(slot.x - x))
        slot.x = x
    return moved


def _ordered_least_squares(targets: list[float], weights: list[float], gaps: list[float]) -> list[float]:
    """argmin Σ wᵢ(xᵢ − tᵢ)² subject to xᵢ₊₁ − xᵢ ≥ gapᵢ: isotonic regression (pooled adjacent violators)."""
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    pools: list[list[float]] = []  # [total weight, weighted sum, count]
    for target, weight, offset in zip(targets, weights, offsets, strict=True):
        pools.append([weight, weight * (target - offset), 1])
        while len(pools) > 1 and pools[-2][1] / pools[-2][0] > pools[-1][1] / pools[-1][0]:
            weight_sum, value_sum, count = pools.pop()
            pools[-1][0] += weight_sum
            pools[-1][1] += value_sum
            pools[-1][2] += count
    result = []
    for weight_sum, value_sum, count in pools:
        result.extend([value_sum / weight_sum] * int(count))
    return [value + offset for value, offset in zip(result, offsets, strict=True)]


def separate_frames(part: Part) -> None:
    """Push apart, to the right, frames that overlap a sibling frame or a box outside them.

    The ranks are solved one by one, so a frame wide in one rank (a convolution's box) may reach over its
    neighbour in another rank (a narrow pooling box beside it). Wherever two neighbours in a rank belong to
    different frames, the right-hand frame (or box) moves right until it clears the left-hand one by ``X_SPACE``,
    with everything right of it in every rank it spans and, whole, every frame that this moves a part of (but not
    the frames around both). Everything only moves right, so this ends. An edge's corridor may cross a frame: a
    line over a frame's background hides nothing.
    """
    frames: dict[str, list[Slot]] = {}
    for layer in part.layers:
        for slot in layer:
            for name in slot.frames:
                frames.setdefault(name, []).append(slot)
    if not frames:
        return
    index = {id(slot): i for layer in part.layers for i, slot in enumerate(layer)}
    children: dict[str, list[str]] = {name: [] for name in frames}
    for name in frames:
        parent = name
        while "." in parent:
            parent = parent.rsplit(".", 1)[0]
            if parent in frames:
                children[parent].append(name)
                break
    extents = _Extents(frames, children, FRAME_LABEL if part.label_across else 0.0)
    pushes = 0
    changed = True
    while changed and pushes < 4 * len(frames) + 8:
        changed = False
        for layer in part.layers:
            for a, b in pairwise(layer):
                distance = _overlap(a, b, extents)
                if distance <= 0.5:
                    continue
                moving = _dragged(a, b, part.layers, frames, index)
                if moving is None:
                    continue  # interleaved with what it should clear: pushing cannot separate them
                for slot in moving:
                    slot.x += distance
                extents.clear()
                pushes += 1
                changed = True


class _Extents(dict[str, tuple[float, float]]):
    """Frame → (left, right) edge, computed when first asked: its slots and inner frames, padded (and its label
    before it, ``label`` wide, in a left-to-right drawing)."""

    def __init__(self, frames: dict[str, list[Slot]], children: dict[str, list[str]], label: float) -> None:
        super().__init__()
        self.frames, self.children, self.label = frames, children, label

    def __missing__(self, name: str) -> tuple[float, float]:
        slots = self.frames[name]
        left = min(slot.x - slot.w / 2 for slot in slots)
        right = max(slot.x + slot.w / 2 for slot in slots)
        for child in self.children[name]:
            child_left, child_right = self[child]
            left, right = min(left, child_left), max(right, child_right)
        extent = (left - FRAME_PAD - self.label, right + FRAME_PAD)
        self[name] = extent
        return extent


def _overlap(a: Slot, b: Slot, extents: _Extents) -> float:
    """How far the frame (or box) starting at ``b`` must move right to clear the one ending at ``a`` (≤ 0: clear)."""
    if a.frames == b.frames:
        return 0.0
    ending, opening = a.frames - b.frames, b.frames - a.frames
    if ending:
        right = max(extents[name][1] for name in ending)
    elif a.id is not None:
        right = a.x + a.w / 2
    else:
        return 0.0
    if opening:
        left = min(extents[name][0] for name in opening)
    elif b.id is not None:
        left = b.x - b.w / 2
    else:
        return 0.0
    return right + X_SPACE - left


def _dragged(
    a: Slot, b: Slot, layers: list[list[Slot]], frames: dict[str, list[Slot]], index: dict[int, int]
) -> list[Slot] | None:
    """What moves to push ``b``'s frame (or ``b``) right of ``a``'s: None when ``a``'s side would move too."""
    opening = b.frames - a.frames
    pending = [frames[min(opening, key=len)]] if opening else [[b]]
    moving: dict[int, Slot] = {}
    fixed = {id(slot) for name in a.frames - b.frames for slot in frames[name]} | {id(a)}
    while pending:
        group = pending.pop()
        starts: dict[int, int] = {}
        for member in group:
            starts[member.rank] = min(starts.get(member.rank, len(layers[member.rank])), index[id(member)])
        for rank, start in starts.items():
            for slot in layers[rank][start:]:
                if id(slot) in moving:
                    continue
                if id(slot) in fixed:
                    return None
                moving[id(slot)] = slot
                dragged = slot.frames - a.frames
                if dragged:
                    pending.append(frames[min(dragged, key=len)])
    return list(moving.values())


# --- 3. y ---------------------------------------------------------------------------------------------------------


def assign_y(part: Part, sizes: dict[str, tuple[float, float]], members: dict[str, frozenset[str]]) -> None:
    """A band per rank, as tall as its tallest box, after a gap that makes room for the frames opening and closing
    (their labels too, unless they are written across the ranks)."""
    ranks = len(part.layers)
    opening, closing = [0] * ranks, [0] * ranks
    rank = {node_id: slot.rank for node_id, slot in part.slots.items()}
    for low, high in frame_spans({i: members[i] for i in rank}, rank).values():
        opening[low] += 1
        closing[high] += 1
    label = 0.0 if part.label_across else FRAME_LABEL
    y = 0.0
    for r, layer in enumerate(part.layers):
        if r:
            y += Y_SPACE + closing[r - 1] * FRAME_PAD
        y += opening[r] * (FRAME_PAD + label)
        height = max((sizes[slot.id][1] for slot in layer if slot.id is not None), default=0.0)
        part.band_top.append(y)
        part.band_height.append(height)
        y += height
