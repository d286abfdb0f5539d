"""summarize(): totals against torchvision's published metadata, the lecture's figures, and the exports."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from torchvision.models.resnet import Bottleneck

from tests.resnet_counts import basic_block_counts, block_counts, meta_resnet, signed_amounts
from viewer.core.errors import ModelError
from viewer.core.results.summary import LayerNode
from viewer.engine.models.registry import build_model, get_spec, list_specs
from viewer.engine.summary import format_table, meta_model, summarize, summary_rows, summary_to_dict

ALL_MODELS = [spec.name for spec in list_specs()]


@pytest.mark.parametrize("name", ALL_MODELS)
def test_totals_match_published_metadata(name: str) -> None:
    spec = get_spec(name)
    model = meta_model(name)
    assert getattr(model, "image_size", spec.input.crop_size) == spec.input.crop_size
    summary = summarize(model, spec.input.shape, model_name=name)

    # torchvision's num_params counts Inception-v3's auxiliary head (built by its DEFAULT weights); ours never does.
    assert summary.total_params + summary.training_only_params == spec.num_params
    assert summary.training_only_params == (summary.graph.training_params if summary.graph else 0)
    assert spec.gmacs is not None
    assert round(summary.macs / 1e9, 3) == round(spec.gmacs, 3)
    # The tree adds up: the root's count is the model's, each block's is its own plus its children's.
    assert summary.root.params == summary.total_params + summary.training_only_params
    assert summary.root.macs == summary.macs
    for node in summary.iter_nodes():
        assert node.params == node.params_own + sum(child.params for child in node.children), node.name
        assert node.is_block == bool(node.children)
    assert summary.root.output_shape == (len(spec.categories),)


@pytest.mark.parametrize(
    ("name", "gmacs"),
    [("resnet18", 1.8), ("resnet34", 3.7), ("resnet50", 4.1), ("resnet101", 7.8), ("resnet152", 11.5)],
)
def test_lecture_resnet_gmacs(name: str, gmacs: float) -> None:
    assert round(summarize(name).gmacs, 1) == gmacs


def test_lecture_block_parameter_counts() -> None:
    # ResNet-34's first basic block: two 3x3 64→64 convolutions (2·36,864) and two BatchNorms (2·128).
    assert summarize("resnet34").find("layer1.0").params == 73_984
    resnet50 = summarize("resnet50")
    # The lecture's ~70k bottleneck is 256→64→64→256: 16,384 + 36,864 + 16,384 weights (+ 768 BatchNorm).
    assert resnet50.find("layer1.1").params == 70_400
    # The first block also carries the 64→256 projection shortcut (16,384 + 512).
    first = resnet50.find("layer1.0")
    assert first.params == 75_008
    assert first.params - first.children[-1].params == 58_112  # without downsample
    assert first.children[-1].name == "layer1.0.downsample"


def test_lenet5_tree_shapes_and_hyper_parameters() -> None:
    summary = summarize("lenet5")
    assert summary.input_shape == (1, 28, 28)
    assert [child.name for child in summary.root.children] == ["features", "classifier"]
    conv1 = summary.find("features.0")
    assert conv1.type == "Conv2d"
    assert conv1.output_shape == (6, 24, 24)
    assert conv1.hyper["kernel_size"] == (5, 5) and conv1.hyper["out_channels"] == 6 and conv1.hyper["bias"]
    assert conv1.params == conv1.params_own == 6 * 25 + 6
    assert conv1.macs == 6 * 24 * 24 * 25
    assert conv1.memory_bytes == 6 * 24 * 24 * 4
    assert summary.find("features").output_shape == (16, 4, 4)
    assert summary.find("classifier.0").hyper == {"in_features": 256, "out_features": 120, "bias": True}
    assert summary.find("features").is_block and not conv1.is_block
    assert summary.find("features.2").receptive_field.size == (6, 6)
    assert summary.find("classifier.0").receptive_field is None
    with pytest.raises(ModelError, match=r"features.0"):
        summary.find("feature.0")


def test_blocks_are_collapsible_nodes() -> None:
    googlenet = summarize("googlenet")
    inception = googlenet.find("inception3a")
    assert inception.type == "Inception" and inception.is_block
    branches = [child.name.rsplit(".", 1)[1] for child in inception.children]
    assert branches == ["branch1", "branch2", "branch3", "branch4"]
    assert googlenet.find("inception3a").output_shape == (256, 28, 28)
    assert summarize("resnet18").find("layer1.0").type == "BasicBlock"
    assert summarize("resnext50_32x4d").find("layer1.0.conv2").hyper["groups"] == 32
    nin = summarize("nin").find("features.0")
    assert nin.type == "MlpConv" and len(nin.children) == 6


def test_googlenet_aux_heads_show_their_params_and_macs_outside_the_inference_totals() -> None:
    plain = summarize("googlenet")
    with torch.device("meta"):
        model = build_model("googlenet", aux_logits=True)
    summary = summarize(model, (3, 224, 224), model_name="googlenet+aux")

    aux1 = summary.find("aux1")
    assert aux1.training_only and aux1.type == "InceptionAux"
    assert aux1.params == 3_188_968
    # avgpool to 4x4, 1x1 conv 512->128 (1,048,576), fc 2048->1024 (2,097,152), fc 1024->1000 (1,024,000)
    assert aux1.macs == 128 * 512 * 16 + 2048 * 1024 + 1024 * 1000
    assert summary.find("aux1.conv").output_shape == (128, 4, 4)  # traced by a training-mode meta pass
    assert summary.macs == plain.macs  # inference cost unchanged
    assert summary.total_params == plain.total_params  # a summary by name builds the auxiliary heads too
    assert summary.graph is not None and plain.graph is not None
    # total_params is the network that predicts (torchvision's num_params); the heads have their own field.
    assert summary.total_params == summary.graph.total_params == 6_624_904
    assert summary.training_only_params == aux1.params + summary.find("aux2").params == 6_379_984
    assert summary.root.params == 6_624_904 + 6_379_984
    assert "training only" in format_table(summary) and "Training-only heads: 6,379,984 params" in format_table(summary)
    assert not summary.find("inception4a").training_only


def test_real_weights_are_not_touched() -> None:
    torch.manual_seed(0)
    model = build_model("lenet5")
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    model.train()
    summary = summarize(model, (1, 28, 28))
    assert summary.model_name == "LeNet5" and summary.total_params == 44_426
    assert model.training  # modes restored
    for name, tensor in model.state_dict().items():
        assert tensor.device.type == "cpu" and torch.equal(tensor, before[name])


class _DataDependent(nn.Module):
    """Branches on a value: the meta device cannot run it, a real forward can."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x if float(x.sum()) > 1e9 else x.relu()


