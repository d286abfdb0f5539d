"""Receptive fields, as the data-flow graph computes them, against values computed by hand from the papers'
layer tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from torch import nn

from viewer.core.graph.receptive import ReceptiveField
from viewer.core.results.summary import LayerNode
from viewer.engine.graph.layer_geometry import layer_geometry
from viewer.engine.summary import summarize


def _walk(node: LayerNode) -> Iterator[LayerNode]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _fields(name: str, shape: tuple[int, int, int]) -> dict[str, ReceptiveField | None]:
    """Each module's field (a block's: of its last call), read off the graph as the app shows it."""
    summary = summarize(name)
    assert tuple(summary.input_shape) == shape
    return {node.name: node.receptive_field for node in _walk(summary.root)}


def test_lenet5_by_hand() -> None:
    fields = _fields("lenet5", (1, 28, 28))
    # conv 5x5: 5, jump 1, centre of cell 0 at pixel 2; pool 2/2: 5 + 1 = 6, jump 2, centre 2.5 …
    assert fields["features.0"] == ReceptiveField((5, 5), (1, 1), (2.0, 2.0))
    assert fields["features.1"] == fields["features.0"]  # ReLU changes nothing
    assert fields["features.2"] == ReceptiveField((6, 6), (2, 2), (2.5, 2.5))
    assert fields["features.3"] == ReceptiveField((14, 14), (2, 2), (6.5, 6.5))  # 6 + 4·2
    assert fields["features.5"] == ReceptiveField((16, 16), (4, 4), (7.5, 7.5))  # 14 + 1·2
    assert fields["features"] == fields["features.5"]
    assert fields["classifier.0"] is None  # a fully-connected layer on the flattened map sees everything


def test_alexnet_features_by_hand() -> None:
    fields = _fields("alexnet", (3, 224, 224))
    # (index, size, jump): conv 11/4 p2, pool 3/2, conv 5 p2, pool 3/2, three conv 3 p1, pool 3/2.
    expected = [(0, 11, 4), (2, 19, 8), (3, 51, 8), (5, 67, 16), (6, 99, 16), (8, 131, 16), (10, 163, 16),
                (12, 195, 32)]  # fmt: skip
    for index, size, jump in expected:
        field = fields[f"features.{index}"]
        assert field is not None and (field.size, field.jump) == ((size, size), (jump, jump)), index
    assert fields["features.0"].start == (3.0, 3.0)  # (11 − 1)/2 − 2 padding
    assert fields["avgpool"] == fields["features.12"]  # adaptive 6x6 → 6x6 is the identity
    assert fields["classifier.1"] is None


def test_vgg16_pool5() -> None:
    fields = _fields("vgg16", (3, 224, 224))
    pool5 = fields["features.30"]
    assert pool5 is not None and pool5.size == (212, 212) and pool5.jump == (32, 32)
    assert fields["features.4"].size == (6, 6)  # conv3, conv3, pool2: 3 → 5 → 6


def test_branches_take_the_largest_field() -> None:
    googlenet = _fields("googlenet", (3, 224, 224))
    # inception3a on maxpool2 (27, jump 8): the 1x1 branch keeps 27, the 3x3 branch grows to 27 + 2·8 = 43
    # (torchvision's "5x5" branch is a 3x3 too, a known quirk of the port); the block shows the largest.
    assert googlenet["maxpool2"].size == (27, 27) and googlenet["maxpool2"].jump == (8, 8)
    assert googlenet["inception3a.branch1"].size == (27, 27)
    assert googlenet["inception3a"].size == (43, 43)
    resnet = _fields("resnet18", (3, 224, 224))
    # layer1 ends at 11 + 4 convs·2·4 = 43 (jump 4). layer2.0: conv 3/2 → 43 + 2·4 = 51 (jump 8),
    # conv 3 → 51 + 2·8 = 67. The 1x1/2 shortcut stays 43 (jump 8): the block's field is the residual path's.
    assert resnet["layer1"].size == (43, 43)
    assert resnet["layer2.0.downsample"].size == (43, 43) and resnet["layer2.0.downsample"].jump == (8, 8)
    assert resnet["layer2.0"].size == (67, 67) and resnet["layer2.0"].jump == (8, 8)


def test_attention_and_global_pooling_have_no_local_field() -> None:
    vit = _fields("vit_b_16", (3, 224, 224))
    assert vit["conv_proj"] == ReceptiveField((16, 16), (16, 16), (7.5, 7.5))
    assert vit["encoder.layers.encoder_layer_0.self_attention"] is None
    assert vit["encoder.layers.encoder_layer_0"] is None
    # Squeeze-and-excitation gates with a global pool, but the map it scales keeps its local field.
    mobilenet = _fields("mobilenet_v3_small", (3, 224, 224))
    assert mobilenet["features.1.block.1.avgpool"] is None
    assert mobilenet["features.1.block.1"] == mobilenet["features.1.block.0"]


def test_box_centre_padding_and_clip() -> None:
    field = ReceptiveField((5, 5), (1, 1), (2.0, 2.0))
    assert field.box(0, 0) == (0.0, 0.0, 5.0, 5.0)  # pixels 0..4 of a LeNet conv1 cell
    assert field.box(3, 1) == (1.0, 3.0, 6.0, 8.0)
    padded = ReceptiveField((11, 11), (4, 4), (3.0, 3.0))  # AlexNet conv1: the first cell hangs over the edge
    assert padded.box(0, 0) == (-2.0, -2.0, 9.0, 9.0)
    assert padded.box(0, 0, clip=(224, 224)) == (0.0, 0.0, 9.0, 9.0)
    assert padded.box(54, 54, clip=(224, 224))[2:] == (224.0, 224.0)
    assert padded.center(1, 2) == (7.0, 11.0)


def test_geometry_of_layers() -> None:
    assert layer_geometry(nn.Conv2d(1, 1, (1, 7), padding=(0, 3))) == ((1, 7), (1, 1), (0, 3), (1, 1))
    assert layer_geometry(nn.MaxPool2d(3)) == ((3, 3), (3, 3), (0, 0), (1, 1))  # stride defaults to kernel
    assert layer_geometry(nn.Conv2d(1, 1, 3, padding="same", dilation=2)) == ((3, 3), (1, 1), (2.0, 2.0), (2, 2))
    assert layer_geometry(nn.ReLU()) is None
    dilated = ReceptiveField().compose((3, 3), (1, 1), (2, 2), (2, 2))
    assert dilated.size == (5, 5) and dilated.start == (0.0, 0.0)


def test_summary_carries_the_fields() -> None:
    summary = summarize("vgg16")
    assert summary.find("features.30").receptive_field.size == (212, 212)


@pytest.mark.parametrize("name", ["inception_v3", "convnext_tiny", "swin_t", "efficientnet_b0"])
def test_other_families_trace(name: str) -> None:
    from viewer.engine.models.registry import get_spec

    fields = _fields(name, get_spec(name).input.shape)
    sized = [f for f in fields.values() if f is not None]
    assert sized and all(f.size[0] >= 1 and f.jump[0] >= 1 for f in sized)
    assert fields[""] is None  # the classifier sees the whole image
