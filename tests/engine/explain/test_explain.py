"""Explanation methods: each peaks on its class's object (real MobileNetV2), occlusion equals a brute-force loop
and Captum's Occlusion, Grad-CAM equals a hand-computed Grad-CAM, applicability, progress, export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from viewer.core.errors import ModelError, UnsupportedModelError
from viewer.core.progress import Progress, run_job
from viewer.engine.explain.export import explanation_paths, write_explanation
from viewer.engine.explain.input import explain_input
from viewer.engine.explain.methods import METHODS, applicable_methods, explain, gradcam_layer, run_explain
from viewer.engine.explain.occlusion import check_occlusion, occlusion_origins, occlusion_sweep
from viewer.engine.images import load_image, to_display_array
from viewer.engine.models.weights import load_model

GERMAN_SHEPHERD, ESPRESSO = 235, 967
HALF = 256  # each photo is resized to HALF×HALF; the dog is the left half, the espresso the right half


@pytest.fixture(scope="module")
def mobilenet(shared_data: Path):
    return load_model("mobilenet_v2", str(shared_data / "weights/mobilenet_v2_imagenet1k.pth"), device="cpu")


@pytest.fixture(scope="module")
def two_objects(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """tv_dog2 (a German shepherd) on the left, sk_coffee (an espresso) on the right: one 512×256 image."""
    canvas = Image.new("RGB", (2 * HALF, HALF))
    for number, name in enumerate(("tv_dog2.jpg", "sk_coffee.png")):
        with Image.open(shared_data / "images" / name) as photo:
            canvas.paste(photo.convert("RGB").resize((HALF, HALF)), (number * HALF, 0))
    path = tmp_path_factory.mktemp("explain") / "dog_and_coffee.png"
    canvas.save(path)
    return load_image(path)


def smoothed_peak_x(scores: np.ndarray) -> int:
    """The x of the peak of the map averaged over a 63-px box: pixel-level methods (saliency, IG) are speckled,
    and one bright pixel on an edge of the other object would say nothing about where the evidence lies."""
    tensor = torch.from_numpy(np.array(scores, dtype=np.float32))[None, None]
    smooth = F.avg_pool2d(tensor, 63, stride=1, padding=31, count_include_pad=False)[0, 0]
    return int(smooth.argmax()) % scores.shape[1]


OPTIONS = {"ig": {"steps": 8, "chunks": 2}, "occlusion": {"patch": 64, "stride": 48}, "dense": {"scales": [1.0]}}


@pytest.mark.parametrize("method", METHODS)
def test_each_method_peaks_on_the_object_of_its_class(mobilenet, two_objects, method: str) -> None:
    for class_index, half in ((GERMAN_SHEPHERD, 0), (ESPRESSO, 1)):
        result = run_explain(mobilenet, two_objects, method, class_index=class_index, **OPTIONS.get(method, {}))
        assert result.scores.shape == (HALF, 2 * HALF) and result.scores.dtype == np.float32
        assert result.method == method and result.class_index == class_index
        assert np.isfinite(result.scores).all()
        x = smoothed_peak_x(result.scores)
        assert half * HALF <= x < (half + 1) * HALF, f"{method} {result.class_name}: peak at x={x}"


def test_gradcam_equals_a_hand_computed_gradcam(mobilenet, two_objects) -> None:
    result = run_explain(mobilenet, two_objects, "gradcam", class_index=GERMAN_SHEPHERD)
    layer_name, reason = gradcam_layer(mobilenet)
    assert (layer_name, reason) == ("features", None) and result.parameters["layer"] == "features"
    # Selvaraju et al.: weights = spatial mean of d score / d A; map = ReLU(Σ_k weight_k A_k).
    stored: dict[str, torch.Tensor] = {}
    layer = mobilenet.model.features

    def keep(_module, _inputs, output):
        output.register_hook(lambda grad: stored.__setitem__("grad", grad))
        stored["act"] = output

    handle = layer.register_forward_hook(keep)
    try:
        x = explain_input(mobilenet, two_objects).tensor.clone().requires_grad_(True)
        mobilenet.model(x)[0, GERMAN_SHEPHERD].backward()
    finally:
        handle.remove()
    weights = stored["grad"].mean(dim=(2, 3), keepdim=True)
    expected = torch.relu((weights * stored["act"]).sum(dim=1))[0].detach().numpy()
    assert result.raw is not None and result.raw.shape == expected.shape == (7, 14)
    np.testing.assert_allclose(result.raw, expected, rtol=1e-4, atol=1e-6 * float(expected.max()))


class TinyNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)).mean(dim=(2, 3)))


@pytest.mark.parametrize(("height", "width", "patch", "stride"), [(20, 24, 6, 3), (17, 23, 5, 4), (8, 8, 9, 2)])
def test_occlusion_equals_a_brute_force_loop(height: int, width: int, patch: int, stride: int) -> None:
    torch.manual_seed(0)
    model = TinyNet().eval()
    x = torch.randn(1, 3, height, width)
    sweep = run_job(occlusion_sweep(model, x, 2, patch=patch, stride=stride, score="logit", batch_size=7))
    with torch.no_grad():
        base = model(x)[0, 2]
        total, count = torch.zeros(height, width), torch.zeros(height, width)
        rows, cols = occlusion_origins(height, patch, stride), occlusion_origins(width, patch, stride)
        grid = torch.zeros(len(rows), len(cols))
        for i, y in enumerate(rows):
            for j, x0 in enumerate(cols):
                occluded = x.clone()
                occluded[:, :, y : y + patch, x0 : x0 + patch] = 0
                drop = base - model(occluded)[0, 2]
                grid[i, j] = drop
                total[y : y + patch, x0 : x0 + patch] += drop
                count[y : y + patch, x0 : x0 + patch] += 1
    assert (count > 0).all()  # every pixel covered
    np.testing.assert_allclose(sweep.grid, grid.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sweep.scores, (total / count).numpy(), rtol=1e-5, atol=1e-6)


def test_a_step_time_bound_makes_smaller_batches_with_the_same_map() -> None:
    torch.manual_seed(0)
    model = TinyNet().eval()
    x = torch.randn(1, 3, 20, 24)
    whole = run_job(occlusion_sweep(model, x, 2, patch=6, stride=3, score="logit", batch_size=32))
    job = occlusion_sweep(model, x, 2, patch=6, stride=3, score="logit", batch_size=32, step_seconds=1e-9)
    steps = []
    while True:
        try:
            steps.append(next(job))
        except StopIteration as end:
            bounded = end.value
            break
    assert len(steps) == bounded.patches + 1  # one patch a step: the bound is below one forward pass
    np.testing.assert_allclose(bounded.scores, whole.scores, rtol=1e-5, atol=1e-6)


def test_occlusion_equals_captums_where_the_strides_fit() -> None:
    from captum.attr import Occlusion

    torch.manual_seed(1)
    model = TinyNet().eval()
    x = torch.randn(1, 3, 18, 22)  # (18 - 6) and (22 - 6) are multiples of the stride 4: the same windows
    sweep = run_job(occlusion_sweep(model, x, 1, patch=6, stride=4, score="prob"))
    theirs = Occlusion(lambda t: torch.softmax(model(t), dim=1)).attribute(
        x, sliding_window_shapes=(3, 6, 6), strides=(3, 4, 4), baselines=0, target=1
    )
    np.testing.assert_allclose(sweep.scores, theirs[0, 0].detach().numpy(), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(("size", "patch", "stride", "words"), [
    ((28, 28), 28, 4, "would be one value everywhere; use a patch of at most 27 pixels"),
    ((300, 224), 224, 8, "would not vary along its height"),
    ((224, 300), 230, 8, "would not vary along its width"),
    ((224, 224), 32, 40, "a stride of 40 pixels is longer than the 32-pixel patch"),
    ((224, 224), 0, 8, "at least one pixel"),
])  # fmt: skip
def test_occlusion_refuses_a_patch_or_stride_whose_map_would_mean_nothing(
    size: tuple[int, int], patch: int, stride: int, words: str
) -> None:
    with pytest.raises(ModelError, match=words):
        check_occlusion(size, patch, stride)


@pytest.mark.parametrize(("size", "patch", "stride"), [((28, 28), 27, 8), ((28, 28), 20, 30), ((300, 224), 32, 32)])
def test_occlusion_takes_a_stride_past_the_patch_where_the_flush_origin_covers_the_rest(
    size: tuple[int, int], patch: int, stride: int
) -> None:
    check_occlusion(size, patch, stride)  # 28 px, patch 20, stride 30: origins 0 and 8 cover every pixel


def test_explain_checks_the_occlusion_against_the_network_input(shared_data: Path) -> None:
    lenet = load_model("lenet5", "default", device="cpu")
    digit = shared_data / "mnist/mnist_3.png"
    with pytest.raises(ModelError, match="32-pixel patch is not smaller than the 28×28 network input"):
        run_explain(lenet, digit, "occlusion", class_index=3, patch=32, stride=8)
    assert run_explain(lenet, digit, "occlusion", class_index=3, patch=7, stride=7).scores.std() > 0


def test_occlusion_yields_a_progress_per_batch_and_cancels(mobilenet, two_objects) -> None:
    job = explain(mobilenet, two_objects, "occlusion", class_index=ESPRESSO, patch=64, stride=32, batch_size=8)
    steps = [next(job) for _ in range(3)]
    assert all(isinstance(step, Progress) for step in steps)
    assert steps[-1].total > 3 and 0 < steps[-1].fraction < 1
    job.close()  # the worker's cancel: nothing runs after the last yield


def test_applicable_methods_says_why_not(mobilenet, two_objects) -> None:
    assert applicable_methods(mobilenet) == dict.fromkeys(METHODS)
    vit = load_model("vit_b_16", "none", device="meta")  # only its structure is read
    reasons = applicable_methods(vit)
    assert reasons["gradcam"] and "transformer" in reasons["gradcam"]
    assert reasons["occlusion"] is None and reasons["saliency"] is None
    with pytest.raises(UnsupportedModelError, match="Grad-CAM"):
        run_job(explain(vit, two_objects, "gradcam", class_index=0))


def test_lenet_gets_a_squashed_input_and_a_note(shared_data: Path) -> None:
    lenet = load_model("lenet5", "default", device="cpu")
    result = run_explain(lenet, shared_data / "mnist/mnist_3.png", "saliency", class_index=3)
    assert result.input_size == (28, 28) and result.scores.shape == (28, 28)
    assert gradcam_layer(lenet)[0] == "features"


def test_unknown_method_and_class_are_refused(mobilenet, two_objects) -> None:
    with pytest.raises(ModelError, match="method"):
        run_job(explain(mobilenet, two_objects, "lime"))
    with pytest.raises(ModelError, match="no class 1000"):
        run_job(explain(mobilenet, two_objects, "saliency", class_index=1000))


def test_export_writes_png_npy_and_json_per_method(mobilenet, two_objects, tmp_path: Path) -> None:
    result = run_explain(mobilenet, two_objects, "gradcam", class_index=GERMAN_SHEPHERD)
    rgb = to_display_array(two_objects)
    written = write_explanation(tmp_path, rgb, result)
    assert [p.suffix for p in written] == [".png", ".npy", ".json"]
    assert written == explanation_paths(tmp_path, result)
    assert "gradcam" in written[0].name and "German_shepherd" in written[0].name
    np.testing.assert_array_equal(np.load(written[1], allow_pickle=False), result.scores)
    record = json.loads(written[2].read_text())
    assert record["method"] == "gradcam" and record["parameters"]["layer"] == "features"
    assert record["versions"]["captum"]
    with Image.open(written[0]) as png:
        assert png.size == two_objects.size
    with pytest.raises(Exception, match="already exists"):
        write_explanation(tmp_path, rgb, result)
