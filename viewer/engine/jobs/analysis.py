"""The jobs of the analysis tabs: top-k, the layer tree, activations with their mosaic, the dense heatmap.

Each adapts plain arguments (an ``ImageEntry``, options) to one engine call and bundles what the views need;
the engine is imported when a job first runs, so importing this table costs the window nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from viewer.core.colormap.ranges import score_range
from viewer.core.options import SMALL_TILE_PIXELS
from viewer.core.progress import Job
from viewer.core.results.activation import Activation, CaptureResult
from viewer.core.results.heatmap import SCREEN_HEATMAP_SIDE, ClassHeatmap, HeatmapOnScreen
from viewer.core.results.session import ImageEntry
from viewer.engine.jobs.images import loaded_image

if TYPE_CHECKING:
    from viewer.core.activation_grid import ChannelGrid, GridOptions
    from viewer.core.results.prediction import Prediction
    from viewer.core.results.summary import Summary
    from viewer.engine.models.weights import LoadedModel

__all__ = [
    "SMALL_TILE_PIXELS",
    "activation_grid",
    "activations",
    "activations_with_grid",
    "classify",
    "heatmap",
    "heatmap_for_screen",
    "screen_copy",
    "summary",
    "summary_of",
]


def classify(image: ImageEntry, loaded: LoadedModel, *, topk: int, preset: str, tta: bool) -> Prediction:
    from viewer.engine.inference import classify as engine_classify

    # for_display: `seen` made here on the worker, and the float input (a whole image with "standardize") dropped
    return engine_classify([loaded_image(image)], loaded, topk=topk, preset=preset, tta=tta, for_display=True)[0]


def summary(loaded: LoadedModel) -> Summary:
    """The layer tree of the loaded model at its input size (shapes only: the meta device), kept with the model
    for its captures."""
    from viewer.engine.summary import summarize

    made = summarize(loaded)
    _summaries[loaded.model] = made
    return made


def summary_of(loaded: LoadedModel) -> Summary:
    """The summary kept with ``loaded`` (made by the summary job), made and kept now if there is none."""
    known = _summaries.get(loaded.model)
    return known if known is not None else summary(loaded)


# The summary of each cached model, for its captures: the window never sends it back (a ResNet's layer tree is
# thousands of objects, ~90 ms to encode on the GUI thread for every capture). Weak: it goes with its model.
_summaries: weakref.WeakKeyDictionary[Any, Summary] = weakref.WeakKeyDictionary()


def activations(image: ImageEntry, loaded: LoadedModel, layers: Sequence[str], *, preset: str) -> dict[str, Activation]:
    """Captured activations of ``layers`` for ``image`` (the engine refuses over-budget captures)."""
    from viewer.engine.activations import capture
    from viewer.engine.images import preprocess

    tensor = preprocess(loaded_image(image), loaded.input, preset).unsqueeze(0)
    # The summary is at the weights' crop size; other presets feed the whole image (other shapes).
    known = _summaries.get(loaded.model) if preset == "weights" else None
    return capture(loaded, tensor, list(layers), summary=known)


def activations_with_grid(
    image: ImageEntry,
    loaded: LoadedModel,
    layers: Sequence[str],
    *,
    preset: str,
    grid_options: GridOptions | None = None,
) -> CaptureResult:
    """``activations`` plus the first layer's channel mosaic, so that the GUI thread only has to show it."""
    captured = activations(image, loaded, layers, preset=preset)
    first = captured.get(layers[0]) if layers else None
    grid = None if first is None or grid_options is None else activation_grid(first, grid_options)
    return CaptureResult(captured, grid)


def activation_grid(activation: Activation, options: GridOptions) -> ChannelGrid:
    """The channel mosaic of ``activation`` drawn with ``options`` (a ``GridOptions``)."""
    from viewer.core.activation_grid import render_grid

    return render_grid(activation, options)


def heatmap(image: ImageEntry, loaded: LoadedModel, **options: Any) -> Job[ClassHeatmap]:
    """The dense class heatmap: progress, then the ``ClassHeatmap`` returned (a generator).

    Out of GPU memory the runner runs it again with ``max_tile_pixels=SMALL_TILE_PIXELS`` (same result, the
    engine overlaps the tiles), then on the CPU: that policy is the runner's (``viewer.gui.jobs.runner``), submitted
    with it.
    """
    from viewer.engine.heatmap.dense import dense_heatmap

    return (yield from dense_heatmap(loaded, loaded_image(image), **options))


def screen_copy(heatmap: ClassHeatmap, max_side: int = SCREEN_HEATMAP_SIDE) -> HeatmapOnScreen:
    """The scores made small for the screen (NaN shown as the lowest score), with their range."""
    from PIL import Image

    full = np.asarray(heatmap.scores, dtype=np.float32)
    finite = np.isfinite(full)
    low, high = score_range(full)  # a flat map still draws (one colour)
    filled = np.where(finite, full, low)
    height, width = filled.shape
    scale = max_side / max(height, width)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        filled = np.asarray(Image.fromarray(filled).resize(size, Image.Resampling.BOX), dtype=np.float32)
    return HeatmapOnScreen(heatmap, np.ascontiguousarray(filled), (low, high))


def heatmap_for_screen(image: ImageEntry, loaded: LoadedModel, **options: Any) -> Job[HeatmapOnScreen]:
    """``heatmap``'s progress, then a ``HeatmapOnScreen`` (the ClassHeatmap and its screen copy) returned."""
    return screen_copy((yield from heatmap(image, loaded, **options)))
