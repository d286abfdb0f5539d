"""Occlusion sensitivity (Zeiler & Fergus 2014, §4.2): the drop in a class's score when a patch is greyed.

Hand-written rather than Captum's ``Occlusion``, for two reasons: Captum runs the whole sweep inside one call
(no point between batches where the worker can report progress or cancel), and it builds every patch's mask
in a Python loop. Here the patch masks of a batch are indexed from the masks of the rows and columns of origins,
the occluded images of a batch are one ``torch.where``, each batch is one forward pass, and the map is two
matrix products: no Python loop per patch anywhere on the path. The test compares the result with a brute-force
loop and with Captum's.

Semantics: a ``patch``×``patch`` square in network-input pixels is set to the training mean colour (0 after
normalisation: "grey"); patch origins step by ``stride`` from the top-left corner, and one more origin is added
flush with the far edge where the steps do not reach it, so that every pixel is covered. A pixel's value is the
mean of the drops ``score(image) - score(occluded)`` of the patches that cover it; ``grid`` holds the drop of
each patch (rows × columns of origins).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch

from viewer.core.explain_cost import check_occlusion, occlusion_origins  # the Explain tab checks the same
from viewer.core.progress import Progress

__all__ = ["OcclusionSweep", "check_occlusion", "occlusion_origins", "occlusion_sweep"]


@dataclass
class OcclusionSweep:
    """The per-pixel mean drop over the input (h, w), and each patch's drop over the grid of origins."""

    scores: np.ndarray  # float32 (h, w)
    grid: np.ndarray  # float32 (len(rows), len(cols))
    base_score: float  # the class score of the unoccluded input
    patches: int


def _covered(origins: list[int], side: int, patch: int, device: torch.device) -> torch.Tensor:
    """(len(origins), side) bool: pixel i is inside the patch that starts at each origin."""
    pixels = torch.arange(side, device=device)
    starts = torch.tensor(origins, device=device)[:, None]
    return (pixels[None, :] >= starts) & (pixels[None, :] < starts + patch)


def _score(logits: torch.Tensor, class_index: int, score: str) -> torch.Tensor:
    if score == "prob":
        return torch.softmax(logits.float(), dim=1)[:, class_index]
    return logits[:, class_index].float()


def occlusion_sweep(
    model: torch.nn.Module,
    tensor: torch.Tensor,
    class_index: int,
    *,
    patch: int = 32,
    stride: int = 8,
    score: str = "prob",
    batch_size: int = 32,
    fill: float = 0.0,
    step_seconds: float | None = None,
) -> Generator[Progress, None, OcclusionSweep]:
    """Yield :class:`Progress` before each batch; return the :class:`OcclusionSweep` of ``tensor`` (1, C, h, w).

    ``step_seconds``: batches no larger than what the network runs in about that long (from the time of the
    unoccluded forward pass), so that a yield, where the worker may cancel the sweep or run a more urgent job,
    comes that often (the app's Explain tab; a batch of 32 is over half a second for ResNet-18 on two cores).
    """
    if patch < 1 or stride < 1:
        raise ValueError("patch and stride must be at least one pixel")
    if score not in ("prob", "logit"):
        raise ValueError(f"score must be 'prob' or 'logit', not {score!r}")
    _, _, height, width = tensor.shape
    device = tensor.device
    # Which pixels each row (column) of origins covers: (origins, h) and (origins, w). Patch n is row origin
    # n // columns and column origin n % columns (row-major). Masks per origin, not per patch: per patch they
    # were (patches, h) comparisons, 12 thousand rows for ResNet-18 at patch 8, stride 2, 10 ms before the
    # sweep's first yield (the window's model switch waited for them), and the final products as large.
    row_mask = _covered(occlusion_origins(height, patch, stride), height, patch, device)
    col_mask = _covered(occlusion_origins(width, patch, stride), width, patch, device)
    columns = col_mask.shape[0]
    total = row_mask.shape[0] * columns
    batches = (total + batch_size - 1) // batch_size
    drops = torch.empty(total, dtype=torch.float32, device=device)
    grey = torch.tensor(fill, dtype=tensor.dtype, device=device)

    yield Progress(0, batches + 1, "occlusion: the unoccluded image")
    # Inference mode is entered for each step and never held across a yield: it is the thread's state, and the
    # worker may run another job (a gradient method) at a yield.
    started = time.perf_counter()
    with torch.inference_mode():
        base = _score(model(tensor), class_index, score)[0]
    if step_seconds is not None:
        one = max(time.perf_counter() - started, 1e-6)  # a first pass includes warm-up: an upper estimate
        batch_size = max(1, min(batch_size, int(step_seconds / one)))
        batches = (total + batch_size - 1) // batch_size
    for number, start in enumerate(range(0, total, batch_size)):
        stop = min(total, start + batch_size)
        yield Progress(number + 1, batches + 1, f"occlusion: patches {start + 1}–{stop} of {total}")
        with torch.inference_mode():
            patches = torch.arange(start, stop, device=device)
            mask = row_mask[patches // columns, :, None] & col_mask[patches % columns, None, :]  # (n, h, w)
            occluded = torch.where(mask[:, None], grey, tensor)  # (n, C, h, w), broadcast over the batch
            drops[start:stop] = base - _score(model(occluded), class_index, score)

    # map[y, x] = Σ_r Σ_c row_mask[r, y]·drop[r, c]·col_mask[c, x] / Σ_r Σ_c row_mask[r, y]·col_mask[c, x]
    grid_t = drops.reshape(row_mask.shape[0], columns)
    rows_f, cols_f = row_mask.float(), col_mask.float()
    summed = rows_f.T @ grid_t @ cols_f
    counts = rows_f.sum(dim=0)[:, None] * cols_f.sum(dim=0)[None, :]
    scores = (summed / counts.clamp(min=1)).cpu().numpy().astype(np.float32)
    grid = grid_t.cpu().numpy().astype(np.float32)
    return OcclusionSweep(scores=scores, grid=grid, base_score=float(base), patches=total)
