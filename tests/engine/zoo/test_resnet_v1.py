"""He et al.'s original ResNets (v1): the paper's stride placement, the lecture's GMACs, torchvision's weights."""

from __future__ import annotations

import pytest
import torch
import torchvision

from viewer.core.errors import ModelError
from viewer.engine.graph.build import build_graph
from viewer.engine.models import registry
from viewer.engine.models.download import cache_dir
from viewer.engine.models.meta import meta_model
from viewer.engine.models.weights import load_model
from viewer.engine.zoo import BLOCKS, move_stride_to_first_conv, v1_macs

# The lecture's table (He et al. 2015, Table 1, "FLOPs" that are multiply-adds) at 224×224.
LECTURE_GMACS = {"resnet50_v1": 3.86, "resnet101_v1": 7.57, "resnet152_v1": 11.28}


@pytest.mark.parametrize("name, gmacs", LECTURE_GMACS.items())
def test_v1_costs_are_the_lecture_table_and_the_spec_agrees(name: str, gmacs: float) -> None:
    graph = build_graph(name)
    twin = registry.get_spec(name.removesuffix("_v1"))
    spec = registry.get_spec(name)
    assert graph.macs / 1e9 == pytest.approx(gmacs, abs=0.01)
    assert spec.gmacs == graph.macs / 1e9  # the registry's count, from a small twin, is exact
    # v1.5 costs more (its 3×3 runs on the full-size map): 3/4·C_in·C_mid·H² in each of three blocks.
    assert twin.gmacs - spec.gmacs == pytest.approx(3 * (3 * 256 * 128 * 56 * 56 // 4) / 1e9, abs=1e-3)
    assert spec.num_params == graph.total_params == twin.num_params


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_block_counts_are_torchvisions(name: str) -> None:
    model = meta_model(name)
    assert BLOCKS[name] == tuple(len(getattr(model, f"layer{stage}")) for stage in (1, 2, 3, 4))


def test_v1_macs_extrapolates_exactly_at_another_size() -> None:
    model = move_stride_to_first_conv(meta_model("resnet50"))
    assert v1_macs(BLOCKS["resnet50"], size=160) == build_graph(model, (3, 160, 160)).macs


@pytest.mark.parametrize("stage", ["layer2", "layer3", "layer4"])
def test_the_stride_is_on_the_first_1x1_of_each_downsampling_block(stage: str) -> None:
    v1, v15 = meta_model("resnet101_v1"), meta_model("resnet101")
    first, twin = getattr(v1, stage)[0], getattr(v15, stage)[0]
    assert first.conv1.kernel_size == (1, 1) and first.conv1.stride == (2, 2)
    assert first.conv2.kernel_size == (3, 3) and first.conv2.stride == (1, 1)
    assert twin.conv1.stride == (1, 1) and twin.conv2.stride == (2, 2)
    assert first.downsample[0].stride == twin.downsample[0].stride == (2, 2)
    assert all(block.conv1.stride == block.conv2.stride == (1, 1) for block in list(getattr(v1, stage))[1:])
    assert v1.layer1[0].conv1.stride == v1.layer1[0].conv2.stride == (1, 1)  # after the max pool: no stride


def test_the_graph_shows_the_halved_map_after_the_first_1x1() -> None:
    v1, v15 = build_graph("resnet50_v1"), build_graph("resnet50")
    assert v1.node("layer2.0.conv1").hyper["stride"] == (2, 2)
    assert v1.node("layer2.0.conv1").shape == (128, 28, 28)
    assert v15.node("layer2.0.conv1").shape == (128, 56, 56)
    assert v1.node("layer4.2.relu_2").shape == v15.node("layer4.2.relu_2").shape == (2048, 7, 7)


def test_graph_variant_names_each_placement() -> None:
    v1 = build_graph("resnet50_v1").variant
    v15 = build_graph("resnet50").variant
    assert v1.startswith("He et al. original (v1)") and "trained for v1.5" in v1
    assert v15.startswith("torchvision v1.5") and "resnet50_v1" in v15
    assert build_graph("resnet18").variant.startswith("He et al. basic blocks")


@pytest.mark.parametrize("name", ["resnet50", "resnet152"])
def test_state_dict_keys_and_shapes_are_torchvisions(name: str) -> None:
    ours = {k: tuple(v.shape) for k, v in meta_model(f"{name}_v1").state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in meta_model(name).state_dict().items()}
    assert list(ours.items()) == list(theirs.items())


def test_specs_share_torchvisions_weights_and_say_they_were_trained_for_v15() -> None:
    spec, twin = registry.get_spec("resnet50_v1"), registry.get_spec("resnet50")
    assert (spec.family, spec.paper) == (twin.family, twin.paper) == ("ResNet", spec.paper)
    assert spec.paper.startswith("He et al.")
    assert spec.weights == twin.weights and spec.default_weights == twin.default_weights == "IMAGENET1K_V2"
    assert spec.categories == twin.categories and spec.input == twin.input
    assert spec.accuracy == {}  # torchvision measured these weights on v1.5, not on this network
    # Every place that shows these costs says which variant they are of.
    assert spec.label() == "resnet50_v1 (v1, He et al.) · 25.6M · 3.86 GMACs · weights trained for v1.5"
    assert twin.label() == "resnet50 (v1.5) · 25.6M · 4.09 GMACs"
    assert registry.get_spec("resnet18").label() == "resnet18 · 11.7M · 1.81 GMACs"  # one form only
    assert registry.torchvision_weights("resnet50_v1", "DEFAULT") is torchvision.models.ResNet50_Weights.IMAGENET1K_V2
    with pytest.raises(ModelError, match="resnet50_v1 has no weights named 'IMAGENET1K_V9'"):
        registry.torchvision_weights("resnet50_v1", "IMAGENET1K_V9")


def test_v1_networks_are_listed_beside_torchvisions() -> None:
    names = [spec.name for spec in registry.list_specs() if spec.family == "ResNet"]
    assert names == ["resnet18", "resnet34", "resnet50", "resnet50_v1", "resnet101", "resnet101_v1", "resnet152",
                     "resnet152_v1"]  # fmt: skip


@pytest.fixture(scope="module")
def torchvision_resnet50() -> torch.nn.Module:
    torch.manual_seed(1)
    return torchvision.models.resnet50().eval()


def test_a_torchvision_state_dict_file_loads_into_v1(torchvision_resnet50, tmp_path) -> None:
    path = tmp_path / "resnet50_v15.pth"
    torch.save(torchvision_resnet50.state_dict(), path)
    loaded = load_model("resnet50_v1", str(path), device="cpu")
    assert loaded.model.layer3[0].conv1.stride == (2, 2)
    theirs = torchvision_resnet50.state_dict()
    assert all(torch.equal(value, theirs[key]) for key, value in loaded.model.state_dict().items())
    assert loaded.weights_label.startswith("resnet50_v15.pth (sha256 ")
    image = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        ours, reference = loaded.model(image), torchvision_resnet50(image)
    # Same weights, another sampling grid in three blocks: another function of the image.
    assert ours.shape == reference.shape == (1, 1000) and not torch.allclose(ours, reference)


def test_torchvision_enum_weights_load_through_torchvisions_builder(torchvision_resnet50) -> None:
    # The file torchvision would download for IMAGENET1K_V2, already in the (test's own) cache: no network.
    url = torchvision.models.ResNet50_Weights.IMAGENET1K_V2.url
    cache_dir().mkdir(parents=True, exist_ok=True)
    torch.save(torchvision_resnet50.state_dict(), cache_dir() / url.rsplit("/", 1)[-1])
    loaded = load_model("resnet50_v1", "default", device="cpu")
    assert loaded.weights == "IMAGENET1K_V2"
    assert loaded.weights_label == "IMAGENET1K_V2, weights trained for v1.5"
    assert loaded.model.layer2[0].conv1.stride == (2, 2) and loaded.model.layer2[0].conv2.stride == (1, 1)
    theirs = torchvision_resnet50.state_dict()
    assert all(torch.equal(value, theirs[key]) for key, value in loaded.model.state_dict().items())
    assert len(loaded.categories) == 1000 and loaded.categories[235] == "German shepherd"
