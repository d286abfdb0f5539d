"""``viewer classify VIDEO``: one line per analysed frame (time, top-1, probability), ``--json`` for all."""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path

import pytest
from video_factory import PHOTOS, make_video

from viewer.cli import main


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    photos = [shared_data / "images" / name for name, _ in PHOTOS]
    return make_video(tmp_path_factory.mktemp("video") / "photos.mp4", photos, seconds=1.0, fps=4)


def test_classify_video_every_n_json(video: Path, mobilenet_args, capsys) -> None:
    assert main(["classify", str(video), "--every", "2", "--json", "--topk", "2", *mobilenet_args]) == 0
    (document,) = json.loads(capsys.readouterr().out)
    assert document["video"] == str(video) and document["every"] == 2 and document["model"] == "mobilenet_v2"
    frames = document["frames"]
    assert [f["frame"] for f in frames] == list(range(0, 4 * len(PHOTOS), 2))
    assert [f["time_s"] for f in frames][:3] == [0.0, 0.5, 1.0]
    assert all(len(f["topk"]) == 2 for f in frames)
    assert [name for name, _ in groupby(f["topk"][0]["name"] for f in frames)] == [name for _, name in PHOTOS]


def test_classify_video_fps_prints_a_line_per_frame(video: Path, mobilenet_args, capsys) -> None:
    assert main(["classify", str(video), "--fps", "1", *mobilenet_args]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.startswith("photos.mp4: mobilenet_v2, ")
    assert len(lines) == len(PHOTOS)
    time, rest = lines[1].split(" s  ")
    assert float(time) == 1.0 and rest.startswith(f"{PHOTOS[1][1]}  (p=0.")


def test_video_refusals(tmp_path: Path, video: Path, shared_data: Path, mobilenet_args, capsys) -> None:
    assert main(["classify", str(video), "--tta", *mobilenet_args]) == 2
    assert "--tta is for images" in capsys.readouterr().err
    assert main(["classify", str(shared_data / "images" / "kitten.jpg"), "--every", "2", *mobilenet_args]) == 2
    assert "--every and --fps are for videos" in capsys.readouterr().err
    broken = tmp_path / "broken.webm"
    broken.write_bytes(b"\x00" * 64)
    assert main(["classify", str(broken), *mobilenet_args]) == 2
    assert "broken.webm: not a video FFmpeg can read" in capsys.readouterr().err
