"""Loading real photos and their edge cases; the three presets and Krizhevsky's ten views."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from viewer.core.errors import ImageError
from viewer.engine.images import denormalize, load_image, preprocess, standardize, ten_crop
from viewer.engine.models.registry import get_spec

IMAGENET = get_spec("resnet18").input
MNIST = get_spec("lenet5").input


def test_every_shared_photo_loads_upright_as_rgb(shared_data: Path) -> None:
    photos = sorted((shared_data / "images").iterdir())
    assert len(photos) >= 15
    for path in photos:
        image = load_image(path)
        assert image.image.mode == "RGB", path.name
        assert min(image.size) > 0


def test_exif_orientation_is_applied(shared_data: Path) -> None:
    image = load_image(shared_data / "images" / "exif_Landscape_6.jpg")
    with Image.open(shared_data / "images" / "exif_Landscape_6.jpg") as raw:
        assert raw.size == (1200, 1800)
    assert image.size == (1800, 1200)


def test_transparency_is_composited_over_white(shared_data: Path) -> None:
    path = shared_data / "images" / "tv_rgbalpha_pytorch.png"
    with Image.open(path) as raw:
        alpha = np.asarray(raw.getchannel("A"))
    image = np.asarray(load_image(path).image)
    transparent = alpha == 0
    assert transparent.any()
    assert (image[transparent] == 255).all()


def test_greyscale_becomes_three_equal_channels(shared_data: Path) -> None:
    image = load_image(shared_data / "images" / "sk_camera.png")
    assert image.original_mode == "L"
    array = np.asarray(image.image)
    assert (array[..., 0] == array[..., 1]).all() and (array[..., 1] == array[..., 2]).all()


def test_sixteen_bit_greyscale_uses_its_full_range(tmp_path: Path) -> None:
    ramp = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16).astype(np.uint16)
    path = tmp_path / "ramp16.png"
    Image.fromarray(ramp).save(path)
    array = np.asarray(load_image(path).image)[..., 0]
    assert array.min() == 0 and array.max() == 255  # not clipped to white above 255


@pytest.mark.parametrize(
    "content, name, reason",
    [
        (b"", "empty.jpg", "empty"),
        (b"hello, not an image\n", "text.jpg", "not an image file"),
        (b"<html><body>nope</body></html>", "page.png", "not an image file"),
    ],
)
def test_bad_files_raise_one_readable_sentence(tmp_path: Path, content: bytes, name: str, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageError) as error:
        load_image(path)
    message = str(error.value)
    assert message.startswith(name) and reason in message and "\n" not in message


def test_truncated_jpeg_is_refused(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "images" / "tv_dog2.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageError, match=r"cut.jpg: cannot be decoded"):
        load_image(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("L", (20000, 20000)).save(path, optimize=True)
    with pytest.raises(ImageError, match=r"bomb.png: refused"):
        load_image(path, max_pixels=50_000_000)


def test_folder_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "x.jpg"
    folder.mkdir()
    with pytest.raises(ImageError, match="is a folder"):
        load_image(folder)
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "missing.png")


def test_weights_preset_resizes_crops_and_normalises(shared_data: Path) -> None:
    image = load_image(shared_data / "images" / "tv_dog2.jpg")
    tensor = preprocess(image, IMAGENET, "weights")
    assert tensor.shape == (3, 224, 224)
    seen = denormalize(tensor, IMAGENET)
    assert seen.shape == (224, 224, 3) and seen.dtype == np.uint8


def test_standardize_is_the_lecture_formula_on_the_full_image(shared_data: Path) -> None:
    image = load_image(shared_data / "images" / "sk_coffee.png")
    tensor = preprocess(image, IMAGENET, "standardize")
    width, height = image.size
    assert tensor.shape == (3, height, width)
    assert tensor.mean().item() == pytest.approx(0.5, abs=1e-5)
    assert tensor.std().item() == pytest.approx(0.5, abs=1e-5)
    raw = torch.from_numpy(np.array(image.image)).permute(2, 0, 1).float() / 255
    torch.testing.assert_close(tensor, 0.5 + 0.5 * (raw - raw.mean()) / raw.std())
    torch.testing.assert_close(standardize(raw), tensor)


def test_full_preset_keeps_full_resolution(shared_data: Path) -> None:
    image = load_image(shared_data / "images" / "darknet_dog.jpg")
    assert preprocess(image, IMAGENET, "full").shape[1:] == (image.size[1], image.size[0])


def test_ten_crop_is_five_crops_and_their_mirrors(shared_data: Path) -> None:
    image = load_image(shared_data / "images" / "tv_dog1.jpg")
    views = ten_crop(image, IMAGENET)
    assert views.shape == (10, 3, 224, 224)
    # Each of the five boxes, then the same five mirrored (Krizhevsky's "horizontal reflections" of the patches).
    torch.testing.assert_close(views[5:], views[:5].flip(-1))
    assert not torch.equal(views[0], views[4])  # a corner is not the centre


def test_mnist_digit_becomes_one_normalised_channel(shared_data: Path) -> None:
    image = load_image(shared_data / "mnist" / "mnist_7.png")
    tensor = preprocess(image, MNIST, "weights")
    assert tensor.shape == (1, 28, 28)
    raw = np.asarray(Image.open(shared_data / "mnist" / "mnist_7.png"), dtype=np.float32) / 255
    np.testing.assert_allclose(tensor[0].numpy(), (raw - 0.1307) / 0.3081, atol=1e-5)


def test_input_box_maps_back_through_resize_and_centre_crop(shared_data: Path) -> None:
    from viewer.engine.images import input_box_to_image

    image = load_image(shared_data / "images" / "tv_dog2.jpg")
    width, height = image.size
    # The whole crop maps to the centred square of side crop/resize of the short side.
    x0, y0, x1, y1 = input_box_to_image((0, 0, 224, 224), image.size, IMAGENET)
    short = min(width, height)
    assert x1 - x0 == pytest.approx(short * 224 / 256, abs=1)
    assert (x0 + x1) / 2 == pytest.approx(width / 2, abs=2) and (y0 + y1) / 2 == pytest.approx(height / 2, abs=2)
    assert input_box_to_image((1, 2, 3, 4), image.size, IMAGENET, "full") == (1, 2, 3, 4)


def test_weights_preset_is_exactly_torchvisions_own_transform(shared_data: Path) -> None:
    from torchvision.models import ResNet50_Weights, get_model_weights

    image = load_image(shared_data / "images" / "kitten.jpg")
    spec = get_spec("resnet50").input
    torch.testing.assert_close(
        preprocess(image, spec), ResNet50_Weights.DEFAULT.transforms()(image.image), rtol=0, atol=0
    )
    inception = get_model_weights("inception_v3").DEFAULT.transforms()
    torch.testing.assert_close(preprocess(image, get_spec("inception_v3").input), inception(image.image))
