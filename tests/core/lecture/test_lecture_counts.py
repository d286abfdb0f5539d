"""The lecture's arithmetic beside the real modules: ResNet's blocks and the naive Inception module."""

from __future__ import annotations

import pytest

from tests.resnet_counts import basic_block_counts, block_counts, meta_resnet, signed_amounts
from viewer.core.lecture.counts import basic_block_formula, block_formula, block_formulas
from viewer.core.lecture.inception import inception_blocks, inception_comparison
from viewer.engine.graph.build import graph_of_name


def test_the_basic_block_formula_at_64_and_256_channels() -> None:
    assert basic_block_formula(64) == ("2 × (3×3×64 + 1) × 64", 73_856)  # the lecture's ≈ 73k
    assert basic_block_formula(256) == ("2 × (3×3×256 + 1) × 256", 1_180_160)  # ≈ 1.2M: why the bottleneck
    # The same arithmetic on torchvision's BasicBlock as built: its convolutions, a bias per filter added.
    for channels in (64, 256):
        assert basic_block_formula(channels)[1] == basic_block_counts(channels).lecture
    assert basic_block_counts(256).real == 1_180_672  # the module: no bias, a BatchNorm after each convolution


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_every_blocks_formula_and_reasons_against_torchvisions_module(name: str) -> None:
    """Each number a block's note states, counted again from torchvision's module (meta device)."""
    model = meta_resnet(name)
    formulas = block_formulas(graph_of_name(name))
    assert len(formulas) == sum(len(getattr(model, f"layer{stage}")) for stage in range(1, 5))
    for block, formula in formulas.items():
        counts = block_counts(model.get_submodule(block))
        assert (formula.value, formula.real) == (counts.lecture, counts.real), block
        # The reasons' amounts: the biases the module lacks, its BatchNorms, a projection shortcut if it has one.
        expected = [counts.bias, counts.batchnorm] + ([counts.shortcut] if counts.shortcut else [])
        assert signed_amounts(formula.why) == expected, block
        assert formula.value + sum(expected) == formula.real, block  # the reasons account for all of it
        if formula.basic_width is not None:  # a bottleneck: the basic block at its output width, as built
            width = model.get_submodule(block).conv3.out_channels
            assert formula.basic_alternative == basic_block_formula(width)
            assert formula.basic_alternative[1] == basic_block_counts(width).lecture


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
    sentence = "A basic block at 256 channels would have 2 × (3×3×256 + 1) × 256 ≈ 1.2M, this bottleneck 70k"
    assert formula.lines[-1] == sentence  # the tooltip's last line
    assert (
        formula.table_lines
        == [  # under the block's row in `viewer summary`
            "lecture: (1×1×256 + 1) × 64 + (3×3×64 + 1) × 64 + (1×1×64 + 1) × 256 = 70,016",
            "         a" + sentence[1:],
            "differs: no convolution bias (−384), BatchNorm's scale and shift (+768)",
        ]
    )
    assert formula.as_dict()["basic_block"] == {
        "channels": 256,
        "formula": "2 × (3×3×256 + 1) × 256",
        "value": 1_180_160,
        "text": sentence,
    }


def test_the_first_block_of_a_stage_counts_its_projection_shortcut() -> None:
    formula = block_formula(graph_of_name("resnet18"), "layer2.0")
    assert formula is not None and formula.real == 230_144
    assert "projection shortcut (+8,448)" in formula.why  # 1×1 64→128 (8,192) and its BatchNorm (256)


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
