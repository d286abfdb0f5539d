"""The window's reading of dropped files (``viewer.core.images.files``): bytes for the engine, or one sentence each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from viewer.core.errors import ImageError
from viewer.core.images.files import ImageFile, read_image_file, read_image_files


def test_a_file_is_read_whole_with_its_name_and_the_windows_path(shared_data: Path) -> None:
    path = shared_data / "images" / "kitten.jpg"
    file = read_image_file(path)
    assert file == ImageFile("kitten.jpg", str(path), path.read_bytes())
    assert "data=" not in repr(file) and len(repr(file)) < 200  # megabytes never printed in a repr or a traceback


def test_folders_expand_to_their_image_files_sorted_at_their_place(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.png", "a.JPG", "notes.txt"):
        (folder / name).write_bytes(name.encode())
    (folder / "sub" / "c.png").write_bytes(b"c")  # sub-folders are not opened
    single = tmp_path / "single.png"
    single.write_bytes(b"single")
    read = read_image_files([str(single), folder])
    assert [(f.name, f.data) for f in read.files] == [
        ("single.png", b"single"),
        ("a.JPG", b"a.JPG"),
        ("b.png", b"b.png"),
    ]
    assert read.errors == []


def test_refusals_are_one_sentence_naming_the_file_and_the_readable_files_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(b"\x89PNG whatever")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "x.jpg").mkdir()  # a folder with an image's name: a folder, holding no image
    (tmp_path / "nothing").mkdir()
    os.symlink("loop.png", tmp_path / "loop.png")  # a link to itself
    locked = tmp_path / "locked"
    locked.mkdir()
    real_iterdir = Path.iterdir

    def iterdir(self: Path):  # root reads any folder, so the OS's refusal is simulated where it surfaces
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    names = ["empty.jpg", "x.jpg", "gone.png", "good.png", "loop.png", "locked", "nothing"]
    read = read_image_files([tmp_path / name for name in names])
    assert [file.name for file in read.files] == ["good.png"]
    assert read.errors == [  # the folders' first (as they are expanded), then the files', in order
        "x.jpg: the folder holds no image files.",
        "locked: the folder cannot be read (permission denied).",
        "nothing: the folder holds no image files.",
        "empty.jpg: the file is empty.",
        "gone.png: no such file.",
        "loop.png: no such file.",
    ]


def test_a_named_folder_missing_file_and_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.jpg").mkdir()
    with pytest.raises(ImageError, match=r"^x.jpg: is a folder, not an image file\.$"):
        read_image_file(tmp_path / "x.jpg")
    with pytest.raises(ImageError, match=r"^missing.png: no such file\.$"):
        read_image_file(tmp_path / "missing.png")
    locked = tmp_path / "locked.png"
    locked.write_bytes(b"secret")
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked)  # root may read anything
    with pytest.raises(ImageError, match=r"^locked.png: permission denied\.$"):
        read_image_file(locked)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_and_an_endless_device_are_refused_without_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")  # opening it would wait for a writer forever
    os.symlink("/dev/zero", tmp_path / "zeros.png")  # reading it would never end
    read = read_image_files([tmp_path / "pipe.jpg", tmp_path / "zeros.png"])
    assert read.files == []
    assert read.errors == ["pipe.jpg: the file is empty.", "zeros.png: the file is empty."]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.tif"
    path.write_bytes(b"\0" * 3_000_001)
    with pytest.raises(ImageError, match=r"^big.tif: refused, the file is 3 MB, over the 2 MB limit\.$"):
        read_image_file(path, max_bytes=2_000_000)
    assert read_image_file(path, max_bytes=3_000_001).data == path.read_bytes()  # exactly at the limit: read


def test_an_image_file_crosses_the_wire_as_its_bytes(shared_data: Path) -> None:
    from viewer.core.wire import decode, encode

    file = read_image_file(shared_data / "images" / "kitten.jpg")
    received = decode(encode([file]).data)
    assert received == [file] and type(received[0].data) is bytes
