"""graph_svg(): a standalone SVG of a layout, with the app's colours, tooltips, dashed training heads, a caption."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from torch import nn

from viewer.core.diagram.colours import KIND_COLOURS, kind_of
from viewer.core.diagram.layout import box_lines
from viewer.core.diagram.svg import graph_svg, write_graph_svg
from viewer.core.errors import ExportError
from viewer.core.graph.dataflow import collapse, expansion
from viewer.engine.graph.build import build_graph, graph_of_name
from viewer.engine.layout.layered import layout_view

SVG = "{http://www.w3.org/2000/svg}"


def _layout(name: str, spec: str | None = None):
    graph = graph_of_name(name)
    return layout_view(collapse(graph, expansion(graph, spec)))


def _groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


def test_every_box_edge_and_frame_is_drawn_with_its_text_and_tooltip() -> None:
    layout = _layout("googlenet", "inception3a")
    root = ET.fromstring(graph_svg(layout))
    assert root.tag == f"{SVG}svg" and float(root.get("width")) == pytest.approx(layout.width)
    nodes = _groups(root, "node")
    assert [g.get("data-id") for g in nodes] == [node.id for node in layout.view.nodes]
    for group, node in zip(nodes, layout.view.nodes, strict=True):
        texts = [t.text for t in group.iter(f"{SVG}text")]
        if node.kind == "join":
            assert group.find(f"{SVG}circle") is not None and texts == ["C"]
        else:
            assert texts == box_lines(node)
            assert group.find(f"{SVG}rect").get("fill") == KIND_COLOURS[kind_of(node)]
    edges = list(root.iter(f"{SVG}polyline"))
    assert len(edges) == len(layout.routes)
    assert all(edge.get("marker-end", "").startswith("url(#arrow") for edge in edges)
    assert edges[0].find(f"{SVG}title").text == "input → conv1: 3×224×224"
    frames = _groups(root, "frame")
    assert [g.get("data-block") for g in frames] == sorted((f.name for f in layout.frames), key=lambda n: n.count("."))
    assert any(t.text == "256×28×28" for t in root.iter(f"{SVG}text"))  # what leaves the concatenation


def test_colours_follow_the_layer_kind() -> None:
    layout = _layout("resnet18", "layer1.0")
    kinds = {node.id: kind_of(node) for node in layout.view.nodes}
    assert kinds["input"] == "input" and kinds["conv1"] == "conv" and kinds["bn1"] == "norm"
    assert kinds["relu"] == "activation" and kinds["maxpool"] == "pool" and kinds["fc"] == "linear"
    assert kinds["layer1.0.add"] == "join" and kinds["layer2.0"] == "block"
    assert len({KIND_COLOURS[kind] for kind in ("conv", "norm", "activation", "pool", "linear", "block")}) == 6


def test_training_heads_are_dashed_and_the_caption_gives_totals_and_notes() -> None:
    layout = _layout("googlenet", "aux1")
    text = graph_svg(layout)
    root = ET.fromstring(text)
    aux = next(g for g in _groups(root, "node") if g.get("data-id") == "aux1.fc1")
    assert aux.find(f"{SVG}rect").get("stroke-dasharray")
    assert "training only" in [t.text for t in aux.iter(f"{SVG}text")]
    frame = next(g for g in _groups(root, "frame") if g.get("data-block") == "aux1")
    assert "training only" in frame.find(f"{SVG}text").text and frame.find(f"{SVG}rect").get("stroke-dasharray")
    dashed = [e for e in root.iter(f"{SVG}polyline") if e.get("stroke-dasharray")]
    assert dashed and all("aux" in e.find(f"{SVG}title").text or "GoogLeNetOutputs" in e.find(f"{SVG}title").text
                          for e in dashed)  # fmt: skip
    caption = " ".join(t.text for t in _groups(root, "caption")[0].iter(f"{SVG}text"))
    assert caption.startswith("googlenet · input 3×224×224 · 6.62M parameters · 1.5 GMACs")
    assert "training only" in caption and "5×5" in caption  # the aux heads apart, and the lecture's notes


def test_the_variant_is_in_the_caption() -> None:
    root = ET.fromstring(graph_svg(_layout("resnet50")))
    caption = " ".join(t.text for t in _groups(root, "caption")[0].iter(f"{SVG}text"))
    assert "Variant: torchvision v1.5" in caption


def test_names_are_escaped() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    graph = build_graph(model, (1, 8, 8), model_name='net <"a" & b>')
    text = graph_svg(layout_view(collapse(graph)))
    root = ET.fromstring(text)  # well-formed
    assert root.find(f"{SVG}title").text == 'net <"a" & b>: data-flow graph'


def test_written_atomically_and_never_over_a_file_without_force(tmp_path) -> None:
    layout = _layout("lenet5")
    target = tmp_path / "lenet5.svg"
    assert write_graph_svg(target, layout) == target
    first = target.read_text(encoding="utf-8")
    assert first == graph_svg(layout) and ET.fromstring(first) is not None
    with pytest.raises(ExportError):
        write_graph_svg(target, layout)
    write_graph_svg(target, layout, force=True)
    assert [path.name for path in tmp_path.iterdir()] == ["lenet5.svg"]  # no temporary left behind
    with pytest.raises(ExportError):
        write_graph_svg(tmp_path / "missing" / "x.svg", layout)
