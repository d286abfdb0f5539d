"""The top-k of video frames: one frame (the live view's newest) or a whole video (``viewer classify VIDEO``).

A frame goes straight from its pixels to the network: no ``LoadedImage`` notes, no display copies and no
``Prediction`` with its logits and network input, which the live view would drop at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import torch
from PIL import Image

from viewer.core.errors import ModelError
from viewer.core.results.live import FrameResult, LiveFrame
from viewer.core.results.prediction import TopClass
from viewer.engine.images import preprocess
from viewer.engine.inference import forward_logits
from viewer.engine.live.video import sampled_frames
from viewer.engine.models.weights import LoadedModel

__all__ = ["classify_frame", "classify_video"]


def classify_frame(frame: LiveFrame, loaded: LoadedModel, *, topk: int = 5, preset: str = "weights") -> FrameResult:
    """The top-k of one frame, with the time its preprocessing and forward pass took."""
    if topk < 1:
        raise ModelError(f"top-k {topk}: ask for at least one class.")
    started = time.perf_counter()
    tensor = preprocess(Image.fromarray(frame.pixels), loaded.input, preset).unsqueeze(0)
    prepared = time.perf_counter()
    logits = forward_logits(loaded, tensor)[0]
    done = time.perf_counter()
    probs = torch.softmax(logits, dim=0)
    k = max(1, min(topk, len(probs)))
    top_probs, top_indices = probs.topk(k)
    categories = loaded.categories
    top = [
        TopClass(int(i), categories[int(i)] if int(i) < len(categories) else str(int(i)), float(logits[i]), float(p))
        for p, i in zip(top_probs, top_indices, strict=True)
    ]
    timings = {"preprocess": (prepared - started) * 1e3, "forward": (done - prepared) * 1e3}
    return FrameResult(frame.number, frame.time_s, top, loaded.name, (done - started) * 1e3, timings)


def classify_video(
    path: str | os.PathLike[str],
    loaded: LoadedModel,
    *,
    every: int | None = None,
    fps: float | None = None,
    topk: int = 5,
    preset: str = "weights",
) -> Iterator[FrameResult]:
    """The top-k of each sampled frame of ``path`` (see :func:`~viewer.engine.live.video.sampled_frames`), one
    at a time as the video is decoded (a long video is never held whole)."""
    for frame in sampled_frames(path, every=every, fps=fps):
        yield classify_frame(frame, loaded, topk=topk, preset=preset)
