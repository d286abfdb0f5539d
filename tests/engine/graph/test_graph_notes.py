"""The notes say true things: which form of each lecture network torchvision builds, and how it differs."""

from __future__ import annotations

import pytest

from viewer.engine.graph.build import graph_of_name


@pytest.mark.parametrize("name", ["resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d"])
def test_resnext_follows_the_paper_not_resnets_v15_note(name: str) -> None:
    """Xie et al. put the stride on the 3×3: torchvision's ResNeXt is the paper's, not a "v1.5"."""
    variant = graph_of_name(name).variant
    assert variant.startswith("ResNeXt as in the paper (Xie et al., 2016)") and "grouped 3×3" in variant
    assert "v1.5" not in variant


def test_resnet_keeps_its_v1_and_v15_notes() -> None:
    assert graph_of_name("resnet50").variant.startswith("torchvision v1.5")
    assert graph_of_name("resnet50_v1").variant.startswith("He et al. original (v1)")


def test_alexnet_says_it_is_the_single_gpu_form_without_lrn() -> None:
    notes = [note for note in graph_of_name("alexnet").notes if "AlexNet" in note]
    assert notes == [
        "torchvision's AlexNet is the single-GPU form (Krizhevsky, One weird trick, 2014): 64, 192, 384, 256, 256 "
        "filters and no local response normalisation; the 2012 paper has 96, 256, 384, 384, 256 split over two "
        "GPUs, with LRN after conv1 and conv2."
    ]


def test_googlenet_says_it_has_batchnorm_and_its_branch3_is_3x3() -> None:
    notes = graph_of_name("googlenet").notes
    assert (
        "torchvision's GoogLeNet puts a BatchNorm after every convolution and has no local response normalisation; "
        "the paper (Szegedy et al., 2014) predates BatchNorm and uses LRN in its stem." in notes
    )
    assert any("3×3 convolution in branch3" in note for note in notes)


@pytest.mark.parametrize("name", ["vgg16", "resnet18", "mobilenet_v2", "lenet5"])
def test_other_networks_get_none_of_these_notes(name: str) -> None:
    graph = graph_of_name(name)
    assert not any("AlexNet" in note or "GoogLeNet" in note for note in graph.notes)
    assert "ResNeXt" not in graph.variant


def test_googlenet_compares_its_parameters_with_alexnets_and_the_lectures_12x() -> None:
    notes = [note for note in graph_of_name("googlenet").notes if "AlexNet" in note]
    googlenet, alexnet = graph_of_name("googlenet").total_params, graph_of_name("alexnet").total_params
    assert len(notes) == 1 and f"{alexnet / googlenet:.1f}× fewer than AlexNet" in notes[0]
    assert "9.2×" in notes[0] and "12×" in notes[0] and "BatchNorm" in notes[0] and "single-GPU" in notes[0]
