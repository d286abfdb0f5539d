"""Classification with real ImageNet weights, test-time augmentation and the lecture's standardisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from viewer.engine.images import load_image, preprocess, ten_crop
from viewer.engine.inference import classify
from viewer.engine.models.registry import get_spec
from viewer.engine.models.weights import LoadedModel, load_model

SEED_NETWORKS = [
    "lenet5",
    "alexnet",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
    "nin",
    "googlenet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
]


@pytest.fixture(scope="module")
def mobilenet(shared_data: Path) -> LoadedModel:
    return load_model("mobilenet_v2", str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth"), device="cpu")


@pytest.mark.parametrize(
    "photo, expected", [("tv_dog2.jpg", "German shepherd"), ("sk_coffee.png", "espresso"), ("tv_dog1.jpg", "Pembroke")]
)
def test_real_weights_name_the_photo(mobilenet: LoadedModel, shared_data: Path, photo: str, expected: str) -> None:
    (prediction,) = classify([str(shared_data / "images" / photo)], mobilenet, topk=5)
    assert prediction.topk[0].name == expected
    assert prediction.pretrained and "sha256" in prediction.weights
    probs = [t.prob for t in prediction.topk]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.0 + 1e-6
    assert prediction.probs.sum() == pytest.approx(1.0, abs=1e-4)


def test_batch_gives_the_same_answers_as_one_by_one(mobilenet: LoadedModel, shared_data: Path) -> None:
    paths = [str(shared_data / "images" / name) for name in ("tv_dog2.jpg", "sk_coffee.png", "kitten.jpg")]
    together = classify(paths, mobilenet)
    for path, batched in zip(paths, together, strict=True):
        (alone,) = classify([path], mobilenet)
        torch.testing.assert_close(
            torch.from_numpy(batched.logits), torch.from_numpy(alone.logits), rtol=1e-4, atol=1e-4
        )


def test_tta_is_the_mean_of_the_ten_views(mobilenet: LoadedModel, shared_data: Path) -> None:
    path = shared_data / "images" / "tv_dog1.jpg"
    (plain,) = classify([str(path)], mobilenet)
    (augmented,) = classify([str(path)], mobilenet, tta=True)
    views = ten_crop(load_image(path), mobilenet.input, resize=256)  # the paper's shorter side, not the weights' 232
    with torch.inference_mode():
        independent = torch.stack([mobilenet.model(view.unsqueeze(0))[0] for view in views]).mean(0)
    torch.testing.assert_close(torch.from_numpy(augmented.logits), independent, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(torch.from_numpy(plain.logits), independent)
    assert augmented.tta and augmented.topk[0].name in ("Pembroke", "Cardigan")


def test_seen_is_the_network_input_de_normalised(mobilenet: LoadedModel, shared_data: Path) -> None:
    path = shared_data / "images" / "tv_dog2.jpg"
    (prediction,) = classify([str(path)], mobilenet)
    expected = preprocess(load_image(path), mobilenet.input)
    torch.testing.assert_close(torch.from_numpy(prediction.network_input), expected)
    assert "seen" not in vars(prediction)  # not made until someone shows it
    seen = prediction.seen
    assert seen.dtype == np.uint8 and seen.shape == (224, 224, 3)
    mean, std = np.array(mobilenet.input.mean), np.array(mobilenet.input.std)
    by_hand = np.clip(expected.numpy().transpose(1, 2, 0) * std + mean, 0, 1) * 255
    assert np.abs(seen.astype(float) - by_hand).max() <= 0.51
    (augmented,) = classify([str(path)], mobilenet, tta=True)
    assert augmented.network_input.shape == (3, 224, 224)
    # Its own memory, not a view that keeps the other nine views alive with the prediction.
    assert augmented.network_input.base.untyped_storage().nbytes() == 3 * 224 * 224 * 4
    (shown,) = classify([str(path)], mobilenet, for_display=True)  # as the GUI keeps it
    assert shown.network_input is None and np.array_equal(shown.seen, seen)


def test_standardize_runs_on_the_full_image_and_changes_the_scores(mobilenet: LoadedModel, shared_data: Path) -> None:
    path = shared_data / "images" / "sk_coffee.png"
    (plain,) = classify([str(path)], mobilenet)
    (standardized,) = classify([str(path)], mobilenet, preset="standardize")
    image = load_image(path)
    expected = mobilenet.model(preprocess(image, mobilenet.input, "standardize").unsqueeze(0))[0].detach()
    torch.testing.assert_close(torch.from_numpy(standardized.logits), expected, rtol=1e-4, atol=1e-4)
    assert standardized.seen.shape[:2] == (image.size[1], image.size[0])
    assert abs(standardized.logits - plain.logits).max() > 0.1


def test_edge_case_images_all_classify(mobilenet: LoadedModel, shared_data: Path) -> None:
    names = [
        "tv_gray_pytorch.jpg",
        "sk_camera.png",
        "tv_rgbalpha_pytorch.png",
        "snake.png",
        "spider.png",
        "exif_Landscape_6.jpg",
    ]
    predictions = classify([str(shared_data / "images" / n) for n in names], mobilenet)
    assert [len(p.topk) for p in predictions] == [5] * len(names)
    assert predictions[1].topk[0].name == "tripod"


@pytest.mark.parametrize("name", SEED_NETWORKS)
def test_every_seed_network_classifies_a_photo_with_random_weights(name: str, shared_data: Path) -> None:
    loaded = load_model(name, "none", device="cpu")
    (prediction,) = classify([str(shared_data / "images" / "tv_dog2.jpg")], loaded, topk=3)
    assert not prediction.pretrained and "random init" in prediction.weights
    assert len(prediction.topk) == 3 and len(prediction.logits) == len(loaded.categories)
    spec = get_spec(name)
    assert sum(p.numel() for p in loaded.model.parameters()) == spec.num_params
