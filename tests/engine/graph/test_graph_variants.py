"""The convolutionized graph, the graph without training heads, and the JSON document of a drawing."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from viewer.core.errors import ModelError, UnsupportedModelError
from viewer.engine.graph.build import graph_of_name
from viewer.engine.graph.export import draw_graph, graph_document
from viewer.engine.graph.variants import convolutionized_graph, parse_size, without_training_heads


def _by_id(graph):
    return {node.id: node for node in graph.nodes}


def test_alexnet_at_1024x768_shows_its_classifier_as_convolutions_with_a_dense_output() -> None:
    graph = convolutionized_graph("alexnet", (1024, 768))
    assert graph.traced and graph.input_shape == (3, 768, 1024)
    nodes = _by_id(graph)
    fc6, fc7, fc8 = nodes["classifier.1"], nodes["classifier.4"], nodes["classifier.6"]
    assert [n.type for n in (fc6, fc7, fc8)] == ["ConvolutionizedLinear"] * 3
    assert [n.hyper["kernel_size"] for n in (fc6, fc7, fc8)] == [(6, 6), (1, 1), (1, 1)]
    assert fc6.shape == (4096, 18, 26) and fc8.shape == (1000, 18, 26)
    assert graph.nodes[-1].id == "classifier.6"  # the class map is the output: no pooling, no flatten after
    assert "avgpool" not in nodes and not any(n.type == "flatten" for n in graph.nodes)
    assert "6×6 convolution" in fc6.note
    assert graph.variant.startswith("convolutionized for 1024×768: a 1000×18×26 map")
    assert any("classifier.1: Linear(9216→4096) → Conv2d 256→4096 6×6" in note for note in graph.notes)
    assert graph.total_params == 61_100_840  # the same weights, reshaped
    # Each of the 18×26 positions costs one 224² window's classifier.
    assert fc6.macs == 18 * 26 * 9216 * 4096


def test_vgg16_fc6_becomes_a_7x7_convolution() -> None:
    graph = convolutionized_graph("vgg16", (512, 512))
    nodes = _by_id(graph)
    assert nodes["classifier.0"].type == "ConvolutionizedLinear"
    assert nodes["classifier.0"].hyper["kernel_size"] == (7, 7)
    assert nodes["classifier.6"].shape == (1000, 10, 10)


def test_a_network_without_linear_layers_is_refused_in_one_sentence() -> None:
    with pytest.raises(UnsupportedModelError, match=r"^nin has no fully-connected \(Linear\) layer"):
        convolutionized_graph("nin", (512, 512))


def test_a_size_too_small_names_the_smallest() -> None:
    with pytest.raises(ModelError, match=r"alexnet: 100×300 is too small .* smallest image it takes is 223×223"):
        convolutionized_graph("alexnet", (100, 300))


def test_a_custom_module_and_its_weights_are_left_as_they_are() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    weight = model[3].weight.detach().clone()
    graph = convolutionized_graph(model, (16, 12), input_shape=(3, 8, 8), model_name="tiny")
    assert _by_id(graph)["3"].type == "ConvolutionizedLinear" and graph.nodes[-1].shape == (5, 5, 9)
    assert type(model[3]) is nn.Linear and torch.equal(model[3].weight, weight)
    with pytest.raises(ModelError, match="input size"):
        convolutionized_graph(model, (16, 12))


@pytest.mark.parametrize("text", ["1024", "axb", "0x10", "10x-3", "1x2x3"])
def test_sizes_are_width_x_height(text: str) -> None:
    assert parse_size("1024x768") == (1024, 768) and parse_size("64×48") == (64, 48)
    with pytest.raises(ModelError, match="--convolutionized"):
        parse_size(text)


def test_training_heads_can_be_left_out() -> None:
    graph = graph_of_name("googlenet")
    plain = without_training_heads(graph)
    assert not any(node.training_only for node in plain.nodes)
    assert "aux1" not in plain.blocks and "inception4a" in plain.blocks
    kept = {node.id for node in plain.nodes}
    assert all(edge.src in kept and edge.dst in kept for edge in plain.edges)
    assert (plain.total_params, plain.macs) == (graph.total_params, graph.macs)
    assert without_training_heads(plain) is plain


def test_the_document_holds_boxes_edges_blocks_and_totals() -> None:
    drawing = draw_graph("resnet18", expand="layer1.0")
    document = json.loads(json.dumps(graph_document(drawing.layout, drawing.graph)))
    assert document["model"] == "resnet18" and document["input"] == [3, 224, 224]
    assert document["totals"]["params"] == 11_689_512 and document["traced"] is True
    assert document["variant"].startswith("He et al. basic blocks")
    nodes = {node["id"]: node for node in document["nodes"]}
    conv = nodes["layer1.0.conv1"]
    assert conv["op"] == "module" and conv["type"] == "Conv2d" and conv["module"] == "layer1.0.conv1"
    assert conv["block"] == "layer1.0" and conv["frame"] == "layer1.0" and conv["shape"] == [64, 56, 56]
    assert conv["params"] == 36864 and conv["macs"] > 0 and conv["receptive_field"]["size"] == [19, 19]
    assert conv["hyper"]["kernel_size"] == [3, 3] and set(conv["box"]) == {"x", "y", "w", "h", "rank"}
    block = nodes["layer2.0"]
    assert block["collapsed"] is True and block["kind"] == block["op"] == "block"
    assert "layer2.0.conv1" in block["members"] and block["params"] == 230_144
    blocks = {block["name"]: block for block in document["blocks"]}
    assert blocks["layer1.0"]["drawn"] == "frame" and blocks["layer2.0"]["drawn"] == "box"
    assert blocks["layer2.0.downsample"]["drawn"] == "inside a collapsed block"
    assert blocks["layer1"]["children"] == ["layer1.0", "layer1.1"]
    assert {(e["src"], e["dst"]) for e in document["edges"]} >= {("maxpool", "layer1.0.add")}
    assert all(len(e["points"]) >= 2 for e in document["edges"])
    assert "collapsed block" in document["collapsed_blocks"]
