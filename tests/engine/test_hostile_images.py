"""Hostile and unusual image files, generated here (never committed): a correct result or one sentence."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from viewer.core.errors import ImageError, ViewerError
from viewer.engine.images import load_image, to_display_array
from viewer.engine.inference import classify
from viewer.engine.models.registry import get_spec
from viewer.engine.models.weights import load_model

IMAGENET = get_spec("resnet18").input


@pytest.fixture(scope="module")
def tiny_net():
    return load_model("lenet5", device="cpu")


@pytest.fixture(scope="module")
def squeezenet():
    return load_model("squeezenet1_1", "none", device="cpu")


def _photo(shared_data: Path) -> Image.Image:
    return Image.open(shared_data / "images" / "tv_dog1.jpg").convert("RGB")


def test_truncated_png_is_refused(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    _photo(shared_data).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"cut.png: cannot be decoded"):
        load_image(path)


def test_cmyk_jpeg_palette_with_transparency_webp(shared_data: Path, tmp_path: Path) -> None:
    photo = _photo(shared_data).resize((160, 120))
    photo.convert("CMYK").save(tmp_path / "cmyk.jpg")
    palette = photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    palette.save(tmp_path / "palette.png", transparency=0)
    photo.save(tmp_path / "photo.webp")
    cmyk = load_image(tmp_path / "cmyk.jpg")
    assert cmyk.original_mode == "CMYK" and "converted from CMYK" in cmyk.notes
    assert np.abs(np.asarray(cmyk.image, dtype=int) - np.asarray(photo, dtype=int)).mean() < 20
    transparent_index = np.asarray(palette) == 0
    loaded = np.asarray(load_image(tmp_path / "palette.png").image)
    assert transparent_index.any() and (loaded[transparent_index] == 255).all()
    assert load_image(tmp_path / "photo.webp").size == (160, 120)


def test_animated_gif_and_multipage_tiff_use_the_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=50, loop=0)
    frames[0].save(tmp_path / "pages.tiff", save_all=True, append_images=frames[1:])
    for name in ("anim.gif", "pages.tiff"):
        image = load_image(tmp_path / name)
        assert "first of 3 frames used" in image.notes
        assert tuple(np.asarray(image.image)[0, 0]) == (255, 0, 0)


# Pillow's exif_transpose undoes orientation k with this operation; the file stores the inverse.
_STORED = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", sorted(_STORED))
def test_exif_orientations_come_out_upright(tmp_path: Path, orientation: int) -> None:
    upright = np.zeros((30, 60, 3), np.uint8)
    upright[:10, :20] = (255, 0, 0)  # a red block in the top-left corner, wider than tall
    stored = Image.fromarray(upright).transpose(_STORED[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"orientation_{orientation}.png"
    stored.save(path, exif=exif)
    loaded = np.asarray(load_image(path).image)
    assert loaded.shape == upright.shape
    np.testing.assert_array_equal(loaded, upright)


def test_names_with_spaces_unicode_and_no_extension(shared_data: Path, tmp_path: Path, tiny_net) -> None:
    photo = _photo(shared_data)
    for name in ("a photo with spaces.jpg", "chien é 犬.jpg", "no_extension"):
        photo.save(tmp_path / name, format="JPEG")
        (prediction,) = classify([str(tmp_path / name)], tiny_net, topk=1)
        assert Path(prediction.image).name == name


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "locked.jpg"
    _photo(shared_data).save(path)
    path.chmod(0)
    with pytest.raises(ImageError, match=r"locked.jpg: permission denied"):
        load_image(path)


def test_large_image_is_classified_and_downscaled_for_display(tmp_path: Path, squeezenet) -> None:
    path = tmp_path / "large.png"
    rng = np.random.default_rng(0)
    tile = rng.integers(0, 255, (900, 1200, 3), dtype=np.uint8)
    Image.fromarray(np.tile(tile, (10, 10, 1))).save(path, compress_level=1)  # 12000 x 9000
    image = load_image(path)
    assert image.size == (12000, 9000)
    display = to_display_array(image)
    assert max(display.shape[:2]) == 4096
    (prediction,) = classify([image], squeezenet, topk=1)
    assert prediction.seen.shape == (224, 224, 3)


@pytest.mark.parametrize("size", [(1, 1), (3, 2)])
def test_tiny_images_follow_the_preset(tmp_path: Path, squeezenet, size: tuple[int, int]) -> None:
    path = tmp_path / f"tiny_{size[0]}x{size[1]}.png"
    Image.new("RGB", size, (200, 30, 30)).save(path)
    (prediction,) = classify([str(path)], squeezenet, topk=1)  # weights preset: resized up to 224
    assert prediction.seen.shape == (224, 224, 3)
    with pytest.raises(ViewerError, match=f"tiny_{size[0]}x{size[1]}.png.*too small"):
        classify([str(path)], squeezenet, preset="standardize")  # no resize: smaller than the network allows
