"""Heatmap geometry through CIFAR ResNets' option-A shortcut: strided slicing and channel-only zero padding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import fx, nn

from viewer.core.errors import UnsupportedModelError
from viewer.engine.heatmap.convolutionize import propagate_shapes
from viewer.engine.heatmap.dense import dense_network, run_heatmap
from viewer.engine.heatmap.geometry import grid_geometry
from viewer.engine.images import load_image
from viewer.engine.models.weights import load_model

RESNET20 = f"{Path(__file__).resolve().parents[2] / 'fixtures' / 'cifar_resnet.py'}:resnet20"


class Shortcut(nn.Module):
    """A conv branch of stride 2 added to an option-A shortcut."""

    def __init__(self, pad: tuple[int, ...]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) + F.pad(x[:, :, ::2, ::2], self.pad)


def geometry_of(module: nn.Module, size: int = 16):
    traced = fx.symbolic_trace(module)
    propagate_shapes(traced, (1, 4, size, size))
    return grid_geometry(traced)


def test_channel_only_padding_and_a_strided_slice_keep_the_map_in_place() -> None:
    geometry = geometry_of(Shortcut((0, 0, 0, 0, 2, 2)))
    # conv 3x3 stride 2 pad 1: jump 2, first centre at pixel 0; the subsampled shortcut agrees (1x1, stride 2).
    assert geometry.jump == (2.0, 2.0) and geometry.start == (0.0, 0.0) and geometry.size == (3.0, 3.0)


def test_a_slice_that_skips_a_row_moves_the_centres() -> None:
    class Sliced(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :, 1::2, 1::2]

    geometry = geometry_of(Sliced())
    assert geometry.jump == (2.0, 2.0) and geometry.start == (1.0, 1.0)


def test_spatial_reflect_padding_is_refused_with_its_reason() -> None:
    class Reflect(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.pad(x, (1, 1, 1, 1), mode="reflect")

    with pytest.raises(UnsupportedModelError, match="pads the map in 'reflect' mode"):
        geometry_of(Reflect())


def test_constant_spatial_padding_moves_the_centres_as_a_convolution_padding_does() -> None:
    class Padded(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(F.pad(x, (2, 0, 1, 0)))  # left 2, top 1

    geometry = geometry_of(Padded())
    assert geometry.start == (0.0, -1.0) and geometry.size == (3.0, 3.0)


@pytest.fixture(scope="module")
def resnet20(shared_data: Path):
    return load_model(None, str(shared_data / "weights/resnet20-12fca82f.th"), model_file=RESNET20, device="cpu")


def test_cifar_resnet20_in_its_original_layout_gives_a_heatmap(resnet20, shared_data: Path) -> None:
    dense = dense_network(resnet20)
    # conv1 (stride 1), layer2 and layer3 (stride 2 each, their shortcuts subsample by 2): a cell every 4 px.
    assert dense.geometry.jump == (4.0, 4.0)
    image = load_image(shared_data / "images/kitten.jpg")
    heatmap = run_heatmap(resnet20, image, class_index=resnet20.categories.index("cat"), scales=(1.0, 2.0))
    assert heatmap.scores.shape == (image.size[1], image.size[0]) and heatmap.scores.dtype == np.float32
    assert heatmap.grid_shapes == [(8, 8), (16, 16)]  # 32 and 64 px inputs at stride 4
    assert 0.0 <= heatmap.scores.min() < heatmap.scores.max() <= 1.0