def test_meta_failure_falls_back_to_a_real_forward() -> None:
    summary = summarize(_DataDependent(), (3, 8, 8))
    assert summary.find("conv").output_shape == (4, 6, 6)
    assert summary.macs == 4 * 6 * 6 * 27
    with pytest.raises(ModelError, match="cannot run"):
        summarize(_DataDependent().to("meta"), (3, 8, 8))


def test_errors_are_readable() -> None:
    with pytest.raises(ModelError, match="input shape"):
        summarize(nn.Conv2d(1, 1, 3))
    with pytest.raises(ModelError, match="Unknown model"):
        summarize("resnet5O")


def test_table_dict_and_rows() -> None:
    summary = summarize("lenet5")
    table = format_table(summary)
    assert "features.0 (Conv2d)" in table and "6x24x24" in table and "44,426" in table
    shallow = format_table(summary, depth=1)
    assert "features (Sequential)" in shallow and "features.0" not in shallow

    data = json.loads(json.dumps(summary_to_dict(summary)))
    assert data["model"] == "lenet5" and data["input"] == [1, 28, 28]
    assert data["total_params"] == 44_426 and data["macs"] == summary.macs
    features = data["layers"][0]
    assert features["name"] == "features" and features["children"][0]["output_shape"] == [6, 24, 24]
    assert {"name", "type", "output_shape", "params", "macs", "children"} <= set(features)

    rows = summary_rows(summary)
    # One row per call in execution order: the model, the input, each block entered (the two conv-pool stages
    # of ``features`` too: engine.graph_stages), each call (flatten too).
    assert [row["name"] for row in rows] == [
        "lenet5",
        "input",
        "features",
        "features.stage1",
        *(f"features.{i}" for i in range(3)),
        "features.stage2",
        *(f"features.{i}" for i in range(3, 6)),
        "flatten",
        "classifier",
        *(f"classifier.{i}" for i in range(5)),
    ]
    assert rows[4]["output_shape"] == "6x24x24" and rows[4]["rf_size"] == 5 and rows[4]["kind"] == "call"
    assert rows[2]["kind"] == "block" and rows[2]["output_shape"] == "16x4x4"
    assert rows[3]["kind"] == "block" and rows[3]["type"] == "Stage" and rows[3]["output_shape"] == "6x12x12"
    assert data["calls"][4]["name"] == "features.0"


