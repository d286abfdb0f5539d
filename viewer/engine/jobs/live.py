"""The live view's job: the top-k of one camera or video frame (the window sends only the newest one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from viewer.core.results.live import FrameResult, LiveFrame

if TYPE_CHECKING:
    from viewer.engine.models.weights import LoadedModel

__all__ = ["live_frame"]


def live_frame(
    frame: LiveFrame,
    loaded: LoadedModel,
    *,
    topk: int = 5,
    preset: str = "weights",
    heatmap: bool = False,
    heatmap_class: int | None = None,
    layer: str | None = None,
) -> FrameResult:
    """The top-k of ``frame``, and its heatmap and a layer's mosaic if asked (see
    :func:`viewer.engine.live.frames.classify_frame`)."""
    from viewer.engine.live.frames import classify_frame

    return classify_frame(
        frame, loaded, topk=topk, preset=preset, heatmap=heatmap, heatmap_class=heatmap_class, layer=layer
    )
