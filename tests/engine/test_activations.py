"""capture(): feature extraction and hooks agree, in-place ReLU, budget, untraceable models, the mosaic."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from viewer.core.errors import BudgetError, ModelError
from viewer.core.results.activation import Activation
from viewer.engine.activations import capture, channel_grid, estimate_bytes, recording_outputs
from viewer.engine.models.registry import build_model
from viewer.engine.summary import meta_model, summarize


@pytest.fixture(scope="module")
def lenet() -> nn.Module:
    torch.manual_seed(0)
    return build_model("lenet5")


def _image(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(1))


def test_lenet5_matches_a_manual_forward(lenet: nn.Module) -> None:
    image = _image(1, 1, 28, 28)
    result = capture(lenet, image, ["features.0", "features.2", "classifier.4"], dtype=np.float32)
    with torch.no_grad():
        conv1 = lenet.features[0](image)
        pool1 = lenet.features[2](torch.relu(conv1))
        logits = lenet(image)

    assert list(result) == ["features.0", "features.2", "classifier.4"]
    assert all(activation.method == "fx" for activation in result.values())
    first = result["features.0"]
    np.testing.assert_allclose(first.array, conv1[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(result["features.2"].array, pool1[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(result["classifier.4"].array, logits[0].numpy(), atol=1e-5)
    assert result["classifier.4"].array.shape == (10,) and result["classifier.4"].channels == 10

    # Statistics per channel, computed on the float32 values.
    maps = conv1[0].numpy()
    np.testing.assert_allclose(first.mean, maps.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(first.max, maps.max(axis=(1, 2)), rtol=1e-6)
    assert list(first.order["mean"]) == list(np.argsort(-maps.mean(axis=(1, 2))))
    assert list(first.order["index"]) == list(range(6))
    assert first.receptive_field is not None and first.receptive_field.size == (5, 5)
    assert first.input_shape == (1, 28, 28)


def test_default_dtype_is_float16_and_input_may_be_chw(lenet: nn.Module) -> None:
    result = capture(lenet, _image(1, 28, 28), ["features.1"])
    activation = result["features.1"]
    assert activation.array.dtype == np.float16 and activation.array.shape == (6, 24, 24)
    np.testing.assert_allclose(activation.zero_fraction, (activation.array == 0).mean(axis=(1, 2)), atol=1e-6)
    assert np.array_equal(activation.dead, activation.max <= 0)


def test_hooks_and_feature_extraction_agree_on_a_torchvision_model() -> None:
    torch.manual_seed(0)
    model = build_model("resnet18")
    image = _image(1, 3, 64, 64)
    # Leaves, blocks, a module called twice (relu: the first call) and the classifier.
    layers = ["conv1", "layer1.0.conv1", "layer1.0.relu", "layer1.0", "layer2", "avgpool", "fc"]
    by_fx = capture(model, image, layers, method="fx", dtype=np.float32)
    by_hooks = capture(model, image, layers, method="hooks", dtype=np.float32)
    for name in layers:
        assert by_fx[name].method == "fx" and by_hooks[name].method == "hooks"
        np.testing.assert_allclose(by_fx[name].array, by_hooks[name].array, atol=1e-5, err_msg=name)
    assert by_fx["layer2"].array.shape == (128, 8, 8)


def test_in_place_relu_does_not_overwrite_the_convolution() -> None:
    torch.manual_seed(0)
    model = build_model("alexnet")
    image = _image(1, 3, 127, 127)
    with torch.no_grad():
        conv = model.features[0](image)
    assert (conv < 0).any()  # the point of the test: negative values that ReLU(inplace=True) would erase
    for method in ("fx", "hooks"):
        result = capture(model, image, ["features.0", "features.1", "features.2"], method=method, dtype=np.float32)
        np.testing.assert_allclose(result["features.0"].array, conv[0].numpy(), atol=1e-5)
        np.testing.assert_allclose(result["features.1"].array, conv[0].clamp(min=0).numpy(), atol=1e-5)
        assert result["features.0"].array.min() < 0


def test_budget_refusal_gives_the_estimate() -> None:
    summary = summarize("alexnet")
    assert estimate_bytes(summary, ["features.0"]) == 64 * 55 * 55 * (4 + 2)
    assert estimate_bytes(summary, ["features.0"], dtype=np.float32) == 64 * 55 * 55 * 8
    with pytest.raises(BudgetError, match=r"about 1 MB.*budget"):
        capture(meta_model("alexnet"), torch.empty(3, 224, 224, device="meta"), ["features.0"], budget_bytes=10**5)


class _Untraceable(nn.Module):
    """Control flow on a tensor's value: torch.fx cannot trace it, hooks can."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.relu = nn.ReLU(inplace=True)
        self.head = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv(x))
        if x.mean() > 0:
            x = x * 2
        return self.head(x.mean(dim=(2, 3)))


