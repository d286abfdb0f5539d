"""Deconvolution and guided backpropagation from one unit: the gradient stays in the unit's receptive field, each
map is Captum's own for that unit (so the mapping and the crops are what is checked), the ReLU rules reach in-place,
reused and ReLU6 modules (checked against an independent autograd rule), the default cell is the channel's argmax,
functional ReLU is refused, and the job's result crosses the wire."""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.attr import NeuronDeconvolution, NeuronGuidedBackprop
from torch import nn

from viewer.core.errors import ModelError, UnsupportedModelError
from viewer.core.images.files import read_image_file
from viewer.core.job_names import JobName
from viewer.core.progress import Progress, run_job
from viewer.core.results.unit import UNIT_METHODS, UnitAttribution, box_slices
from viewer.core.wire import decode, encode
from viewer.engine.explain.input import explain_input, to_image_pixels
from viewer.engine.explain.unit import run_unit_attribution, unit_attribution
from viewer.engine.images import load_image
from viewer.engine.jobs import JOBS, session
from viewer.engine.models.weights import LoadedModel, load_model
from viewer.engine.summary import summarize

CAPTUM = {"deconvolution": NeuronDeconvolution, "guided_backprop": NeuronGuidedBackprop}


@pytest.fixture(scope="module")
def mobilenet(shared_data: Path) -> LoadedModel:
    return load_model("mobilenet_v2", str(shared_data / "weights/mobilenet_v2_imagenet1k.pth"), device="cpu")


@pytest.fixture(scope="module")
def photo(shared_data: Path):
    """A 768x576 photo (dog, bicycle, truck): not square, so the two axes map to the image differently."""
    return load_image(shared_data / "images" / "darknet_dog.jpg")


def _captum(loaded: LoadedModel, photo, layer: str, method: str, selector: tuple[int, ...]) -> np.ndarray:
    """Captum's neuron method for the unit, called directly on the whole-image input."""
    x = explain_input(loaded, photo).tensor.detach().clone().requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = CAPTUM[method](loaded.model, loaded.model.get_submodule(layer)).attribute(x, selector)
    return found.detach()[0].numpy()


def _layer_output(loaded: LoadedModel, photo, layer: str) -> torch.Tensor:
    kept: list[torch.Tensor] = []
    handle = loaded.model.get_submodule(layer).register_forward_hook(lambda *args: kept.append(args[2].clone()))
    try:
        with torch.no_grad():
            loaded.model(explain_input(loaded, photo).tensor)
    finally:
        handle.remove()
    return kept[0]


def test_every_nonzero_gradient_lies_in_the_units_receptive_field(mobilenet, photo) -> None:
    """MobileNetV2 up to features.6 is convolutions and element-wise ops only: outside the cell's field the
    gradient is exactly 0, in the input's pixels and (beyond the bilinear resize's reach) in the image's."""
    result = run_unit_attribution(mobilenet, photo, "features.6", 5)
    assert result.input_size == (299, 224) and result.image_size == (768, 576)
    field = summarize(mobilenet).find("features.6").receptive_field
    assert result.receptive_field == field and field is not None and field.size == (59, 59)
    unit = result.unit
    assert result.input_box == field.box(unit.row, unit.col, clip=(224, 299))
    scale = (768 / 299, 576 / 224)
    x0, y0, x1, y1 = result.input_box
    assert result.image_box == pytest.approx((x0 * scale[0], y0 * scale[1], x1 * scale[0], y1 * scale[1]))
    rows, cols = box_slices(result.input_box, (224, 299))
    image_rows, image_cols = box_slices(result.image_box, (576, 768))
    reach = math.ceil(max(scale)) + 1  # a bilinear pixel mixes input pixels up to one step away
    for method in UNIT_METHODS:
        item = result.maps[method]
        energy = np.square(item.attribution).sum(axis=0)
        assert energy[rows, cols].sum() > 0
        energy[rows, cols] = 0
        assert not energy.any() and item.outside_energy == 0  # exactly: nothing at all outside the box
        assert np.count_nonzero(item.magnitude) == np.count_nonzero(item.magnitude[rows, cols])
        outside = item.image_magnitude.copy()
        outside[
            max(0, image_rows.start - reach) : image_rows.stop + reach,
            max(0, image_cols.start - reach) : image_cols.stop + reach,
        ] = 0
        assert not outside.any()
        assert np.all(item.image_rgb[outside.shape[0] - 1, 0] == 128)  # far from the field: mid-grey
        assert result.crop(method, "rgb").shape == (rows.stop - rows.start, cols.stop - cols.start, 3)
        assert np.array_equal(result.crop(method, "image_magnitude"), item.image_magnitude[image_rows, image_cols])


