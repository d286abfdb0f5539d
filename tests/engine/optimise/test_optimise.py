"""The optimised image of a channel (issue 23) with the shared ImageNet MobileNetV2: for a random channel of
``features.10`` it excites that channel more than every patch of the shared photos does, two channels' images
differ, a seed gives the same image; progress, cancel, bad requests, a grey network and the engine's job table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF

from viewer.core.errors import ModelError
from viewer.core.progress import Progress, run_job
from viewer.core.results.optimised import OptimisedImage
from viewer.core.wire import decode, encode
from viewer.engine.activations import layer_outputs
from viewer.engine.images import load_image, preprocess
from viewer.engine.jobs import job
from viewer.engine.models.weights import LoadedModel, load_model
from viewer.engine.optimise.job import optimise_channel
from viewer.engine.summary import summarize

LAYER = "features.10"  # MobileNetV2's 64-channel block at 14 x 14
# Enough for a margin: after 32 steps the image's mean already passes the photos' strongest cell (by 0.2 to 1.0 for
# five channels tried), after 64 by 1 to 2 (its mean is 3.3 to 4.5, their best cell 2.1 to 2.7).
STEPS = 64


@pytest.fixture(scope="module")
def mobilenet(shared_data: Path) -> LoadedModel:
    return load_model("mobilenet_v2", str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth"), device="cpu")


@pytest.fixture(scope="module")
def channels() -> tuple[int, int]:
    """Two different channels of the layer, drawn at random once (seeded, so a failure can be rerun)."""
    first, second = np.random.default_rng(23).choice(64, size=2, replace=False)
    return int(first), int(second)


@pytest.fixture(scope="module")
def optimised(mobilenet: LoadedModel, channels: tuple[int, int]) -> dict[int, tuple[OptimisedImage, list[Progress]]]:
    runs = {}
    for channel in channels:
        steps: list[Progress] = []
        runs[channel] = run_job(optimise_channel(mobilenet, LAYER, channel, steps=STEPS, seed=0), steps.append), steps
    return runs


def _maps(loaded: LoadedModel, batch: torch.Tensor) -> torch.Tensor:
    """``LAYER``'s maps (N, 64, 14, 14) for a normalised batch, taken as the Activations tab takes them."""
    with torch.no_grad():
        outputs, _ = layer_outputs(loaded.model, batch, [LAYER], summarize(loaded))
    return outputs[LAYER]


def _as_seen(loaded: LoadedModel, image: np.ndarray) -> torch.Tensor:
    """The 8-bit RGB image as the network's input: pixels in [0, 1], normalised with the weights' mean and std."""
    pixels = torch.from_numpy(image).permute(2, 0, 1).float() / 255
    return TF.normalize(pixels, list(loaded.input.mean), list(loaded.input.std)).unsqueeze(0)


def test_the_image_excites_its_channel_more_than_every_patch_of_the_photos(
    mobilenet: LoadedModel, optimised: dict[int, tuple[OptimisedImage, list[Progress]]], shared_data: Path
) -> None:
    photos = sorted(p for p in (shared_data / "images").iterdir() if p.suffix in (".jpg", ".png"))
    assert len(photos) >= 15
    # Each photo as classification feeds it: the weights' resize, centre crop and normalisation.
    maps = _maps(mobilenet, torch.stack([preprocess(load_image(p), mobilenet.input, "weights") for p in photos]))
    for channel, (result, steps) in optimised.items():
        assert result.image.shape == (224, 224, 3) and result.image.dtype == np.uint8
        assert (result.layer, result.channel, result.steps, result.seed) == (LAYER, channel, STEPS, 0)
        assert result.values.shape == (STEPS,) and result.end_value > result.start_value
        # The PNG's own pixels, measured here independently of the job: the channel's mean over its whole map...
        value = float(_maps(mobilenet, _as_seen(mobilenet, result.image))[0, channel].mean())
        assert value == pytest.approx(result.end_value, rel=1e-4, abs=1e-4)
        # ...is above the channel's value at every cell of every photo (each cell sees one patch of the photo),
        # so above every photo's mean over its map too.
        strongest = maps[:, channel].amax(dim=(1, 2))
        assert value > float(strongest.max()), f"channel {channel}: {value:.3f} vs {strongest.tolist()}"
        assert [step.step for step in steps] == list(range(STEPS + 1))
        assert all(step.total == STEPS for step in steps) and "objective" in steps[-1].message


