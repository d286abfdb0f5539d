"""`viewer graph`: text, JSON and SVG of a network's data-flow graph; bad input is one sentence and exit 2."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from viewer.cli import main


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("viewer: "), err
    return err[0]


def test_text_lists_the_boxes_with_shapes_and_costs(capsys) -> None:
    assert main(["graph", "--model", "resnet18"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("resnet18: input 3×224×224, 11.7M parameters, 1.81 GMACs; 16 boxes")
    assert lines[1].startswith("variant: He et al. basic blocks")
    layer = next(line for line in lines if line.lstrip().startswith("layer1.0 "))
    assert "BasicBlock (collapsed)" in layer and "64×56×56" in layer and "params" in layer


def test_json_on_stdout_is_one_document(capsys) -> None:
    assert main(["graph", "--model", "googlenet", "--expand", "inception3a", "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["model"] == "googlenet" and document["expanded"][:1] == ["inception3a"]
    ids = {node["id"] for node in document["nodes"]}
    assert {"inception3a.branch1", "inception3a.cat", "aux1", "aux2"} <= ids
    assert any(frame["name"] == "inception3a" for frame in document["frames"])
    assert document["totals"]["training_only_params"] > 0


def test_no_aux_hides_the_training_heads(capsys) -> None:
    assert main(["graph", "--model", "googlenet", "--no-aux", "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert not any(node["training_only"] for node in document["nodes"])
    assert "aux1" not in {block["name"] for block in document["blocks"]}


def test_files_are_written_and_kept_without_force(tmp_path, capsys) -> None:
    svg, doc = tmp_path / "g.svg", tmp_path / "g.json"
    assert main(["graph", "--model", "lenet5", "--svg", str(svg), "--json", str(doc)]) == 0
    captured = capsys.readouterr()
    assert "wrote" in captured.err and captured.out.startswith("lenet5: ")
    assert ET.parse(svg).getroot().tag.endswith("svg")
    assert json.loads(doc.read_text())["model"] == "lenet5"
    before = svg.read_bytes()
    assert main(["graph", "--model", "lenet5", "--svg", str(svg)]) == 2
    assert "exists" in _one_error(capsys) and svg.read_bytes() == before
    assert main(["graph", "--model", "lenet5", "--svg", str(svg), "--expand", "all", "--force"]) == 0


def test_weights_do_not_change_the_graph(capsys) -> None:
    assert main(["graph", "--model", "alexnet", "--json", "-"]) == 0
    plain = capsys.readouterr().out
    assert main(["graph", "--model", "alexnet", "--weights", "/no/such/file.pth", "--json", "-"]) == 0
    assert capsys.readouterr().out == plain


def test_convolutionized_alexnet(capsys) -> None:
    assert main(["graph", "--model", "alexnet", "--convolutionized", "1024x768", "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)
    nodes = {node["id"]: node for node in document["nodes"]}
    assert [nodes[name]["hyper"]["kernel_size"] for name in ("classifier.1", "classifier.4", "classifier.6")] == [
        [6, 6],
        [1, 1],
        [1, 1],
    ]
    assert nodes["classifier.6"]["type"] == "ConvolutionizedLinear"
    assert nodes["classifier.6"]["shape"] == [1000, 18, 26] and document["input"] == [3, 768, 1024]


@pytest.mark.parametrize(("arguments", "words"), [
    (["--model", "googlenet", "--expand", "inception3z"], ["no block named 'inception3z'", "inception3a"]),
    (["--model", "resnet18", "--expand", "layer1.0,layr2"], ["no block named 'layr2'", "layer2"]),
    (["--model", "nin", "--convolutionized", "512x512"], ["no fully-connected (Linear) layer"]),
    (["--model", "alexnet", "--convolutionized", "100x100"], ["too small", "223×223"]),
    (["--model", "alexnet", "--convolutionized", "big"], ["expected WIDTHxHEIGHT"]),
    (["--model", "alexnett"], ["Unknown model", "alexnet"]),
    (["--model", "resnet18", "--input", "3x224"], ["expected CxHxW"]),
])  # fmt: skip
def test_bad_input_is_one_sentence_and_exit_2(arguments: list[str], words: list[str], capsys) -> None:
    assert main(["graph", *arguments]) == 2
    error = _one_error(capsys)
    assert all(word in error for word in words), error


def test_expand_groups_needs_the_pathways_module(capsys) -> None:
    try:
        import viewer.core.graph.groups  # noqa: F401
    except ImportError:
        assert main(["graph", "--model", "resnext50_32x4d", "--expand-groups", "layer1.0"]) == 2
        assert "--expand-groups" in _one_error(capsys)
    else:
        assert main(["graph", "--model", "resnext50_32x4d", "--expand-groups", "layer1.0"]) == 0


def test_help_says_weights_do_not_matter(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["graph", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "never on weights" in text and "--no-aux" in text and "--convolutionized" in text


def test_direction_left_to_right_in_the_text_json_and_svg(tmp_path, capsys) -> None:
    svg = tmp_path / "resnet18.svg"
    assert main(["graph", "--model", "resnet18", "--expand", "layer1.0", "--direction", "LR", "--svg", str(svg)]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(" left to right")
    for edge in ET.fromstring(svg.read_text()).iter("{http://www.w3.org/2000/svg}polyline"):
        xs = [float(point.split(",")[0]) for point in edge.get("points", "").split()]
        assert xs == sorted(xs) and xs[0] < xs[-1]  # every edge drawn left to right
    assert main(["graph", "--model", "resnet18", "--direction", "lr", "--json", "-"]) == 0  # any case
    document = json.loads(capsys.readouterr().out)
    assert document["drawing"]["direction"] == "LR"
    assert document["drawing"]["width"] > document["drawing"]["height"]
    boxes = {node["id"]: node["box"] for node in document["nodes"]}
    for edge in document["edges"]:
        source, target = boxes[edge["src"]], boxes[edge["dst"]]
        assert source["x"] + source["w"] <= target["x"] and edge["points"][0][0] < edge["points"][-1][0]


def test_direction_is_top_down_by_default_and_checked(capsys) -> None:
    assert main(["graph", "--model", "resnet18", "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["drawing"]["direction"] == "TB" and document["drawing"]["height"] > document["drawing"]["width"]
    with pytest.raises(SystemExit) as stopped:
        main(["graph", "--model", "resnet18", "--direction", "up"])
    error = capsys.readouterr().err
    assert stopped.value.code == 2 and "--direction" in error and "invalid choice" in error