def test_loaded_model_like_objects_are_accepted() -> None:
    class Loaded:  # what weights.LoadedModel offers: .model, .name, .input
        name = "lenet5"
        model = build_model("lenet5")
        input = get_spec("lenet5").input

    summary = summarize(Loaded())
    assert summary.model_name == "lenet5" and summary.input_shape == (1, 28, 28)
    assert isinstance(summary.root, LayerNode)


def test_a_real_model_that_cannot_take_the_input_size_is_one_sentence() -> None:
    from viewer.core.errors import ModelError
    from viewer.engine.models.registry import build_model

    # LeNet-5's flatten -> Linear(256) fails at 400x600 on the meta device and again for real.
    with pytest.raises(ModelError, match=r"lenet5 cannot run on a 1x400x600 input: mat1 and mat2"):
        summarize(build_model("lenet5"), (1, 400, 600), model_name="lenet5")


def _lines_under(table: str, block: str) -> tuple[str, list[str]]:
    """The row of ``block`` in a text table and the note lines printed under it (more indented, not a row)."""
    lines = table.splitlines()
    index = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"{block} ("))
    indent = len(lines[index]) - len(lines[index].lstrip()) + 2
    notes = []
    for line in lines[index + 1 :]:
        if not line.startswith(" " * indent) or line.strip().split()[0].startswith(f"{block}."):
            break
        notes.append(line[indent:])
    return lines[index], notes


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_each_resnet_block_prints_the_lectures_count_beside_the_modules(name: str) -> None:
    """What the table, the JSON and the CSV say of each block, against torchvision's module (meta device)."""
    model = meta_resnet(name)
    summary = summarize(name)
    table = format_table(summary)
    document = json.loads(json.dumps(summary_to_dict(summary)))
    calls = {row["name"]: row for row in document["calls"]}
    csv_rows = {row["name"]: row for row in summary_rows(summary)}
    blocks = [f"layer{stage}.{i}" for stage in range(1, 5) for i in range(len(getattr(model, f"layer{stage}")))]
    for block in blocks:
        module = model.get_submodule(block)
        counts = block_counts(module)
        row, notes = _lines_under(table, block)
        assert f" {counts.real:,} " in row  # the Params column: the module's count
        assert notes[0].startswith("lecture: ") and notes[0].endswith(f" = {counts.lecture:,}")
        assert notes[-1].startswith("differs: ")
        reasons = [counts.bias, counts.batchnorm] + ([counts.shortcut] if counts.shortcut else [])
        assert signed_amounts(notes[-1]) == reasons and counts.lecture + sum(reasons) == counts.real
        lecture = calls[block]["lecture"]
        assert (lecture["value"], lecture["real"], calls[block]["params"]) == (counts.lecture, counts.real, counts.real)
        assert notes[0] == f"lecture: {lecture['formula']} = {counts.lecture:,}"
        assert notes[-1] == f"differs: {lecture['reason']}"
        csv_row = csv_rows[block]
        assert (csv_row["lecture_params"], csv_row["lecture_reason"]) == (counts.lecture, lecture["reason"])
        # A bottleneck: the lecture's motivation, a basic block at its width as torchvision builds one.
        if isinstance(module, Bottleneck):
            width = module.conv3.out_channels
            basic = basic_block_counts(width)
            assert lecture["basic_block"]["value"] == basic.lecture and lecture["basic_block"]["channels"] == width
            assert notes[1].strip().startswith(f"a basic block at {width} channels would have 2 × (3×3×{width} + 1)")
            assert f"≈ {basic.lecture / 1e6:.1f}M, this bottleneck " in notes[1]
        else:
            assert len(notes) == 2 and lecture["basic_block"] is None
    layer1 = next(node for node in document["layers"] if node["name"] == "layer1")
    assert [child["lecture"] for child in layer1["children"]] == [
        calls[f"layer1.{i}"]["lecture"] for i in range(len(layer1["children"]))
    ]
    assert "lecture" not in calls["layer1"] and "lecture" not in calls["layer1.0.conv1"]


def test_the_lecture_lines_keep_the_table_readable_and_leave_other_networks_alone() -> None:
    table = format_table(summarize("resnet50"))
    assert "a basic block at 256 channels would have 2 × (3×3×256 + 1) × 256 ≈ 1.2M, this bottleneck 70k" in table
    body = table.split("\nInput:")[0]
    assert max(map(len, body.splitlines())) <= 120
    assert table.splitlines()[-1].startswith("lecture: (k×k×C_in + 1) × C_out per convolution")
    assert "lecture:" not in format_table(summarize("resnet50"), depth=1)  # the blocks' rows hidden, their notes too
    plain = summarize("googlenet")
    assert "lecture:" not in format_table(plain) and not any("lecture_params" in row for row in summary_rows(plain))
