"""Naming things in a data-flow graph (viewer.core.graph.keys), on real graphs of zoo networks."""

from __future__ import annotations

import pytest

from viewer.core.graph.keys import enclosing_blocks, grouped_block, key_of, layer_of
from viewer.engine.graph.build import graph_of_name


@pytest.fixture(scope="module")
def resnet18():
    return graph_of_name("resnet18")


@pytest.fixture(scope="module")
def resnext():
    return graph_of_name("resnext50_32x4d")


def test_key_of_a_block_a_node_and_a_module_called_once(resnet18) -> None:
    assert key_of(resnet18, "layer1.0") == "layer1.0"
    assert key_of(resnet18, "layer1.0.conv1") == "layer1.0.conv1"
    assert key_of(resnet18, "no.such.layer") is None


def test_a_module_called_several_times_names_its_first_call(resnet18) -> None:
    relu_calls = resnet18.calls_of("layer1.0.relu")
    assert len(relu_calls) >= 2  # torchvision's BasicBlock calls its one ReLU twice
    assert key_of(resnet18, "layer1.0.relu") == relu_calls[0].id


def test_layer_of_reports_module_paths(resnet18) -> None:
    call = resnet18.calls_of("layer1.0.relu")[1]
    assert layer_of(resnet18, call.id) == "layer1.0.relu"
    assert layer_of(resnet18, "layer1") == "layer1"
    assert layer_of(resnet18, "unknown") == "unknown"


def test_enclosing_blocks_of_a_node_and_of_a_block(resnet18) -> None:
    assert enclosing_blocks(resnet18, "layer1.0.conv1") == ("layer1", "layer1.0")
    assert enclosing_blocks(resnet18, "layer1.0") == ("layer1",)
    assert enclosing_blocks(resnet18, "layer1") == ()


def test_grouped_block_finds_resnext_groups_only(resnet18, resnext) -> None:
    assert grouped_block(resnext, "layer1.0.conv2") == "layer1.0"
    assert grouped_block(resnext, "layer1.0") == "layer1.0"
    assert grouped_block(resnet18, "layer1.0.conv2") is None
