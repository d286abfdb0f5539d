"""The data-flow graph shows the lecture's structures: branches, merges, skips, aux heads, bottlenecks, groups."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from viewer.core.errors import ModelError
from viewer.core.graph.dataflow import Graph, collapse, expansion
from viewer.core.graph.groups import expand_groups
from viewer.core.graph.table import graph_rows
from viewer.engine.graph.build import build_graph, graph_of_name
from viewer.engine.summary import format_table, summarize


def _paths(graph: Graph, src: str, dst: str, inside: set[str]) -> list[list[str]]:
    """Every path from ``src`` to ``dst`` through nodes of ``inside``."""
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for nxt in graph.successors(path[-1]):
            if nxt == dst:
                found.append([*path[1:], nxt])
            elif nxt in inside:
                walk([*path, nxt])

    walk([src])
    return found


def test_inception_module_is_four_disjoint_paths_to_one_concatenation() -> None:
    graph = graph_of_name("googlenet")
    block = graph.block("inception3a")
    inside = set(block.nodes)
    entry = {edge.src for edge in graph.edges if edge.dst in inside and edge.src not in inside}
    assert entry == {"maxpool2"}
    paths = _paths(graph, "maxpool2", "inception3a.cat", inside)
    assert len(paths) == 4
    inner = [set(path[:-1]) for path in paths]
    assert all(a.isdisjoint(b) for i, a in enumerate(inner) for b in inner[i + 1 :])

    def kinds(path: list[str]) -> list[str]:
        nodes = [graph.node(node_id) for node_id in path]
        sizes = [n.hyper["kernel_size"] for n in nodes if n.type in ("Conv2d", "MaxPool2d")]
        names = [n.type for n in nodes if n.type in ("Conv2d", "MaxPool2d")]
        return [
            f"{k[0] if isinstance(k, tuple) else k}x{k[-1] if isinstance(k, tuple) else k} {t}"
            for k, t in zip(sizes, names, strict=True)
        ]

    assert sorted(map(kinds, paths)) == sorted([
        ["1x1 Conv2d"], ["1x1 Conv2d", "3x3 Conv2d"], ["1x1 Conv2d", "3x3 Conv2d"], ["3x3 MaxPool2d", "1x1 Conv2d"],
    ])  # fmt: skip
    cat = graph.node("inception3a.cat")
    assert cat.is_join and cat.shape == (256, 28, 28) and len(graph.predecessors(cat.id)) == 4
    assert "5×5" in graph.node("inception3a.branch3.1.conv").note and "5×5" in block.note


def test_auxiliary_heads_branch_off_after_4a_and_4d_and_stay_out_of_the_totals() -> None:
    graph = graph_of_name("googlenet")
    for head, source in (("aux1", "inception4a.cat"), ("aux2", "inception4d.cat")):
        block = graph.block(head)
        assert block.training_only and block.type == "InceptionAux" and "not train" in block.note
        inside = set(block.nodes)
        feeds = {edge.src for edge in graph.edges if edge.dst in inside and edge.src not in inside}
        assert feeds == {source}
        assert not any(edge.src in inside and edge.dst not in inside for edge in graph.edges)  # a dead end
        assert block.params > 3_000_000 and block.macs > 4_000_000
    assert graph.total_params == 6_624_904  # torchvision's num_params for googlenet
    assert round(graph.macs / 1e9, 3) == 1.498
    assert graph.training_params == graph.block("aux1").params + graph.block("aux2").params
    assert any("aux1 after inception4a" in note for note in graph.notes)
    view = collapse(graph)
    assert view.node("aux1").kind == "block" and view.node("aux1").training_only


def test_resnet18_blocks_add_the_skip_and_project_it_with_downsample() -> None:
    graph = graph_of_name("resnet18")
    assert sorted(graph.predecessors("layer1.0.add")) == ["layer1.0.bn2", "maxpool"]  # the skip is the block input
    assert sorted(graph.predecessors("layer2.0.add")) == ["layer2.0.bn2", "layer2.0.downsample.1"]
    projection = graph.node("layer2.0.downsample.0")
    assert projection.hyper["kernel_size"] == (1, 1) and projection.hyper["stride"] == (2, 2)
    assert graph.predecessors("layer2.0.downsample.0") == ["layer1.1.relu_1"]  # parallel to conv1, not after relu
    view = collapse(graph, expansion(graph, "layer2.0"))  # the downsample Sequential opens with its block
    assert {edge.src for edge in view.edges if edge.dst == "layer2.0.add"} == {"layer2.0.bn2", "layer2.0.downsample.1"}
    assert view.node("layer2.0.downsample.0").parent == "layer2.0.downsample"
    view = collapse(graph, expansion(graph, "layer2.0") - {"layer2.0.downsample"})
    assert view.node("layer2.0.downsample").kind == "block"


def test_resnet50_bottleneck_calls_its_relu_three_times_with_three_shapes() -> None:
    graph = graph_of_name("resnet50")
    calls = graph.calls_of("layer1.0.relu")
    assert [call.id for call in calls] == ["layer1.0.relu", "layer1.0.relu_1", "layer1.0.relu_2"]
    assert [call.shape for call in calls] == [(64, 56, 56), (64, 56, 56), (256, 56, 56)]
    convs = [n for n in graph.nodes if n.block == "layer1.0" and n.type == "Conv2d"]
    assert [n.hyper["kernel_size"] for n in convs] == [(1, 1), (3, 3), (1, 1)]
    assert graph.block("layer1.1").params == 70_400
    assert graph_of_name("resnet34").block("layer1.0").params == 73_984
    # Receptive fields grow along the real edges: no shrinking from 19 to 11 on the third call.
    sizes = [call.receptive_field.size[0] for call in calls if call.receptive_field]
    assert sizes == sorted(sizes) and sizes[-1] >= 19
    rows = [row for row in graph_rows(graph) if row.module == "layer1.0.relu"]
    assert [(row.call, row.calls, row.shape[0]) for row in rows if row.shape] == [(1, 3, 64), (2, 3, 64), (3, 3, 256)]
    text = format_table(summarize("resnet50"))
    assert "layer1.0.relu (ReLU, call 3 of 3)" in text and "layer1.0.add (add)" in text


def test_resnext_grouped_convolution_expands_into_32_pathways() -> None:
    graph = graph_of_name("resnext50_32x4d")
    grouped = graph.node("layer1.1.conv2")
    assert grouped.hyper["groups"] == 32 and "32 parallel pathways, each 4 channels wide" in grouped.note
    aggregated = expand_groups(graph, "layer1.1")
    firsts = [n for n in aggregated.nodes if n.id.endswith(".conv1")]
    assert len(firsts) == 32
    assert {(n.hyper["in_channels"], n.hyper["out_channels"]) for n in firsts} == {(256, 4)}
    middles = {(n.hyper["in_channels"], n.hyper["out_channels"], n.hyper["groups"])
               for n in aggregated.nodes if n.id.endswith(".conv2")}  # fmt: skip
    assert middles == {(4, 4, 1)}
    lasts = [n for n in aggregated.nodes if n.id.endswith(".conv3")]
    assert {(n.hyper["in_channels"], n.hyper["out_channels"]) for n in lasts} == {(4, 256)}
    assert sorted(aggregated.predecessors("sum")) == sorted(n.id for n in lasts)
    assert aggregated.node("sum").is_join
    # The same weights, split: the aggregated picture costs exactly what the grouped block costs.
    assert sum(n.params for n in aggregated.nodes) == graph.block("layer1.1").params
    assert sum(n.macs for n in aggregated.nodes) == graph.block("layer1.1").macs
    assert "the same computation" in aggregated.notes[0] and "32 groups" in aggregated.notes[0]
    with pytest.raises(ModelError, match="no grouped convolution"):
        expand_groups(graph_of_name("resnet50"), "layer1.1")


def test_nin_mlpconv_blocks_and_global_pooling_without_linear() -> None:
    graph = graph_of_name("nin")
    view = collapse(graph)
    mlpconvs = [n for n in view.nodes if n.type == "MlpConv"]
    assert len(mlpconvs) == 3 and all(n.kind == "block" for n in mlpconvs)
    assert not any(n.type == "Linear" for n in graph.nodes)
    assert any(n.type == "AdaptiveAvgPool2d" and n.shape == (10, 1, 1) for n in graph.nodes)
    inner = graph.block("features.0")
    assert [graph.node(n).hyper.get("kernel_size") for n in inner.nodes if graph.node(n).type == "Conv2d"] == [
        (5, 5),
        (1, 1),
        (1, 1),
    ]


def test_lenet5_is_the_lecture_chain() -> None:
    graph = graph_of_name("lenet5")
    chain = [n.shape for n in graph.nodes if n.type in ("Input", "Conv2d", "MaxPool2d", "flatten", "Linear")]
    assert chain == [(1, 28, 28), (6, 24, 24), (6, 12, 12), (16, 8, 8), (16, 4, 4), (256,), (120,), (84,), (10,)]
    assert all(len(graph.predecessors(n.id)) == 1 for n in graph.nodes[1:])


def test_a_module_called_several_times_counts_its_parameters_once() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(self.conv(x)) + x

    graph = build_graph(Twice(), (4, 8, 8))
    calls = graph.calls_of("conv")
    assert len(calls) == 2 and [c.params for c in calls] == [4 * 4 * 9 + 4, 0]
    assert [c.macs for c in calls] == [4 * 4 * 9 * 64] * 2
    assert [c.receptive_field.size for c in calls if c.receptive_field] == [(3, 3), (5, 5)]
    assert graph.total_params == 148 and graph.node("add").is_join


def test_untraceable_models_fall_back_to_the_module_tree_with_a_reason() -> None:
    class DataDependent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.pool = nn.AdaptiveAvgPool2d(1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.conv(x)
            return self.pool(x if float(x.sum()) > 1e9 else x.relu())

    graph = build_graph(DataDependent(), (3, 8, 8))
    assert not graph.traced and graph.fallback_reason
    assert graph.notes[0].startswith("Data flow unavailable") and len(graph.notes[0].splitlines()) == 1
    assert [n.id for n in graph.nodes] == ["input", "conv", "pool"]
    assert graph.node("conv").shape == (4, 6, 6) and graph.macs == 4 * 6 * 6 * 27
    assert collapse(graph).nodes  # every view still draws it


def test_real_weights_are_never_touched_nor_copied_to_the_graph() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 5)).train()
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    graph = build_graph(model, (3, 8, 8), model_name="tiny")
    assert graph.total_params == sum(p.numel() for p in model.parameters()) and model.training
    assert all(torch.equal(tensor, before[name]) for name, tensor in model.state_dict().items())


def test_expansion_specs() -> None:
    graph = graph_of_name("googlenet")
    assert expansion(graph) == graph.default_expanded
    assert expansion(graph, "all") == frozenset(graph.blocks)
    assert "inception3a" not in expansion(graph, "0") and all(b.count(".") == 0 for b in expansion(graph, "1"))
    named = expansion(graph, "inception3a")
    assert {"inception3a", "inception3a.branch2", "inception3a.branch4"} <= named
    assert "inception3a.branch1" not in named  # a BasicConv2d stays one box
    with pytest.raises(ModelError, match="Did you mean inception3b, inception3a"):
        expansion(graph, "inception3x")


def test_the_architecture_tab_and_the_summary_share_one_cached_graph() -> None:
    from viewer.engine.graph.build import graph_of_name
    from viewer.engine.summary import summarize

    shown = graph_of_name("squeezenet1_1")  # what the Architecture tab asks for: no size
    assert graph_of_name("squeezenet1_1", (3, 224, 224)) is shown
    assert summarize("squeezenet1_1").graph is shown  # the summary traced nothing again
    assert graph_of_name("squeezenet1_1", (3, 256, 256)) is not shown
