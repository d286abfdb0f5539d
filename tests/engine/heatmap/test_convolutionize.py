"""convolutionize(): the fully convolutional network equals the original at the canonical size."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from viewer.core.errors import UnsupportedModelError
from viewer.engine.heatmap.convolutionize import (
    ConvolutionizedLinear,
    conversion_of,
    convolutionize,
    propagate_shapes,
    reduce_to_logits,
)
from viewer.engine.heatmap.geometry import grid_geometry, split_for_offsets
from viewer.engine.models.registry import build_model, get_spec

CHUNK = torch.randn(1 << 20, generator=torch.Generator().manual_seed(0))


def fast_random_model(name: str) -> nn.Module:
    """A fixed-seed random network without torchvision's slow initialisation.

    Built on the meta device, allocated with ``to_empty`` and filled from one fixed random chunk scaled by
    1/sqrt(fan-in) (so activations stay O(1) through VGG-19): 5× faster than kaiming init for VGG.
    """
    with torch.device("meta"):
        model = build_model(name)
    model.to_empty(device="cpu")
    with torch.no_grad():
        for parameter in model.parameters():
            flat = parameter.view(-1)
            for start in range(0, flat.numel(), CHUNK.numel()):
                count = min(CHUNK.numel(), flat.numel() - start)
                flat[start : start + count].copy_(CHUNK[:count])
            parameter.mul_(1 / math.sqrt(parameter[0].numel() if parameter.dim() > 1 else 4))
        for buffer_name, buffer in model.named_buffers():
            buffer.fill_(1 if buffer_name.endswith("running_var") else 0)
    return model.eval()


MODELS = [
    "alexnet",
    *[f"vgg{depth}{bn}" for depth in (11, 13, 16, 19) for bn in ("", "_bn")],
    *[f"resnet{depth}" for depth in (18, 34, 50, 101, 152)],
    "resnext50_32x4d",
    "googlenet",
    "mobilenet_v2",
    "lenet5",
    "nin",
]


@pytest.mark.parametrize("name", MODELS)
def test_equals_original_at_canonical_size(name: str) -> None:
    model = fast_random_model(name)
    shape = get_spec(name).input.shape
    fcn = convolutionize(model, shape)
    x = torch.randn(1, *shape, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected = model(x)
        class_map = fcn(x)
    assert class_map.dim() == 4 and class_map.shape[:2] == expected.shape
    reduced = reduce_to_logits(fcn, class_map)
    relative = (reduced - expected).abs().max() / expected.abs().max()
    assert relative <= 1e-5, f"{name}: max relative difference {relative:.2e}"
    if fcn.conversion.head == "window":
        assert class_map.shape[-2:] == (1, 1)
    else:  # the global pooling is gone: a dense map already at the canonical size
        assert class_map.shape[-2:] == fcn.conversion.canonical_grid and math.prod(class_map.shape[-2:]) > 1


def test_alexnet_rewrite_is_the_lectures() -> None:
    with torch.device("meta"):
        model = build_model("alexnet")
    fcn = convolutionize(model, (3, 224, 224))
    fc6 = fcn.get_submodule("classifier.1")
    assert isinstance(fc6, ConvolutionizedLinear) and isinstance(fc6, nn.Conv2d)
    assert (fc6.in_channels, fc6.out_channels, fc6.kernel_size) == (256, 4096, (6, 6))
    assert fcn.get_submodule("classifier.4").kernel_size == (1, 1)
    assert any("avgpool" in removed for removed in fcn.conversion.removed)
    assert isinstance(fcn.get_submodule("classifier.0"), nn.Dropout)
    # The original model is untouched, and the weights are shared, not copied.
    assert isinstance(model.classifier[1], nn.Linear)
    assert propagate_shapes(fcn, (1, 3, 224 + 32 * 3, 224 + 32 * 5))[-2:] == (4, 6)


def test_weights_are_shared_with_the_original() -> None:
    model = fast_random_model("lenet5")
    fcn = convolutionize(model, (1, 28, 28))
    assert fcn.get_submodule("classifier.0").weight.data_ptr() == model.classifier[0].weight.data_ptr()


def test_shapes_are_propagated_without_touching_the_real_weights() -> None:
    model = fast_random_model("mobilenet_v2")
    fcn = convolutionize(model, (3, 224, 224))
    before = {name: (tensor, tensor.data_ptr()) for name, tensor in fcn.state_dict(keep_vars=True).items()}
    assert tuple(propagate_shapes(fcn, (1, 3, 448, 320))) == (1, 1000, 14, 10)  # the 7×7 map of a 32-px stride
    after = fcn.state_dict(keep_vars=True)
    assert all(after[name] is tensor and tensor.data_ptr() == pointer for name, (tensor, pointer) in before.items())
    assert {node.meta["shape"] for node in fcn.graph.nodes if node.op == "placeholder"} == {(1, 3, 448, 320)}


def test_lenet_cells_equal_sliding_windows() -> None:
    """Without padding, each cell of the dense map is exactly the network applied to one 28×28 window."""
    model = fast_random_model("lenet5")
    fcn = convolutionize(model, (1, 28, 28))
    image = torch.randn(1, 1, 44, 52, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        dense = fcn(image)
        assert dense.shape[-2:] == (5, 7)  # (44 − 28)/4 + 1, (52 − 28)/4 + 1
        for row, col in [(0, 0), (2, 5), (4, 6)]:
            window = image[:, :, 4 * row : 4 * row + 28, 4 * col : 4 * col + 28]
            torch.testing.assert_close(dense[0, :, row, col], model(window)[0], rtol=1e-5, atol=1e-5)
    propagate_shapes(fcn, (1, 1, 56, 56))
    geometry = grid_geometry(fcn)
    assert geometry.jump == (4.0, 4.0) and geometry.size == (28.0, 28.0) and geometry.start == (13.5, 13.5)


def test_geometry_of_alexnet_and_offsets_split() -> None:
    with torch.device("meta"):
        fcn = convolutionize(build_model("alexnet"), (3, 224, 224))
    propagate_shapes(fcn, (1, 3, 448, 448))
    geometry = grid_geometry(fcn)
    assert geometry.jump == (32.0, 32.0) and geometry.size == (355.0, 355.0) and geometry.start == (111.0, 111.0)
    split = split_for_offsets(fcn)
    assert not isinstance(split, str) and split.stride == (2, 2)


def test_offsets_refused_for_resnet() -> None:
    with torch.device("meta"):
        fcn = convolutionize(build_model("resnet18"), (3, 224, 224))
    assert isinstance(split_for_offsets(fcn), str)


@pytest.mark.parametrize("name", ["vit_b_16", "swin_t"])
def test_attention_models_are_refused(name: str) -> None:
    with torch.device("meta"):
        model = build_model(name)
    with pytest.raises(UnsupportedModelError, match="attention"):
        convolutionize(model, (3, 224, 224))


def test_non_affine_head_is_noted() -> None:
    with torch.device("meta"):
        fcn = convolutionize(build_model("mobilenet_v3_small"), (3, 224, 224))
    assert fcn.conversion.head == "global-average" and not fcn.conversion.exact_reduction
    assert fcn.conversion.notes


class _VectorNorm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = nn.LayerNorm(4 * 6 * 6)
        self.fc = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.norm(torch.flatten(self.conv(x), 1)))


def test_operation_on_the_whole_vector_is_refused() -> None:
    with pytest.raises(UnsupportedModelError, match="norm"):
        convolutionize(_VectorNorm(), (3, 8, 8))


def test_already_convolutional_model_is_refused() -> None:
    with pytest.raises(UnsupportedModelError, match="convolutional"):
        convolutionize(nn.Sequential(nn.Conv2d(3, 2, 3)), (3, 8, 8))


@pytest.mark.parametrize(
    ("channels", "kernel", "batch", "band_bytes"), [(16, 4, 1, 1 << 26), (16, 4, 3, 1000), (32, 1, 2, 1 << 26)]
)
def test_gemm_convolution_equals_conv2d(channels: int, kernel: int, batch: int, band_bytes: int) -> None:
    """The GEMM forms (unfold in bands, batched, channels-last input) compute exactly a Conv2d."""
    torch.manual_seed(0)
    linear = nn.Linear(channels * kernel * kernel, 24)
    conv = ConvolutionizedLinear(linear, channels, (kernel, kernel))
    conv.max_band_bytes = band_bytes  # 1000 bytes: one output row per band
    x = torch.randn(batch, channels, 9, 11)
    expected = torch.nn.functional.conv2d(x, linear.weight.view(24, channels, kernel, kernel), linear.bias)
    torch.testing.assert_close(conv(x), expected, rtol=1e-5, atol=1e-5)
    with torch.inference_mode():  # the MKL-packed path, where available
        torch.testing.assert_close(conv(x), expected, rtol=1e-5, atol=1e-5)
        channels_last = x.contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(conv(channels_last), expected, rtol=1e-5, atol=1e-5)
        linear.weight.mul_(2)  # weights changed in place: the pack must follow
        torch.testing.assert_close(conv(x), 2 * expected - linear.bias[:, None, None], rtol=1e-5, atol=1e-5)
    conv.to(memory_format=torch.channels_last)
    assert conv.weight.is_contiguous()


def test_googlenet_keeps_its_input_transform() -> None:
    """torchvision's pretrained GoogLeNet re-normalises its input first (transform_input); it must survive."""
    torch.manual_seed(0)
    model = build_model("googlenet", transform_input=True).eval()
    fcn = convolutionize(model, (3, 224, 224))
    assert "0.458" in fcn.code  # the red channel's re-normalisation, traced into the graph
    x = torch.randn(1, 3, 224, 224)
    with torch.inference_mode():
        torch.testing.assert_close(reduce_to_logits(fcn, fcn(x)), model(x), rtol=1e-5, atol=1e-5)


def test_conversion_of_reads_what_convolutionize_attached() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 6 * 6, 4)).eval()
    fcn = convolutionize(model, (1, 8, 8))
    info = conversion_of(fcn)
    assert info is fcn.conversion and info.head == "window" and info.input_shape == (1, 8, 8)
    with pytest.raises(UnsupportedModelError, match="not made by convolutionize"):
        conversion_of(model)