def test_a_global_op_before_the_layer_lets_a_little_of_the_gradient_out_of_the_field(photo) -> None:
    """MobileNetV3's squeeze-excitation pools the whole map: the field is the local path's, and the gradient that
    comes through the pooling, outside it, is a tiny share (the network's random init, seeded, for the numbers)."""
    loaded = load_model("mobilenet_v3_small", "none", device="cpu", seed=0)
    result = run_unit_attribution(loaded, photo, "features.4", 3)
    assert result.receptive_field is not None and result.receptive_field.size == (63, 63)
    for item in result.maps.values():
        assert 0 < item.outside_energy < 1e-3
    assert any("Hardswish before features.4 pass the plain gradient" in note for note in result.notes)


@pytest.mark.parametrize("network", ["alexnet", "mobilenet_v2"])
def test_each_map_is_captums_own_for_that_unit_mapped_to_the_image(request, photo, network: str) -> None:
    """AlexNet's in-place nn.ReLU as Captum takes them; MobileNetV2's ReLU6 as Captum takes an nn.ReLU that clips
    at 6 (a copy of the network with such modules in their place)."""
    if network == "alexnet":
        loaded, layer = load_model("alexnet", "none", device="cpu", seed=3), "features.8"
        reference = loaded
    else:
        loaded, layer = request.getfixturevalue("mobilenet"), "features.5"
        reference = _with_relu6_as_relu_subclass(loaded)
    result = run_unit_attribution(loaded, photo, layer, 7)
    selector = (7, result.unit.row, result.unit.col)
    deconvolution, guided = (result.maps[method] for method in UNIT_METHODS)
    assert not np.allclose(deconvolution.attribution, guided.attribution, atol=1e-3 * deconvolution.peak)
    for method in UNIT_METHODS:
        item, expected = result.maps[method], _captum(reference, photo, layer, method, selector)
        np.testing.assert_allclose(item.attribution, expected, rtol=1e-5, atol=1e-7 * item.peak)
        assert item.peak == pytest.approx(float(np.abs(expected).max()))
        assert item.scale == pytest.approx(float(np.percentile(np.abs(expected[expected != 0]), 99)))
        signed = np.clip(item.attribution / item.scale, -1, 1).transpose(1, 2, 0)
        np.testing.assert_allclose(item.rgb, 0.5 + 0.5 * signed, atol=1e-6)
        np.testing.assert_allclose(item.magnitude, np.abs(signed).max(axis=2), atol=1e-6)
        np.testing.assert_allclose(item.image_magnitude, to_image_pixels(item.magnitude, photo.size), atol=1e-6)
        red = to_image_pixels(item.rgb[..., 0], photo.size)
        assert np.abs(item.image_rgb[..., 0].astype(np.float32) - 255 * red).max() <= 0.5 + 1e-3
        rows, cols = box_slices(result.input_box, item.magnitude.shape)
        assert np.array_equal(result.crop(method, "magnitude"), item.magnitude[rows, cols])
        rows, cols = box_slices(result.image_box, item.image_rgb.shape)
        assert np.array_equal(result.crop(method), item.image_rgb[rows, cols])


