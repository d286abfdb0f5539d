"""Occlusion sensitivity (Zeiler & Fergus 2014, §4.2): the drop in a class's score when a patch is greyed.

Hand-written rather than Captum's ``Occlusion``, for two reasons: Captum runs the whole sweep inside one call
(no point between batches where the worker can report progress or cancel), and it builds every patch's mask
in a Python loop. Here the patch masks of a batch come from two broadcast comparisons, the occluded images of a
batch are one ``torch.where``, each batch is one forward pass, and the map is two matrix products: no Python
loop per patch anywhere on the path. The test compares the result with a brute-force loop and with Captum's.

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
    row_origins = torch.tensor(occlusion_origins(height, patch, stride), device=device)
    col_origins = torch.tensor(occlusion_origins(width, patch, stride), device=device)
    # Patch n covers rows [oy, oy + patch) and columns [ox, ox + patch): the origins of all patches, row-major.
    oy = row_origins.repeat_interleave(len(col_origins))
    ox = col_origins.repeat(len(row_origins))
    rows = torch.arange(height, device=device)
    cols = torch.arange(width, device=device)
    row_in = (rows[None, :] >= oy[:, None]) & (rows[None, :] < oy[:, None] + patch)  # (N, h)
    col_in = (cols[None, :] >= ox[:, None]) & (cols[None, :] < ox[:, None] + patch)  # (N, w)
    total = int(oy.numel())
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
            mask = row_in[start:stop, :, None] & col_in[start:stop, None, :]  # (n, h, w)
            occluded = torch.where(mask[:, None], grey, tensor)  # (n, C, h, w), broadcast over the batch
            drops[start:stop] = base - _score(model(occluded), class_index, score)

    # map[y, x] = Σ_n row_in[n, y]·drop[n]·col_in[n, x] / Σ_n row_in[n, y]·col_in[n, x]
    row_f, col_f = row_in.float(), col_in.float()
    summed = (row_f * drops[:, None]).T @ col_f
    counts = row_f.T @ col_f
    scores = (summed / counts.clamp(min=1)).cpu().numpy().astype(np.float32)
    grid = drops.reshape(len(row_origins), len(col_origins)).cpu().numpy().astype(np.float32)
    return OcclusionSweep(scores=scores, grid=grid, base_score=float(base), patches=total)
