"""ResNet's Table 1 (He et al. 2015) regenerated from the networks: structure, output sizes, counts, FLOPs."""

from __future__ import annotations

import pytest

from viewer.core.errors import ModelError
from viewer.core.results.lecture import ResNetTable, TableRow
from viewer.engine.graph.build import graph_of_name
from viewer.engine.lecture_tables import PAPER_GFLOPS, format_resnet_table, resnet_table, resnet_table_of_graphs

STAGES = ("conv2_x", "conv3_x", "conv4_x", "conv5_x")


@pytest.fixture(scope="module")
def table() -> ResNetTable:
    return resnet_table("resnet50")


def _stage_rows(table: ResNetTable) -> list[TableRow]:
    """The four rows of stacked blocks (conv2_x's block row follows its max-pool row and has no label)."""
    return [row for row in table.rows if any(cell.repeat for cell in row.cells)]


def test_columns_are_the_five_depths_counted_from_the_layers(table: ResNetTable) -> None:
    assert table.columns == ("18-layer", "34-layer", "50-layer", "101-layer", "152-layer")
    assert table.models == ("resnet18", "resnet34", "resnet50 / _v1", "resnet101 / _v1", "resnet152 / _v1")


@pytest.mark.parametrize("column, counts", [
    (0, (2, 2, 2, 2)), (1, (3, 4, 6, 3)), (2, (3, 4, 6, 3)), (3, (3, 4, 23, 3)), (4, (3, 8, 36, 3)),
])  # fmt: skip
def test_block_counts_per_stage(table: ResNetTable, column: int, counts: tuple[int, ...]) -> None:
    assert tuple(row.cells[column].repeat for row in _stage_rows(table)) == counts


def test_layer_names_and_output_sizes(table: ResNetTable) -> None:
    labelled = [(row.layer, row.output) for row in table.rows if row.output]
    assert labelled == [("conv1", "112×112"), ("conv2_x", "56×56"), ("conv3_x", "28×28"), ("conv4_x", "14×14"),
                        ("conv5_x", "7×7"), ("", "1×1")]  # fmt: skip


def test_spanning_rows_are_the_stem_and_the_head(table: ResNetTable) -> None:
    spanning = [row.cells[0].text for row in table.rows if row.spans and not row.layer.startswith("FLOPs")]
    assert spanning == ["7×7, 64, stride 2", "3×3 max pool, stride 2", "average pool, 1000-d fc, softmax"]


def test_block_structure_text(table: ResNetTable) -> None:
    rows = _stage_rows(table)
    assert rows[0].cells[2].text == "[1×1, 64; 3×3, 64; 1×1, 256] ×3"
    assert rows[2].cells[3].text == "[1×1, 256; 3×3, 256; 1×1, 1024] ×23"
    assert rows[3].cells[4].text == "[1×1, 512; 3×3, 512; 1×1, 2048] ×3"
    assert rows[1].cells[0].text == "[3×3, 128; 3×3, 128] ×2"  # basic blocks; the 1×1 shortcut is no layer
    assert rows[0].layer == "" and [row.layer for row in rows[1:]] == list(STAGES[1:])


def test_flops_v1_are_the_papers_and_v15_costs_more(table: ResNetTable) -> None:
    assert table.gmacs_v1 == pytest.approx((1.81, 3.66, 3.86, 7.57, 11.28), abs=0.01)
    assert table.gmacs_v15 == pytest.approx((1.81, 3.66, 4.09, 7.80, 11.51), abs=0.01)
    # The paper prints He et al.'s v1 to one decimal (3.66 as 3.6); torchvision's v1.5 is 0.23 GMACs above it.
    assert all(abs(ours - paper) < 0.07 for ours, paper in zip(table.gmacs_v1, PAPER_GFLOPS, strict=True))
    assert all(v15 - v1 > 0.2 for v15, v1 in zip(table.gmacs_v15[2:], table.gmacs_v1[2:], strict=True))
    flops = {row.layer: [cell.text for cell in row.cells] for row in table.rows if row.layer.startswith("FLOPs")}
    assert flops["FLOPs, v1"] == ["1.81×10⁹", "3.66×10⁹", "3.86×10⁹", "7.57×10⁹", "11.28×10⁹"]
    assert flops["FLOPs, v1.5"] == ["same", "same", "4.09×10⁹ *", "7.80×10⁹", "11.51×10⁹"]  # resnet50 is v1.5
    assert flops["FLOPs, paper"] == ["1.8×10⁹", "3.6×10⁹", "3.8×10⁹", "7.6×10⁹", "11.3×10⁹"]


def test_the_chosen_network_and_its_variant_are_marked(table: ResNetTable) -> None:
    assert (table.chosen, table.chosen_v1) == (2, False)
    assert table.notes[-1].startswith("* resnet50: torchvision v1.5") and "4.09×10⁹" in table.notes[-1]
    v1 = resnet_table("resnet152_v1")
    assert (v1.chosen, v1.chosen_v1) == (4, True)
    assert v1.notes[-1].startswith("* resnet152_v1: He et al. original (v1)")
    assert [row.cells[4].text for row in v1.rows if row.layer.startswith("FLOPs, v1")] == ["11.28×10⁹ *", "11.51×10⁹"]
    unchosen = resnet_table()
    assert unchosen.chosen is None and not any("*" in cell.text for row in unchosen.rows for cell in row.cells)


def test_text_layout_stacks_each_block_like_the_paper(table: ResNetTable) -> None:
    text = format_resnet_table(table)
    lines = text.splitlines()
    assert lines[0].startswith("ResNet architectures for ImageNet (He et al. 2015, Table 1)")
    assert "50-layer *" in lines[2] and "152-layer" in lines[2]
    conv4 = next(index for index, line in enumerate(lines) if line.startswith("conv4_x"))
    assert lines[conv4].split()[:2] == ["conv4_x", "14×14"]
    assert "⎡1×1, 256 ⎤" in lines[conv4 - 1] and "⎢3×3, 256 ⎥ ×23" in lines[conv4]
    assert "⎣1×1, 1024⎦" in lines[conv4 + 1] and "⎣3×3, 256⎦ ×2" in lines[conv4]
    assert any("average pool, 1000-d fc, softmax" in line and line.split()[0] == "1×1" for line in lines)


def test_a_network_without_residual_stages_is_refused() -> None:
    alexnet = graph_of_name("alexnet")
    with pytest.raises(ModelError, match="alexnet does not have ResNet's four stages"):
        resnet_table_of_graphs([alexnet], [alexnet])
    with pytest.raises(ModelError, match="vgg16 is not one of them"):
        resnet_table("vgg16")
