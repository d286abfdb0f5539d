"""Atomic exports: round trips, no partial files, refusal to overwrite, clear errors."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
from PIL import Image

from viewer.core.errors import ExportError
from viewer.engine import export


def _rgb(height: int = 12, width: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def test_png_round_trip_rgb_and_grey(tmp_path):
    rgb = _rgb()
    written = export.write_png(tmp_path / "a.png", rgb)
    assert written == tmp_path / "a.png"
    with Image.open(written) as image:
        assert image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), rgb)
    grey = rgb[:, :, 0]
    with Image.open(export.write_png(tmp_path / "g.png", grey)) as image:
        assert image.mode == "L"
        np.testing.assert_array_equal(np.asarray(image), grey)


def test_png_refuses_float_pixels(tmp_path):
    with pytest.raises(ExportError, match="uint8"):
        export.write_png(tmp_path / "f.png", np.zeros((4, 4, 3), dtype=np.float32))
    assert list(tmp_path.iterdir()) == []


def test_npy_round_trip_without_pickles(tmp_path):
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    path = export.write_npy(tmp_path / "a.npy", array)
    loaded = np.load(path, allow_pickle=False)
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, array)


def test_json_round_trip_converts_numpy_and_non_finite(tmp_path):
    data = {
        "top": np.int64(3),
        "prob": np.float32(0.25),
        "shape": (1, 3),
        "values": np.array([1.5, 2.5]),
        "nan": float("nan"),
        "path": tmp_path / "x.png",
        "name": "chien é",
    }
    path = export.write_json(tmp_path / "a.json", data)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded == {
        "top": 3,
        "prob": 0.25,
        "shape": [1, 3],
        "values": [1.5, 2.5],
        "nan": None,
        "path": str(tmp_path / "x.png"),
        "name": "chien é",
    }


def test_text_round_trip(tmp_path):
    path = export.write_text(tmp_path / "a.txt", "layer  params\nconv1  1,234\n")
    assert path.read_text(encoding="utf-8") == "layer  params\nconv1  1,234\n"


def test_existing_file_is_refused_without_force_and_replaced_with_it(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(ExportError, match="already exists") as caught:
        export.write_text(target, "new")
    assert "--force" in str(caught.value)
    assert target.read_text() == "old"
    export.write_text(target, "new", force=True)
    assert target.read_text() == "new"


def test_writer_failing_midway_leaves_no_file_and_no_temporary(tmp_path):
    def half_then_crash(handle):
        handle.write(b"x" * 1000)
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        export.atomic_write(tmp_path / "a.bin", half_then_crash)
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_the_old_file_intact(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"precious")

    def crash(handle):
        handle.write(b"garbage")
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        export.atomic_write(target, crash, force=True)
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_file_appearing_while_writing_is_not_clobbered(tmp_path):
    target = tmp_path / "a.txt"

    def another_program_saves_first(handle):
        target.write_text("theirs")  # between our existence check and our rename
        handle.write(b"ours")

    with pytest.raises(ExportError, match="already exists"):
        export.atomic_write(target, another_program_saves_first)
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_written_file_gets_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = export.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600


def test_missing_folder_is_one_clear_sentence(tmp_path):
    with pytest.raises(ExportError) as caught:
        export.write_text(tmp_path / "nope" / "a.txt", "x")
    message = str(caught.value)
    assert "does not exist" in message and "nope" in message
    assert "\n" not in message


def test_regular_file_used_as_folder_is_refused(tmp_path):
    (tmp_path / "file").write_text("I am a file")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export.write_png(tmp_path / "file" / "a.png", _rgb())


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes into a 0500 folder; test_os_error_while_writing_becomes_export_error covers the message",
)
def test_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert not os.access(folder, os.W_OK)
        with pytest.raises(ExportError, match="not writable"):
            export.write_text(folder / "a.txt", "x")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_os_error_while_writing_becomes_export_error(tmp_path):
    # Root can write anywhere, so the OS's refusal is simulated where it would surface: writing the
    # temporary file. The point is the sentence, and that nothing (no temporary, no journal) is left behind.
    def refuse(handle):
        raise PermissionError(13, "Permission denied")

    with pytest.raises(ExportError, match=r"a.txt.*permission denied"):
        export.atomic_write(tmp_path / "a.txt", refuse)
    assert list(tmp_path.iterdir()) == []


def test_write_heatmap_writes_png_npy_json_together(tmp_path):
    image = _rgb(8, 10)
    scores = np.random.default_rng(1).normal(size=(8, 10)).astype(np.float64)
    provenance = {
        "image": "/photos/tv_dog2.jpg",
        "model": "resnet50",
        "class_name": "German shepherd",
        "class_index": 235,
        "stride": 32,
    }
    paths = export.write_heatmap(tmp_path, image, scores, provenance, alpha=0.4, colormap="turbo")
    assert [p.name for p in paths] == [
        "tv_dog2_resnet50_German_shepherd.png",
        "tv_dog2_resnet50_German_shepherd.npy",
        "tv_dog2_resnet50_German_shepherd.json",
    ]
    png, npy, meta = paths
    with Image.open(png) as picture:
        np.testing.assert_array_equal(np.asarray(picture), export.overlay(image, scores, alpha=0.4, colormap="turbo"))
    raw = np.load(npy, allow_pickle=False)
    assert raw.dtype == np.float32
    np.testing.assert_allclose(raw, scores, rtol=1e-6)
    record = json.loads(meta.read_text())
    assert record["class_index"] == 235 and record["model"] == "resnet50"
    assert record["colormap"] == "turbo" and record["alpha"] == 0.4
    assert record["vmin"] == pytest.approx(scores.min()) and record["vmax"] == pytest.approx(scores.max())
    assert record["files"] == {"overlay": png.name, "scores": npy.name, "metadata": meta.name}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_write_heatmap_with_explicit_base_and_suffix(tmp_path):
    paths = export.write_heatmap(tmp_path / "out.v1.png", _rgb(4, 4), np.ones((4, 4)), {})
    assert [p.name for p in paths] == ["out.v1.png", "out.v1.npy", "out.v1.json"]


def test_write_heatmap_keeps_coarse_scores_raw_and_overlays_them_resized(tmp_path):
    scores = np.array([[0.0, 1.0], [2.0, 3.0]])
    png, npy, meta = export.write_heatmap(tmp_path / "coarse", _rgb(8, 10), scores, {"stride": 32})
    with Image.open(png) as picture:
        assert picture.size == (10, 8)
    np.testing.assert_array_equal(np.load(npy), scores.astype(np.float32))
    assert json.loads(meta.read_text())["scores_shape"] == [2, 2]


def test_write_heatmap_is_all_or_nothing(tmp_path, monkeypatch):
    base = tmp_path / "h"
    (tmp_path / "h.json").write_text("{}")
    with pytest.raises(ExportError, match=r"h.json already exists"):
        export.write_heatmap(base, _rgb(4, 4), np.ones((4, 4)), {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.json"]

    def broken_save(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", broken_save)
    with pytest.raises(ExportError, match="No space left on device"):
        export.write_heatmap(base, _rgb(4, 4), np.ones((4, 4)), {}, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.json"]
    assert (tmp_path / "h.json").read_text() == "{}"


def test_write_activation_writes_grid_and_raw_values(tmp_path):
    grid = _rgb(6, 6)
    values = np.random.default_rng(2).normal(size=(4, 3, 3)).astype(np.float32)
    png, npy = export.write_activation(tmp_path / "layer1", grid, values)
    assert (png.name, npy.name) == ("layer1.png", "layer1.npy")
    with Image.open(png) as picture:
        np.testing.assert_array_equal(np.asarray(picture), grid)
    np.testing.assert_array_equal(np.load(npy), values)


def test_write_summary_picks_format_by_suffix(tmp_path):
    summary = {"model": "lenet5", "params": 44426, "layers": [{"name": "features.0", "shape": [1, 6, 24, 24]}]}
    rows = [
        {"name": "features.0", "shape": (1, 6, 24, 24), "params": 156},
        {"name": "classifier.4", "shape": (1, 10), "params": 850, "note": None},
    ]
    text = "name  params\nfeatures.0  156"
    assert json.loads(export.write_summary(tmp_path / "s.json", summary, rows, text).read_text()) == summary
    with open(export.write_summary(tmp_path / "s.csv", summary, rows, text), newline="") as handle:
        table = list(csv.reader(handle))
    assert table == [
        ["name", "shape", "params", "note"],
        ["features.0", "1x6x24x24", "156", ""],
        ["classifier.4", "1x10", "850", ""],
    ]
    assert export.write_summary(tmp_path / "s.txt", summary, rows, text).read_text() == text + "\n"
    with pytest.raises(ExportError, match=r"use .json, .csv or .txt"):
        export.write_summary(tmp_path / "s.xlsx", summary, rows, text)


def test_write_summary_accepts_plain_rows_with_header(tmp_path):
    path = export.write_summary(tmp_path / "s.csv", {}, [["a", "b"], [1, (2, 3)]], "")
    assert path.read_text() == "a,b\n1,2x3\n"
