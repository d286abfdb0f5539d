"""Hostile and unusual inputs written on the fly (never committed): images and weights files.

Shared by the GUI drop tests (tests/gui/window/test_hostile_drops.py) and the command-line tests
(tests/commands/test_cli_hostile.py) so that both face exactly the same files. Each case says whether a correct
result is expected ("ok") or one readable sentence naming the file ("error", with a phrase it must hold).
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["SENTINEL_NAME", "Case", "make_image_corpus", "make_weights_corpus"]

SENTINEL_NAME = "pwned.txt"  # written only if a weights file's pickle code ever runs


@dataclass(frozen=True)
class Case:
    path: Path
    ok: bool  # True: a correct result is expected; False: one sentence naming the file
    phrase: str = ""  # for errors, words the sentence must hold
    stage: str = "open"  # for errors: refused on opening, or opened and then refused by "classify"

    @property
    def name(self) -> str:
        return self.path.name


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _bomb_png(path: Path, width: int = 100_000, height: int = 100_000) -> None:
    """A valid PNG header declaring ``width`` x ``height`` RGB (30 GB decoded) over a few bytes of data.

    Written by hand because Pillow would have to allocate the whole image to save it.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * 3 * 16  # a few rows' worth of zeros: decoding would need far more
    idat = zlib.compress(row * 16, 9)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    )


def data_of(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format)
    return buffer.getvalue()


def _photo(shared_data: Path, size: tuple[int, int] = (160, 120)) -> Image.Image:
    return Image.open(shared_data / "images" / "tv_dog1.jpg").convert("RGB").resize(size)


def make_image_corpus(folder: Path, shared_data: Path) -> list[Case]:
    """Write every hostile or unusual image into ``folder``; returns the cases in a fixed order."""
    folder.mkdir(parents=True, exist_ok=True)
    photo = _photo(shared_data)
    cases: list[Case] = []

    def error(name: str, phrase: str, stage: str = "open") -> Path:
        cases.append(Case(folder / name, False, phrase, stage))
        return folder / name

    def ok(name: str) -> Path:
        cases.append(Case(folder / name, True))
        return folder / name

    error("empty.jpg", "empty").write_bytes(b"")
    error("notes.jpg", "not an image").write_text("Dear diary, this is text with a .jpg name.\n" * 20)
    error("page.png", "not an image").write_text("<!DOCTYPE html><html><body><img src='x.png'></body></html>\n")
    jpeg = folder / "_whole.jpg"
    photo.save(jpeg, quality=90)
    data = jpeg.read_bytes()
    jpeg.unlink()
    error("cut.jpg", "truncated").write_bytes(data[: len(data) // 2])
    png = folder / "_whole.png"
    photo.save(png)
    data = png.read_bytes()
    png.unlink()
    error("cut.png", "cannot be decoded").write_bytes(data[: len(data) // 2])
    _bomb_png(error("bomb.png", "refused"))
    error("x.jpg", "folder").mkdir()  # a directory with an image's name
    error("gone.png", "no such file")  # dropped, then deleted before it was read: never written here
    jpeg_header = bytearray(data_of(photo, "JPEG"))
    start = jpeg_header.find(b"\xff\xc0")  # SOF0: height and width follow the length and precision
    jpeg_header[start + 5 : start + 9] = (60000).to_bytes(2, "big") * 2
    error("huge.jpg", "refused").write_bytes(bytes(jpeg_header))  # declares 60000x60000 (3600 MP)
    # 40 kP on disk, but resizing its short side to 256 px for a network would make 655 MP (gigabytes).
    Image.new("RGB", (20000, 2), (90, 120, 200)).save(error("strip.png", "too elongated", stage="classify"))
    if hasattr(os, "mkfifo"):
        # Would block a reader forever; and a link to an endless device: neither may hang the app.
        os.mkfifo(error("pipe.jpg", "empty"))
        os.symlink("/dev/zero", error("zeros.png", "empty"))

    Image.new("RGB", (1, 1), (200, 30, 30)).save(ok("one_pixel.png"))
    photo.resize((3, 2)).save(ok("three_by_two.jpg"))
    ramp = (np.arange(64 * 48, dtype=np.uint32).reshape(48, 64) * 21).astype(np.uint16)
    Image.fromarray(ramp).save(ok("grey16.png"))  # Pillow writes mode I;16 as a 16-bit greyscale PNG
    photo.convert("CMYK").save(ok("cmyk.jpg"))
    palette = photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.save(ok("palette_transparent.png"), transparency=0)
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(ok("animated.gif"), save_all=True, append_images=frames[1:], duration=50, loop=0)
    frames[0].save(ok("pages.tiff"), save_all=True, append_images=frames[1:])
    photo.save(ok("photo.webp"))
    photo.convert("1").save(ok("bilevel.png"))
    photo.convert("LA").save(ok("grey_alpha.png"))
    Image.fromarray(np.linspace(-5, 5, 64 * 48, dtype=np.float32).reshape(48, 64)).save(ok("float.tiff"))
    # Broken EXIF as some phones write it: an orientation entry pointing past the end of the block.
    broken_exif = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\xff\xff\xff\xff"
    photo.save(ok("broken_exif.jpg"), exif=broken_exif)
    exif = Image.Exif()
    exif[0x0112] = 9  # an orientation that does not exist
    photo.save(ok("orientation9.jpg"), exif=exif.tobytes())
    photo.save(ok("name with spaces é 日本.png"))
    photo.save(ok("no_extension"), format="PNG")
    return cases


class _RunsCode:
    """Unpickling this calls ``open(sentinel, "w")``: proof that code in a weights file ran."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = str(sentinel)

    def __reduce__(self):
        return (open, (self.sentinel, "w"))


def make_weights_corpus(folder: Path) -> tuple[list[Case], Path]:
    """Bad weights files for LeNet-5 in ``folder``; returns the cases and the sentinel path (must never appear)."""
    import torch
    from torch import nn

    from viewer.engine.models.registry import build_model

    folder.mkdir(parents=True, exist_ok=True)
    sentinel = folder / SENTINEL_NAME
    cases: list[Case] = []

    def error(name: str, phrase: str) -> Path:
        cases.append(Case(folder / name, False, phrase))
        return folder / name

    torch.save({"conv.weight": torch.zeros(2), "payload": _RunsCode(sentinel)}, error("evil.pth", "run Python code"))
    error("evil_plain.pkl", "run Python code").write_bytes(pickle.dumps({"w": _RunsCode(sentinel)}, protocol=2))
    error("notes.pth", "not a PyTorch weights file").write_text("these are not the weights you are looking for\n")
    with warnings.catch_warnings():  # torch.jit.script is deprecated, and still what people have on disk
        warnings.simplefilter("ignore")
        torch.jit.script(nn.Linear(2, 2)).save(str(error("scripted.pt", "TorchScript")))
    error("empty.pth", "empty").write_bytes(b"")
    state = build_model("lenet5").state_dict()
    first = next(iter(state))
    wrong = dict(state)
    wrong[first] = torch.zeros(3, 3)
    torch.save(wrong, error("wrong_shape.pth", "shape mismatch"))
    missing = dict(state)
    del missing[first]
    torch.save(missing, error("missing_key.pth", "missing key"))
    extra = {**state, "extra.weight": torch.zeros(1)}
    torch.save(extra, error("unexpected_key.pth", "unexpected key"))
    assert not sentinel.exists()
    return cases, sentinel