def test_two_channels_images_differ_and_each_excites_its_own_channel_more(
    mobilenet: LoadedModel, optimised: dict[int, tuple[OptimisedImage, list[Progress]]], channels: tuple[int, int]
) -> None:
    first, second = (optimised[channel][0] for channel in channels)
    difference = np.abs(first.image.astype(np.int16) - second.image.astype(np.int16)).mean()
    assert difference > 20, difference  # of 255: two different pictures, not one with a shift of colour
    maps = _maps(mobilenet, torch.cat([_as_seen(mobilenet, first.image), _as_seen(mobilenet, second.image)]))
    means = maps[:, list(channels)].mean(dim=(2, 3))  # rows: the images, columns: the channels
    assert means[0, 0] > means[1, 0] and means[1, 1] > means[0, 1]


def test_a_seed_gives_the_same_image_and_another_seed_another(mobilenet: LoadedModel) -> None:
    def image(seed: int) -> OptimisedImage:
        return run_job(optimise_channel(mobilenet, LAYER, 5, steps=12, seed=seed))

    first, again, other = image(7), image(7), image(8)
    assert np.array_equal(first.image, again.image)
    assert np.array_equal(first.values, again.values)
    assert np.abs(first.image.astype(np.int16) - other.image.astype(np.int16)).mean() > 5


def test_a_cancelled_optimisation_leaves_the_network_as_it_was(mobilenet: LoadedModel) -> None:
    before = {name: p.detach().clone() for name, p in mobilenet.model.named_parameters()}
    running = optimise_channel(mobilenet, LAYER, 0, steps=100)
    for _ in range(3):
        next(running)
    running.close()  # as the engine cancels: between two steps
    assert all(not module._forward_hooks for module in mobilenet.model.modules())
    assert all(p.grad is None for p in mobilenet.model.parameters())  # only the image's gradient was computed
    assert all(torch.equal(p, before[name]) for name, p in mobilenet.model.named_parameters())
    assert not mobilenet.model.training


def test_a_class_logit_is_named_and_the_result_crosses_the_wire(mobilenet: LoadedModel) -> None:
    result = run_job(job("optimised_image")(mobilenet, "", 1, steps=4, size=96, seed=0))
    assert result.channel_name == "goldfish" and result.title == "class 1 (goldfish)"
    assert result.image.shape == (96, 96, 3) and result.size == (96, 96)
    assert result.settings["decorrelate"] is True and result.settings["mean"] == list(mobilenet.input.mean)
    back = decode(encode(result).data)
    assert isinstance(back, OptimisedImage) and np.array_equal(back.image, result.image)
    assert back.provenance() == result.provenance()


def test_a_grey_network_with_a_fixed_input_gets_a_grey_image_at_its_size() -> None:
    lenet = load_model("lenet5", device="cpu")
    result = run_job(optimise_channel(lenet, "classifier.4", 3, steps=8))
    side = lenet.input.crop_size
    assert result.image.shape == (side, side, 3)
    assert np.array_equal(result.image[..., 0], result.image[..., 1]) and result.settings["decorrelate"] is False
    with pytest.raises(ModelError, match="cannot run on a 20x20 image"):
        run_job(optimise_channel(lenet, "classifier.4", 3, steps=1, size=20))


@pytest.mark.parametrize(
    ("layer", "channel", "steps", "message"),
    [
        ("features.99", 0, 1, "no layer named 'features.99'"),
        (LAYER, 64, 1, "channels 0 to 63, not 64"),
        (LAYER, 0, 0, "at least one step"),
    ],
)
def test_a_bad_request_is_one_sentence(
    mobilenet: LoadedModel, layer: str, channel: int, steps: int, message: str
) -> None:
    with pytest.raises(ModelError, match=message):
        run_job(optimise_channel(mobilenet, layer, channel, steps=steps))
