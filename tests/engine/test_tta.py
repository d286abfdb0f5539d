"""Krizhevsky's TTA: the paper's ten boxes in the central square, and softmax outputs averaged by default."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image

from viewer.core.errors import ModelError
from viewer.core.lecture.tta import ten_crop_boxes, tta_resize_size
from viewer.core.network.input import InputSpec
from viewer.engine.images import LoadedImage, preprocess, ten_crop_views
from viewer.engine.inference import average_views, classify
from viewer.engine.models.registry import IMAGENET_MEAN, IMAGENET_STD
from viewer.engine.models.weights import load_model

SPEC = InputSpec(3, 224, 256, IMAGENET_MEAN, IMAGENET_STD)


def test_the_boxes_are_the_corners_and_centre_of_the_central_256_square() -> None:
    # 512x384 -> short side 256: 341x256 (torchvision truncates 341.33); the square starts at round(42.5) = 42.
    boxes = ten_crop_boxes((512, 384), 256, 224)
    assert [(b.name, b.mirrored, b.box) for b in boxes[:5]] == [
        ("top-left", False, (42, 0, 266, 224)),
        ("top-right", False, (74, 0, 298, 224)),
        ("bottom-left", False, (42, 32, 266, 256)),
        ("bottom-right", False, (74, 32, 298, 256)),
        ("centre", False, (58, 16, 282, 240)),
    ]
    assert [b.box for b in boxes[5:]] == [b.box for b in boxes[:5]] and all(b.mirrored for b in boxes[5:])
    scale = 384 / 256
    assert boxes[0].image_box == pytest.approx((42 * 512 / 341, 0, 266 * 512 / 341, 224 * scale))
    # A portrait image: the square is centred vertically.
    assert [b.box for b in ten_crop_boxes((300, 600), 256, 224)[:5]] == [
        (0, 128, 224, 352),
        (32, 128, 256, 352),
        (0, 160, 224, 384),
        (32, 160, 256, 384),
        (16, 144, 240, 368),
    ]


def test_the_views_are_cut_from_those_boxes_and_mirrored() -> None:
    rng = np.random.default_rng(0)
    picture = Image.fromarray(rng.integers(0, 256, (384, 512, 3), dtype=np.uint8), "RGB")
    image = LoadedImage("noise.png", picture, "RGB", picture.size)
    views, boxes = ten_crop_views(image, SPEC)
    resized = TF.to_dtype(TF.pil_to_tensor(TF.resize(picture, [256], antialias=True)), torch.float32, scale=True)
    assert resized.shape[1:] == (256, 341)
    normalised = TF.normalize(resized, list(IMAGENET_MEAN), list(IMAGENET_STD))
    for index, crop in enumerate(boxes):
        x0, y0, x1, y1 = crop.box
        expected = normalised[:, y0:y1, x0:x1]
        torch.testing.assert_close(views[index], expected.flip(-1) if crop.mirrored else expected)
    torch.testing.assert_close(views[4], preprocess(image, SPEC))  # the centre view is the plain preprocessing


@pytest.fixture(scope="module")
def mobilenet(shared_data):
    return load_model("mobilenet_v2", str(shared_data / "weights/mobilenet_v2_imagenet1k.pth"), device="cpu")


def test_probabilities_not_logits_are_averaged_by_default(mobilenet, shared_data) -> None:
    path = str(shared_data / "images/tv_dog1.jpg")
    (default,) = classify([path], mobilenet, tta=True, topk=3)
    (by_logits,) = classify([path], mobilenet, tta=True, topk=3, tta_average="logits")
    picture = LoadedImage(path, Image.open(path).convert("RGB"), "RGB", (0, 0))
    views, boxes = ten_crop_views(picture, mobilenet.input, resize=256)  # the paper's, not the weights' 232
    with torch.inference_mode():
        logits = mobilenet.model(views)
    mean_of_softmax = torch.softmax(logits, dim=1).mean(0)
    softmax_of_mean = torch.softmax(logits.mean(0), dim=0)
    assert (mean_of_softmax - softmax_of_mean).abs().max() > 1e-3  # the test can tell them apart
    torch.testing.assert_close(torch.from_numpy(default.probs), mean_of_softmax, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(torch.from_numpy(by_logits.probs), softmax_of_mean, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(torch.from_numpy(default.logits), logits.mean(0), rtol=1e-4, atol=1e-4)
    assert default.tta_average == "probs" and by_logits.tta_average == "logits"
    assert default.tta_crops == boxes and default.tta_seen is None
    assert default.as_dict()["tta_crops"][5]["view"] == "top-left, mirrored"


def test_the_gui_gets_the_ten_views_as_images(mobilenet, shared_data) -> None:
    (shown,) = classify([str(shared_data / "images/kitten.jpg")], mobilenet, tta=True, for_display=True)
    assert len(shown.tta_seen) == 10 and all(v.shape == (224, 224, 3) and v.dtype == np.uint8 for v in shown.tta_seen)
    assert np.array_equal(shown.tta_seen[5], shown.tta_seen[0][:, ::-1])
    assert np.array_equal(shown.tta_seen[4], shown.seen)  # "what the network sees" is the centre view


def test_average_views_refuses_an_unknown_average() -> None:
    with pytest.raises(ModelError, match="use probs or logits"):
        average_views(torch.zeros(10, 3), "median")


def test_the_paper_resize_is_256_for_a_224_crop_whatever_the_weights_say() -> None:
    assert tta_resize_size("paper", 232, 224) == 256 and tta_resize_size("weights", 232, 224) == 232
    assert tta_resize_size("paper", 342, 299) == 342 and tta_resize_size("paper", 28, 28) == 32  # the same ratio
    with pytest.raises(ValueError, match="paper, weights"):
        tta_resize_size("crop", 232, 224)


def test_the_views_are_labelled_for_a_gui_to_draw() -> None:
    boxes = ten_crop_boxes((512, 384), 256, 224)
    assert [b.tag for b in boxes] == ["TL", "TR", "BL", "BR", "C"] + [
        f"{tag} mirrored" for tag in ("TL", "TR", "BL", "BR", "C")
    ]


def test_classify_cuts_the_papers_boxes_by_default_and_the_weights_on_request(mobilenet, shared_data) -> None:
    """MobileNetV2's default recipe resizes to 232 (IMAGENET1K_V2): the paper's TTA still rescales to 256."""
    path = str(shared_data / "images/darknet_dog.jpg")  # 768x576
    assert mobilenet.input.resize_size == 232
    (paper,) = classify([path], mobilenet, tta=True, topk=1)
    (weights,) = classify([path], mobilenet, tta=True, topk=1, tta_resize="weights")
    # 768x576 -> 341x256; the central square at x round(42.5) = 42; its corners and centre at 224.
    assert [crop.box for crop in paper.tta_crops[:5]] == [
        (42, 0, 266, 224),
        (74, 0, 298, 224),
        (42, 32, 266, 256),
        (74, 32, 298, 256),
        (58, 16, 282, 240),
    ]
    assert paper.tta_crops[:5] == ten_crop_boxes((768, 576), 256, 224)[:5]
    # The weights' 232: 309x232, the square at x round(38.5) = 38 (banker's rounding), views 8 px apart.
    assert [crop.box for crop in weights.tta_crops[:5]] == [
        (38, 0, 262, 224),
        (46, 0, 270, 224),
        (38, 8, 262, 232),
        (46, 8, 270, 232),
        (42, 4, 266, 228),
    ]
    document = paper.as_dict()
    assert document["tta_geometry"] == {"resize": "paper", "short_side": 256, "square": 256, "crop": 224}
    assert document["recipe"]["resize"] == 256 and document["recipe"]["crop"] == 224
    assert [entry["tag"] for entry in document["tta_crops"]][:6] == ["TL", "TR", "BL", "BR", "C", "TL mirrored"]
    assert weights.as_dict()["tta_geometry"] == {"resize": "weights", "short_side": 232, "square": 232, "crop": 224}
    # --tta-resize weights is what this app did before: its centre view is the plain preprocessing.
    (plain,) = classify([path], mobilenet, topk=1)
    (centre_only,) = classify([path], mobilenet, tta=True, topk=1, tta_resize="weights", for_display=True)
    assert np.array_equal(centre_only.seen, plain.seen)
