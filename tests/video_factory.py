"""Short test videos made with PyAV from the shared photos: each photo held for a while, in order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

# Photos the shared MobileNetV2 still names (p > 0.5) as a 256-px square crop through MPEG-4 (the coffee cup
# cropped so becomes "consomme"): the top-1 each frame must show.
PHOTOS = (
    ("tv_dog2.jpg", "German shepherd"),
    ("sk_camera.png", "tripod"),
    ("snake.png", "king snake"),
    ("spider.png", "barn spider"),
)


def square(path: Path, side: int) -> np.ndarray:
    """The photo's central square at ``side`` x ``side``, RGB uint8 (no squashing: the network must still see it)."""
    image = Image.open(path).convert("RGB")
    short = min(image.size)
    left, top = (image.width - short) // 2, (image.height - short) // 2
    return np.asarray(
        image.crop((left, top, left + short, top + short)).resize((side, side), Image.Resampling.BILINEAR)
    )


def make_video(
    target: Path, photos: Sequence[Path], *, seconds: float = 1.0, fps: int = 4, side: int = 256, codec: str = "mpeg4"
) -> Path:
    """``photos`` one after the other, each ``seconds`` long, at ``fps`` frames a second, into ``target``."""
    import av

    with av.open(str(target), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = side, side, "yuv420p"
        for photo in photos:
            frame = av.VideoFrame.from_ndarray(square(photo, side), format="rgb24")
            for _ in range(round(seconds * fps)):
                container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return target
