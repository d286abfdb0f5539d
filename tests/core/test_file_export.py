"""Export files written all or nothing and named after what they show (viewer.core.file_export)."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.core.errors import ExportError
from viewer.core.file_export import atomic_write, check_targets, heatmap_paths, stem_from, write_group

PROVENANCE = {"image": "/photos/tv_dog1.jpg", "model": "resnet50", "class_name": "golden retriever"}


def test_bundle_names_from_a_folder_or_a_named_file(tmp_path: Path) -> None:
    assert stem_from(PROVENANCE, "heatmap") == "tv_dog1_resnet50_golden_retriever"
    assert stem_from({}, "heatmap") == "heatmap"
    in_folder = heatmap_paths(tmp_path, PROVENANCE)
    assert [p.name for p in in_folder] == [f"tv_dog1_resnet50_golden_retriever{s}" for s in (".png", ".npy", ".json")]
    named = heatmap_paths(tmp_path / "map.json", PROVENANCE)  # a known suffix is dropped
    assert [p.name for p in named] == ["map.png", "map.npy", "map.json"]
    dotted = heatmap_paths(tmp_path / "dog.jpg_resnet50", PROVENANCE)  # other dots stay
    assert dotted[0].name == "dog.jpg_resnet50.png"


def test_atomic_write_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    assert atomic_write(target, lambda handle: handle.write(b"one")) == target
    with pytest.raises(ExportError, match="already exists"):
        atomic_write(target, lambda handle: handle.write(b"two"))
    assert target.read_bytes() == b"one"
    atomic_write(target, lambda handle: handle.write(b"two"), force=True)
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary file left


def test_a_group_is_written_all_or_nothing(tmp_path: Path) -> None:
    def broken(handle) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(ExportError, match="No space left"):
        write_group([(tmp_path / "x.png", lambda h: h.write(b"png")), (tmp_path / "x.npy", broken)], force=False)
    assert list(tmp_path.iterdir()) == []


def test_missing_folders_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        check_targets([tmp_path / "no" / "x.png", None])
    (tmp_path / "x.png").write_bytes(b"")
    with pytest.raises(ExportError, match="already exists"):
        check_targets([tmp_path / "x.png"])
    check_targets([tmp_path / "x.png"], force=True)
