"""Live input: a video frame on its way to the engine, and what the engine says of it.

``LiveFrame`` is lighter than an :class:`~viewer.core.results.session.ImageEntry`: only the pixels (no display
copy, thumbnail or preview, which a frame shown once and then dropped never needs) and when it was shown.
``FrameResult`` is the top-k of one frame (no logits, no network input: a live view draws bars and moves on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from viewer.core.results.prediction import TopClass

__all__ = ["LIVE_HEATMAP_SIDE", "FrameResult", "LiveFrame"]

LIVE_HEATMAP_SIDE = 96  # drawn stretched over the frame: a few cells per network stride is all it holds


@dataclass(frozen=True, eq=False)
class LiveFrame:
    """One frame of a camera or a video: ``pixels`` uint8 HxWx3 RGB, ``time_s`` its time in the stream."""

    number: int  # counted by the source from 0: which frame a result is of
    time_s: float
    pixels: np.ndarray
    source: str = ""  # the video's file name or the camera's description, for sentences and saved frames


@dataclass(frozen=True)
class FrameResult:
    """The top-k of one frame (``number`` and ``time_s`` are the frame's) and how long the engine took."""

    number: int
    time_s: float
    topk: list[TopClass]
    model: str
    forward_ms: float = 0.0  # preprocessing and the forward pass, in the engine
    timings_ms: dict[str, float] = field(default_factory=dict)
    # With a heatmap asked for: the single-scale dense map of ``heatmap_class`` over the whole frame, small (its
    # longer side at most ``LIVE_HEATMAP_SIDE``) and scaled to [0, 1] between ``heatmap_range``'s ends.
    heatmap: np.ndarray | None = None
    heatmap_class: str = ""
    heatmap_range: tuple[float, float] = (0.0, 1.0)
    notes: list[str] = field(default_factory=list)  # why a heatmap asked for is missing, say
    # With a layer asked for: its activation's mosaic for this frame (every channel, as the Activations tab draws
    # it with its default options), uint8 H x W x 3.
    layer: str = ""
    layer_grid: np.ndarray | None = None

    @property
    def top1(self) -> TopClass:
        return self.topk[0]

    def as_dict(self) -> dict[str, object]:
        """The JSON form of ``viewer classify VIDEO --json``: one object per analysed frame."""
        return {
            "frame": self.number,
            "time_s": round(self.time_s, 4),
            "model": self.model,
            "topk": [{"index": t.index, "name": t.name, "logit": t.logit, "prob": t.prob} for t in self.topk],
        }