def test_untraceable_model_falls_back_to_hooks_and_removes_them() -> None:
    torch.manual_seed(0)
    model = _Untraceable().eval()
    image = _image(1, 1, 8, 8)
    result = capture(model, image, ["conv", "head"], dtype=np.float32)
    assert result["conv"].method == "hooks"
    with torch.no_grad():
        expected = model.conv(image)
    np.testing.assert_allclose(result["conv"].array, expected[0].numpy(), atol=1e-6)
    assert result["conv"].array.min() < 0  # cloned before the in-place ReLU
    assert result["head"].array.shape == (2,)
    assert all(not module._forward_hooks for module in model.modules())
    with pytest.raises(torch.fx.proxy.TraceError):  # method="fx" alone does not fall back
        capture(model, image, ["conv"], method="fx")


def test_hooks_are_removed_even_when_the_forward_fails(lenet: nn.Module) -> None:
    with pytest.raises(RuntimeError), recording_outputs(lenet, ["features.0", "classifier.0"]):
        lenet(torch.zeros(1, 1, 20, 20))  # too small for the classifier
    assert all(not module._forward_hooks for module in lenet.modules())


def test_wrong_layers_are_readable_errors(lenet: nn.Module) -> None:
    with pytest.raises(ModelError, match=r"features.0"):
        capture(lenet, _image(1, 28, 28), ["feature.0"])
    model = meta_model("googlenet", aux_logits=True)
    with pytest.raises(ModelError, match="does not run at inference"):
        capture(model, torch.empty(3, 224, 224, device="meta"), ["aux1"])


def _activation(maps: np.ndarray) -> Activation:
    flat = maps.reshape(maps.shape[0], -1)
    mean, peak = flat.mean(axis=1), flat.max(axis=1)
    return Activation(
        layer="x", array=maps, mean=mean, max=peak, zero_fraction=(flat == 0).mean(axis=1),
        receptive_field=None, input_shape=(1, 4, 4),
    )  # fmt: skip


def test_channel_grid_layout_order_and_dead_border() -> None:
    maps = np.zeros((3, 4, 4), dtype=np.float32)
    maps[0] = np.arange(16).reshape(4, 4)  # a ramp
    maps[1] = 10.0  # constant, the strongest mean (the ramp's is 7.5)
    # maps[2] stays zero: dead
    activation = _activation(maps)
    grid = channel_grid(activation, columns=2, colormap="gray")
    assert grid.shape == (9, 9, 3) and grid.dtype == np.uint8
    assert tuple(grid[4, 0]) == (32, 32, 32)  # the 1-px gap between rows
    assert tuple(grid[0, 0]) == (0, 0, 0) and tuple(grid[3, 3]) == (255, 255, 255)  # ramp: black → white
    assert tuple(grid[5, 0]) == (220, 30, 30)  # channel 2 (row 1, col 0) is dead: red border
    assert tuple(grid[6, 1]) == (0, 0, 0)  # and black inside

    by_mean = channel_grid(activation, order="mean", normalize="layer", colormap="gray", mark_dead=False)
    # Channel 1 (mean 10) comes first; on the layer's 0..15 scale it is two thirds of the way up.
    assert tuple(by_mean[0, 0]) == (170, 170, 170)
    assert tuple(by_mean[0, 5]) == (0, 0, 0) and tuple(by_mean[3, 8]) == (255, 255, 255)  # then the ramp
    assert not (by_mean == (220, 30, 30)).all(axis=-1).any()

    vector = _activation(np.array([1.0, -1.0, 3.0], dtype=np.float32).reshape(3, 1, 1))
    assert channel_grid(vector).shape == (3, 3, 3)  # 2 columns of 1x1 tiles


