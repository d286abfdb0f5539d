"""The top-k of video frames: one frame (the live view's newest) or a whole video (``viewer classify VIDEO``).

A frame goes straight from its pixels to the network: no ``LoadedImage`` notes, no display copies and no
``Prediction`` with its logits and network input, which the live view would drop at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import torch
from PIL import Image

from viewer.core.activation_grid import GridOptions, render_grid
from viewer.core.errors import ImageError, ModelError, UnsupportedModelError
from viewer.core.results.live import LIVE_HEATMAP_SIDE, FrameResult, LiveFrame
from viewer.core.results.prediction import TopClass
from viewer.engine.activations import activation_of, recording_outputs
from viewer.engine.images import LoadedImage, preprocess
from viewer.engine.inference import forward_logits
from viewer.engine.live.video import sampled_frames
from viewer.engine.models.weights import LoadedModel

__all__ = ["classify_frame", "classify_video"]


def classify_frame(
    frame: LiveFrame,
    loaded: LoadedModel,
    *,
    topk: int = 5,
    preset: str = "weights",
    heatmap: bool = False,
    heatmap_class: int | None = None,
    layer: str | None = None,
) -> FrameResult:
    """The top-k of one frame, with the time its preprocessing and forward pass took; with ``heatmap``, also the
    single-scale dense map of ``heatmap_class`` (None: the frame's top-1) over the whole frame; with ``layer``,
    also that layer's mosaic, recorded in the same forward pass."""
    if topk < 1:
        raise ModelError(f"top-k {topk}: ask for at least one class.")
    started = time.perf_counter()
    picture = Image.fromarray(frame.pixels)
    tensor = preprocess(picture, loaded.input, preset).unsqueeze(0)
    prepared = time.perf_counter()
    layers = [layer] if layer is not None else []
    if layer is not None and layer not in dict(loaded.model.named_modules()):
        raise ModelError(f"{loaded.name} has no layer named {layer!r}.")
    with recording_outputs(loaded.model, layers) as outputs:
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
    result = FrameResult(frame.number, frame.time_s, top, loaded.name, (done - started) * 1e3, timings)
    if layer is not None:
        result = _with_layer(result, layer, outputs.get(layer), tuple(tensor.shape[1:]))
    if not heatmap:
        return result
    class_index = top[0].index if heatmap_class is None else heatmap_class
    try:
        return _with_heatmap(result, frame, picture, loaded, class_index)
    except (UnsupportedModelError, ImageError) as error:  # the top-k still counts; the reason is drawn instead
        result.notes.append(f"No heatmap: {error}")
        return result


def _with_layer(
    result: FrameResult, layer: str, output: torch.Tensor | None, input_shape: tuple[int, ...]
) -> FrameResult:
    """``result`` with ``layer``'s mosaic for this frame (the Activations tab's default drawing)."""
    if output is None:
        result.notes.append(f"No mosaic: {layer} gave no tensor output.")
        return result
    activation = activation_of(layer, output[0], None, input_shape, np.float32)
    return replace(result, layer=layer, layer_grid=render_grid(activation, GridOptions()).image)


def _with_heatmap(
    result: FrameResult, frame: LiveFrame, picture: Image.Image, loaded: LoadedModel, class_index: int
) -> FrameResult:
    """``result`` with the dense map of ``class_index`` at one scale (the Heatmap tab's, without the others)."""
    from viewer.engine.heatmap.dense import dense_heatmap

    started = time.perf_counter()
    steps = dense_heatmap(
        loaded,
        LoadedImage(frame.source or "frame", picture, "RGB", picture.size),
        class_index=class_index,
        scales=(1.0,),
    )
    while True:  # a generator of progress steps: a frame's map is one step, nobody waits on its progress
        try:
            next(steps)
        except StopIteration as stop:
            made = stop.value
            break
    scores = np.nan_to_num(np.asarray(made.scores, dtype=np.float32), nan=0.0)
    low, high = float(scores.min()), float(scores.max())
    scaled = (scores - low) / (high - low) if high > low else np.zeros_like(scores)
    height, width = scaled.shape
    scale = LIVE_HEATMAP_SIDE / max(height, width)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        scaled = np.asarray(Image.fromarray(scaled).resize(size, Image.Resampling.BOX), dtype=np.float32)
    result.timings_ms["heatmap"] = (time.perf_counter() - started) * 1e3
    return replace(
        result, heatmap=np.ascontiguousarray(scaled), heatmap_class=made.class_name, heatmap_range=(low, high)
    )


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
