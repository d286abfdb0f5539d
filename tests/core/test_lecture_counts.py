"""The lecture's arithmetic beside the real modules: ResNet's blocks and the naive Inception module."""

from __future__ import annotations

import pytest

from viewer.core.lecture_counts import basic_block_formula, block_formula, block_formulas
from viewer.core.lecture_inception import inception_blocks, inception_comparison
from viewer.engine.graph import graph_of_name


def test_the_basic_block_formula_at_64_and_256_channels() -> None:
    assert basic_block_formula(64) == ("2 × (3×3×64 + 1) × 64", 73_856)  # the lecture's ≈ 73k
    assert basic_block_formula(256) == ("2 × (3×3×256 + 1) × 256", 1_180_160)  # ≈ 1.2M: why the bottleneck


def test_a_resnet18_basic_block_beside_its_real_count() -> None:
    formula = block_formula(graph_of_name("resnet18"), "layer1.0")
    assert formula is not None
    assert (formula.formula, formula.value, formula.real) == ("2 × (3×3×64 + 1) × 64", 73_856, 73_984)
    # 2·64·(3·3·64) weights + 2·(2·64) BatchNorm scales and shifts, no bias: 73,728 + 256.
    assert formula.why == "no convolution bias (−128), BatchNorm's scale and shift (+256)"
    assert formula.basic_alternative is None


def test_a_bottleneck_says_what_a_basic_block_at_its_width_would_cost() -> None:
    formula = block_formula(graph_of_name("resnet50"), "layer1.1")
    assert formula is not None
    assert formula.formula == "(1×1×256 + 1) × 64 + (3×3×64 + 1) × 64 + (1×1×64 + 1) × 256"
    assert formula.value == 257 * 64 + 577 * 64 + 65 * 256 == 70_016
    assert formula.real == 70_400
    assert formula.basic_alternative == ("2 × (3×3×256 + 1) × 256", 1_180_160)
    assert "≈ 1.2M" in formula.lines[-1]


def test_the_first_block_of_a_stage_counts_its_projection_shortcut() -> None:
    formula = block_formula(graph_of_name("resnet18"), "layer2.0")
    assert formula is not None and formula.real == 230_144
    assert "the shortcut's projection (+8,448)" in formula.why  # 1×1 64→128 (8,192) and its BatchNorm (256)


def test_only_basic_blocks_and_bottlenecks_get_a_formula() -> None:
    assert block_formulas(graph_of_name("googlenet")) == {}
    assert block_formulas(graph_of_name("resnext50_32x4d")) == {}  # grouped: not a count the lecture makes
    assert len(block_formulas(graph_of_name("resnet34"))) == 3 + 4 + 6 + 3


def test_the_naive_inception3a_against_a_hand_count() -> None:
    graph = graph_of_name("googlenet")
    assert inception_blocks(graph)[0] == "inception3a" and inception_blocks(graph)[-1] == "inception5b"
    c = inception_comparison(graph, "inception3a")
    # 192 channels in at 28×28; branches 64 | 96→128 | 16→32 (torchvision: 3×3) | pool→32.
    assert (c.in_channels, c.height, c.width) == (192, 28, 28)
    naive = 192 * 64 + 3 * 3 * 192 * 128 + 3 * 3 * 192 * 32  # the pool branch has no weights
    real = 192 * 64 + (192 * 96 + 9 * 96 * 128) + (192 * 16 + 9 * 16 * 32) + 192 * 32
    assert (c.naive_params, c.real_params) == (naive, real) == (288_768, 155_136)
    assert (c.naive_macs, c.real_macs) == (naive * 28 * 28, real * 28 * 28)
    assert (c.naive_channels, c.real_channels) == (64 + 128 + 32 + 192, 256)
    assert c.params_ratio == pytest.approx(288_768 / 155_136)
    assert c.module_params == 155_872  # the real module with its BatchNorms (2 per output channel)
    assert [b.naive for b in c.branches] == ["1×1, 64", "3×3, 128", "3×3, 32", "3×3 max pool"]
    assert c.branches[1].real == "1×1, 96 → 3×3, 128"