class _Rectify(torch.autograd.Function):
    """ReLU (or ReLU6 with ``top``) whose backward is deconvolution's or guided backpropagation's rule, written
    from the papers and not from Captum: deconvolution rectifies the signal passed back, guided backpropagation
    also applies the forward mask."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, top: float | None, guided: bool) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.top, ctx.guided = top, guided
        return x.clamp(0, top) if top is not None else x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        if not ctx.guided:
            return grad.clamp(min=0), None, None
        mask = (x > 0) & (x < ctx.top) if ctx.top is not None else x > 0
        return (grad * mask).clamp(min=0), None, None


class _RuleModule(nn.Module):
    def __init__(self, top: float | None, guided: bool) -> None:
        super().__init__()
        self.top, self.guided = top, guided

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _Rectify.apply(x, self.top, self.guided)


def _replaced(model: nn.Module, make) -> nn.Module:
    """A copy of ``model`` with every nn.ReLU / nn.ReLU6 module replaced by ``make(module)`` (a module that several
    calls share stays shared)."""
    copied = copy.deepcopy(model)
    made: dict[int, nn.Module] = {}
    for name, module in list(copied.named_modules()):
        if isinstance(module, (nn.ReLU, nn.ReLU6)):
            parent, _, child = name.rpartition(".")
            setattr(copied.get_submodule(parent), child, made.setdefault(id(module), make(module)))
    return copied


def _with_relu6_as_relu_subclass(loaded: LoadedModel) -> LoadedModel:
    class ClippingReLU(nn.ReLU):  # an nn.ReLU to Captum, computing ReLU6
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.relu6(x)

    return dataclasses.replace(loaded, model=_replaced(loaded.model, lambda module: ClippingReLU()))


def _autograd_rule(loaded: LoadedModel, photo, layer: str, selector: tuple[int, ...], guided: bool) -> np.ndarray:
    model = _replaced(
        loaded.model, lambda module: _RuleModule(6.0 if isinstance(module, nn.ReLU6) else None, guided)
    ).eval()
    kept: list[torch.Tensor] = []
    handle = model.get_submodule(layer).register_forward_hook(lambda *args: kept.append(args[2].clone()))
    x = explain_input(loaded, photo).tensor.detach().clone().requires_grad_(True)
    model(x)
    handle.remove()
    (gradient,) = torch.autograd.grad(kept[0][(0, *selector)], x)
    return gradient[0].numpy()


@pytest.mark.parametrize(
    ("network", "layer"),
    [
        # nn.ReLU(inplace=True) called twice per block on the way back; an in-place add after the unit's bn2
        ("resnet18", "layer2.1.bn2"),
        ("mobilenet_v2", "features.6"),  # ReLU6(inplace=True)
    ],
)
def test_the_relu_rules_match_an_independent_autograd_rule(request, photo, network: str, layer: str) -> None:
    loaded = request.getfixturevalue("mobilenet") if network == "mobilenet_v2" else load_model(network, "none", seed=1)
    result = run_unit_attribution(loaded, photo, layer, 3)
    selector = (3, result.unit.row, result.unit.col)
    for method in UNIT_METHODS:
        expected = _autograd_rule(loaded, photo, layer, selector, guided=method == "guided_backprop")
        found = result.maps[method].attribution
        assert np.abs(expected).max() > 0
        np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())


def test_the_default_cell_is_the_argmax_of_the_channels_map(mobilenet, photo) -> None:
    expected = _layer_output(mobilenet, photo, "features.10")[0, 17].numpy()
    steps: list[Progress] = []
    job = unit_attribution(mobilenet, photo, "features.10", 17)
    result = run_job(job, steps.append)
    assert [step.step for step in steps] == [0, 1, 2] and all(step.total == 3 for step in steps)
    np.testing.assert_allclose(result.channel_map, expected, rtol=1e-5, atol=1e-6)
    assert result.default_cell and (result.unit.row, result.unit.col) == np.unravel_index(expected.argmax(), (14, 19))
    assert result.activation == pytest.approx(float(expected.max()), rel=1e-5)

    given = run_unit_attribution(mobilenet, photo, "features.10", 17, 0, 18)
    assert not given.default_cell and (given.unit.row, given.unit.col) == (0, 18)
    assert given.activation == pytest.approx(float(expected[0, 18]), rel=1e-5, abs=1e-6)


FUNCTIONAL = """
import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.conv2 = nn.Conv2d(4, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        return self.fc(F.relu(self.conv2(x)).mean((2, 3)))


def build():
    return Net()

build.input_size = (3, 32, 32)
"""


def test_functional_relu_before_the_layer_is_refused_and_a_layer_before_it_is_not(tmp_path, photo) -> None:
    source = tmp_path / "functional.py"
    source.write_text(FUNCTIONAL)
    loaded = load_model(None, "none", model_file=f"{source}:build", device="cpu")
    with pytest.raises(UnsupportedModelError, match=r"rectifies with F\.relu inside its forward .* before conv2"):
        run_unit_attribution(loaded, photo, "conv2", 0)
    first = run_unit_attribution(loaded, photo, "conv1", 0)  # nothing rectified before it: both are the gradient
    assert np.array_equal(first.maps["deconvolution"].attribution, first.maps["guided_backprop"].attribution)
    assert any("no ReLU runs before conv1" in note for note in first.notes)


def test_a_vector_unit_sees_the_whole_input(shared_data: Path) -> None:
    lenet = load_model("lenet5", device="cpu")
    result = run_unit_attribution(lenet, shared_data / "mnist" / "mnist_7.png", "classifier.4", 7)
    assert result.receptive_field is None and result.channel_map.shape == (1, 1)
    assert result.input_box == (0.0, 0.0, 28.0, 28.0) == result.image_box
    assert result.crop("guided_backprop", "image_rgb").shape == (28, 28, 3)
    assert any("sees the whole input" in note for note in result.notes)
    assert result.maps["deconvolution"].peak > 0 and result.maps["guided_backprop"].peak > 0


def test_a_unit_that_is_not_there_is_refused_in_one_sentence(mobilenet, photo) -> None:
    with pytest.raises(ModelError, match=r"no layer named 'features\.66'.*Did you mean"):
        run_unit_attribution(mobilenet, photo, "features.66", 0)
    with pytest.raises(ModelError, match=r"features.6 has 32 channels \(0..31\); there is no channel 32"):
        run_unit_attribution(mobilenet, photo, "features.6", 32)
    with pytest.raises(ModelError, match=r"map is 28x38 on this image .* there is no cell \(28, 0\)"):
        run_unit_attribution(mobilenet, photo, "features.6", 0, 28, 0)
    with pytest.raises(ModelError, match="both the row and the column"):
        run_unit_attribution(mobilenet, photo, "features.6", 0, 3, None)
    resnet = load_model("resnet18", "none", device="cpu")
    with pytest.raises(UnsupportedModelError, match=r"layer1\.0\.relu' runs 2 times"):
        run_unit_attribution(resnet, photo, "layer1.0.relu", 0)


def test_the_job_returns_a_result_that_crosses_the_wire(shared_data: Path) -> None:
    entry = session.open_images([read_image_file(shared_data / "mnist" / "mnist_3.png")]).images[0]
    lenet = load_model("lenet5", device="cpu")
    result = run_job(JOBS[JobName.UNIT_ATTRIBUTION](entry, loaded=lenet, layer="features.3", channel=2, row=4, col=5))
    assert isinstance(result, UnitAttribution) and (result.unit.row, result.unit.col) == (4, 5)
    assert result.receptive_field is not None and result.receptive_field.size == (14, 14)
    back = decode(encode(result).data)
    assert back.unit == result.unit and back.input_box == result.input_box
    for method in UNIT_METHODS:
        assert np.array_equal(back.maps[method].image_rgb, result.maps[method].image_rgb)
        assert np.array_equal(back.crop(method, "rgb"), result.crop(method, "rgb"))