class _Suffixed(nn.Module):
    """Module names ending in _<n>: torchvision's node names renumber them (``ln_2`` becomes node ``ln_1``)."""

    def __init__(self) -> None:
        super().__init__()
        self.ln_1 = nn.Conv2d(1, 2, 1)
        self.ln_2 = nn.Conv2d(2, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln_2(self.ln_1(x).tanh())


def test_feature_extraction_names_are_the_module_names() -> None:
    torch.manual_seed(0)
    model = _Suffixed().eval()
    image = _image(1, 1, 5, 5)
    with torch.no_grad():
        first = model.ln_1(image)
        second = model.ln_2(first.tanh())
    result = capture(model, image, ["ln_2", "ln_1"], method="fx", dtype=np.float32)
    np.testing.assert_allclose(result["ln_1"].array, first[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(result["ln_2"].array, second[0].numpy(), atol=1e-6)


def test_layers_inside_modules_torchvision_keeps_whole_use_hooks() -> None:
    torch.manual_seed(0)
    model = build_model("mobilenet_v2")
    image = _image(1, 3, 64, 64)
    # features.0 is a Conv2dNormActivation, one node for feature extraction: its conv has no node of its own.
    inner = capture(model, image, ["features.0.0", "features.1"], dtype=np.float32)
    assert {activation.method for activation in inner.values()} == {"hooks"}
    with torch.no_grad():
        conv = model.features[0][0](image)
    np.testing.assert_allclose(inner["features.0.0"].array, conv[0].numpy(), atol=1e-5)
    outer = capture(model, image, ["features.0", "features.1"], dtype=np.float32)
    assert {activation.method for activation in outer.values()} == {"fx"}
    np.testing.assert_allclose(outer["features.1"].array, inner["features.1"].array, atol=1e-5)
    with pytest.raises(ModelError, match=r"cannot reach features.0.0"):
        capture(model, image, ["features.0.0"], method="fx")


def test_picking_another_layer_does_not_trace_the_model_again_for_its_names(monkeypatch) -> None:
    import gc
    import weakref

    from torchvision.models.feature_extraction import NodePathTracer

    traces = []
    original = NodePathTracer.trace
    monkeypatch.setattr(NodePathTracer, "trace", lambda self, *a, **k: traces.append(1) or original(self, *a, **k))
    torch.manual_seed(0)
    model = build_model("resnet18")
    batch = torch.randn(1, 3, 64, 64)
    capture(model, batch, ["layer1.0.conv1"], method="fx")
    first = len(traces)
    capture(model, batch, ["layer2.0.conv2"], method="fx")
    assert len(traces) - first == first - 1  # the extractor's own traces only, not the names' trace again
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None  # what is kept per model does not keep the model


def test_readable_scale_zooms_small_maps_and_keeps_large_ones_native() -> None:
    from viewer.engine.activations import readable_scale

    assert readable_scale((32, 28, 28)) == 6  # 6x6 tiles: 173 px native, 1013 px zoomed
    assert readable_scale((512, 56, 56)) == 1  # 23 columns: already 1310 px, never below one pixel per cell
    assert readable_scale((10,)) == 255  # a vector: 4x3 one-pixel tiles become readable squares
    activation = _activation(np.arange(1, 9, dtype=np.float32).reshape(2, 2, 2))
    grid = channel_grid(activation, columns=2, colormap="gray", scale=3)
    assert grid.shape == (6, 13, 3)  # two 6x6 tiles, 1 px apart
    assert (grid[:3, :3] == grid[0, 0]).all() and not (grid[:3, :6] == grid[0, 0]).all()
