"""OverFeat's offsets (Sermanet et al. 2014, §3.3): each offset's map is the network run on the shifted input.

``viewer.engine.heatmap.dense`` runs the final max-pool at every shift (Δy, Δx) below its stride (AlexNet: 2) on the
features, and interleaves the classifier's maps. Shifting the features by one cell is shifting the input by the
features' jump (16 px for AlexNet), so offset (Δy, Δx)'s map must equal the plain convolutionized network run on
the input cropped by (16·Δy, 16·Δx) pixels, wherever neither run's receptive field reaches the zero padding at
the image border (interior cells). Random AlexNet weights with a fixed seed: the identity holds for any weights.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from viewer.engine.heatmap.dense import DenseNetwork, _offset_runner, dense_network
from viewer.engine.heatmap.geometry import GridGeometry, OffsetSplit
from viewer.engine.models.weights import load_model

SIZE = 576  # input pixels: big enough for several interior cells of AlexNet's 355-px receptive field


def _interior(geometry: GridGeometry, cells: int, length: int, axis: int) -> np.ndarray:
    """Cells whose receptive field lies inside ``[0, length)`` on ``axis``."""
    centres = geometry.start[axis] + geometry.jump[axis] * np.arange(cells)
    half = geometry.size[axis] / 2
    return (centres - half >= -0.5) & (centres + half <= length - 0.5)


@pytest.fixture(scope="module")
def alexnet_offsets() -> tuple[DenseNetwork, torch.Tensor, torch.Tensor]:
    """AlexNet's convolutionized form (random weights, seed 0), a seeded random input and its offsets' grid."""
    dense = dense_network(load_model("alexnet", "none", device="cpu", seed=0))
    assert isinstance(dense.split, OffsetSplit) and dense.split.stride == (2, 2)
    x = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        fine = _offset_runner(dense.split)(x)[0]
    return dense, x, fine


@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_each_offset_map_is_the_network_on_the_shifted_input(
    alexnet_offsets: tuple[DenseNetwork, torch.Tensor, torch.Tensor], dy: int, dx: int
) -> None:
    dense, x, fine_grid = alexnet_offsets
    feature_jump = (int(dense.geometry.jump[0]) // 2, int(dense.geometry.jump[1]) // 2)
    assert feature_jump == (16, 16)
    shifted = x[:, :, dy * feature_jump[0] :, dx * feature_jump[1] :]
    with torch.no_grad():
        plain = dense.folded.module(shifted)[0].numpy()
    fine = fine_grid[:, dy::2, dx::2].numpy()
    other = fine_grid[:, 1 - dy :: 2, 1 - dx :: 2].numpy()
    rows = min(fine.shape[1], plain.shape[1], other.shape[1])
    cols = min(fine.shape[2], plain.shape[2], other.shape[2])
    # Interior in the shifted run's own coordinates (and so in the whole image's, which extends further).
    inside_rows = np.flatnonzero(_interior(dense.geometry, rows, shifted.shape[2], 0))
    inside_cols = np.flatnonzero(_interior(dense.geometry, cols, shifted.shape[3], 1))
    assert len(inside_rows) >= 2 and len(inside_cols) >= 2, (inside_rows, inside_cols)
    picked = (slice(None), *np.ix_(inside_rows, inside_cols))
    np.testing.assert_allclose(fine[picked], plain[picked], rtol=1e-4, atol=1e-4)
    # Not a vacuous match: the diagonally opposite offset's map differs from this shifted run.
    assert not np.allclose(other[picked], plain[picked], rtol=1e-4, atol=1e-4)
