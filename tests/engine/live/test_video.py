"""A video file's frames (PyAV) and their top-k: sampling every N-th frame or F a second, and the refusals."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import pytest
from video_factory import PHOTOS, make_video

from viewer.core.errors import ImageError, ModelError
from viewer.engine.live.frames import classify_frame, classify_video
from viewer.engine.live.video import sampled_frames, video_frames


@pytest.fixture(scope="module")
def mobilenet(shared_data: Path):
    from viewer.engine.models.weights import load_model

    return load_model("mobilenet_v2", str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth"), device="cpu")


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    photos = [shared_data / "images" / name for name, _ in PHOTOS]
    return make_video(tmp_path_factory.mktemp("video") / "photos.mp4", photos, seconds=1.0, fps=4)


def test_every_frame_is_decoded_upright_rgb_with_its_time(video: Path) -> None:
    frames = list(video_frames(video))
    assert len(frames) == 4 * len(PHOTOS)
    assert [f.number for f in frames] == list(range(len(frames)))
    assert frames[5].time_s == pytest.approx(1.25)
    assert frames[0].pixels.shape == (256, 256, 3) and frames[0].pixels.dtype.name == "uint8"
    assert frames[0].source == "photos.mp4"


def test_every_n_and_fps_sample_the_frames(video: Path) -> None:
    assert [f.number for f in sampled_frames(video, every=5)] == [0, 5, 10, 15]
    assert [f.time_s for f in sampled_frames(video, fps=1)] == pytest.approx([0.0, 1.0, 2.0, 3.0])
    assert [f.time_s for f in sampled_frames(video, fps=3)][:6] == pytest.approx([0, 0.5, 0.75, 1.0, 1.5, 1.75])


def test_refusals_are_sentences(tmp_path: Path, video: Path) -> None:
    with pytest.raises(ImageError, match="no such video file"):
        list(video_frames(tmp_path / "missing.mp4"))
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(ImageError, match="not a video FFmpeg can read"):
        list(video_frames(tmp_path / "text.mp4"))
    with pytest.raises(ImageError, match="--every 0"):
        list(sampled_frames(video, every=0))
    with pytest.raises(ImageError, match="--fps"):
        list(sampled_frames(video, fps=0))


def test_top1_follows_the_photos(video: Path, mobilenet) -> None:
    results = list(classify_video(video, mobilenet, every=2, topk=3))
    assert len(results) == 2 * len(PHOTOS) and all(len(r.topk) == 3 for r in results)
    assert [name for name, _ in groupby(r.top1.name for r in results)] == [name for _, name in PHOTOS]
    assert all(r.top1.prob > 0.2 for r in results), [(r.top1.name, r.top1.prob) for r in results]
    first = next(video_frames(video))
    one = classify_frame(first, mobilenet, topk=1)
    assert one.number == 0 and one.top1.name == PHOTOS[0][1] and one.forward_ms > 0


def test_a_frame_with_its_heatmap(video: Path, mobilenet) -> None:
    first = next(video_frames(video))
    made = classify_frame(first, mobilenet, topk=2, heatmap=True)
    assert made.heatmap is not None and made.heatmap.dtype.name == "float32"
    assert max(made.heatmap.shape) <= 96 and 0 <= made.heatmap.min() < made.heatmap.max() <= 1
    assert made.heatmap_class == made.top1.name == PHOTOS[0][1] and made.heatmap_range[1] > made.heatmap_range[0]
    other = classify_frame(first, mobilenet, heatmap=True, heatmap_class=872)  # tripod, asked for by index
    assert other.heatmap_class == "tripod" and other.top1.name == PHOTOS[0][1]


def test_a_frame_with_a_layers_mosaic_from_the_same_forward_pass(video: Path, mobilenet) -> None:
    first = next(video_frames(video))
    made = classify_frame(first, mobilenet, topk=1, layer="features.3")
    plain = classify_frame(first, mobilenet, topk=1)
    assert made.layer == "features.3" and made.top1 == plain.top1  # the hook changes nothing of the top-k
    grid = made.layer_grid
    assert grid is not None and grid.dtype.name == "uint8" and grid.ndim == 3 and grid.shape[2] == 3
    # features.3 of MobileNetV2 at 224²: 24 channels of 56×56, tiled about square with 1-px gaps (5 × 5 tiles).
    assert grid.shape[:2] == (5 * 57 - 1, 5 * 57 - 1)
    with pytest.raises(ModelError, match=r"no layer named 'features\.99'"):
        classify_frame(first, mobilenet, layer="features.99")
