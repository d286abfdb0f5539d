"""A video file's frames, decoded with PyAV (FFmpeg), as :class:`~viewer.core.results.live.LiveFrame`\\ s.

PyAV is imported when a video is first read, so that a machine without it still runs everything else; its
absence is then one sentence. The frames come upright RGB at their stored size; a frame's time is its
presentation time (what a player shows it at), which for a variable-rate video is not ``number / rate``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from viewer.core.errors import ImageError
from viewer.core.results.live import LiveFrame

__all__ = ["open_video", "sampled_frames", "video_frames", "video_rate"]


def _av() -> Any:
    try:
        import av
    except ImportError:  # an optional-looking dependency missing from a hand-made environment
        raise ImageError("Reading videos needs PyAV: pip install 'av>=12'.") from None
    return av


def open_video(path: str | os.PathLike[str]) -> Any:
    """The opened container of ``path`` (an ``av`` container with a video stream), or one sentence why not."""
    av = _av()
    name = Path(path).name
    if not Path(path).is_file():
        raise ImageError(f"{name}: no such video file.")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise ImageError(f"{name}: not a video FFmpeg can read ({error}).") from None
    if not container.streams.video:
        container.close()
        raise ImageError(f"{name}: the file holds no video stream.")
    return container


def video_rate(container: Any) -> float:
    """The video stream's nominal frame rate (frames/s; 0 when the file does not say)."""
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or 0
    return float(rate)


def video_frames(path: str | os.PathLike[str]) -> Iterator[LiveFrame]:
    """Every frame of ``path``'s first video stream, in presentation order."""
    av = _av()
    name = Path(path).name
    container = open_video(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # FFmpeg's own threads: decoding is not the bottleneck of a forward pass
        rate = video_rate(container) or 1.0
        try:
            for number, frame in enumerate(container.decode(stream)):
                time_s = float(frame.time) if frame.time is not None else number / rate
                yield LiveFrame(number, time_s, frame.to_ndarray(format="rgb24"), name)
        except av.error.FFmpegError as error:
            raise ImageError(f"{name}: the video cannot be decoded further ({error}).") from None
    finally:
        container.close()


def sampled_frames(
    path: str | os.PathLike[str], *, every: int | None = None, fps: float | None = None
) -> Iterator[LiveFrame]:
    """The frames of ``path`` to analyse: every ``every``-th one (the first, then every N-th), or ``fps`` a second
    (the first frame at or after each multiple of 1/fps s), or all of them when neither is given."""
    if every is not None and every < 1:
        raise ImageError(f"--every {every}: analyse at least every frame (1).")
    if fps is not None and not fps > 0:
        raise ImageError(f"--fps {fps}: give a rate above 0.")
    next_time = 0.0
    for frame in video_frames(path):
        if every is not None:
            if frame.number % every:
                continue
        elif fps is not None:
            if frame.time_s + 1e-6 < next_time:
                continue
            # The next multiple of the period after this frame: a late frame does not make the next one early.
            next_time = (int(frame.time_s * fps + 1e-6) + 1) / fps
        yield frame
