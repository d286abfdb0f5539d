"""`viewer summary --lecture-table`, the lecture's block formulas in `viewer summary`, and how `viewer models` shows
He et al.'s v1 ResNets."""

from __future__ import annotations

import json

import pytest

from tests.resnet_counts import block_counts, meta_resnet
from viewer.cli import main


def test_lecture_table_prints_the_five_columns_with_the_chosen_one_marked(capsys) -> None:
    assert main(["summary", "--model", "resnet50_v1", "--lecture-table"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[2].split()
    assert header[-6:] == ["18-layer", "34-layer", "50-layer", "*", "101-layer", "152-layer"]
    assert "3×3 max pool, stride 2" in out and "⎢3×3, 256 ⎥ ×36" in out
    flops_v1 = next(line for line in out.splitlines() if line.startswith("FLOPs, v1 "))
    assert flops_v1.split()[2:] == ["1.81×10⁹", "3.66×10⁹", "3.86×10⁹", "*", "7.57×10⁹", "11.28×10⁹"]
    assert "* resnet50_v1: He et al. original (v1)" in out


def test_lecture_table_as_json(capsys) -> None:
    assert main(["summary", "--model", "resnet101", "--lecture-table", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["chosen"] == 3 and document["chosen_v1"] is False
    assert document["gmacs_v15"][3] == pytest.approx(7.80, abs=0.01)
    stage4 = next(row for row in document["rows"] if row["layer"] == "conv4_x")
    assert stage4["cells"][3] == {"lines": ["1×1, 256", "3×3, 256", "1×1, 1024"], "repeat": 23}


@pytest.mark.parametrize("extra, said", [
    (["--model", "alexnet"], "alexnet is not one of them"),
    (["--model", "resnet50", "--input", "3x112x112"], "not --model-file, --input or --out"),
])  # fmt: skip
def test_lecture_table_of_something_else_is_one_sentence(extra, said, capsys) -> None:
    assert main(["summary", "--lecture-table", *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and said in captured.err


def test_summary_prints_the_lectures_formula_under_a_basic_block(tmp_path, capsys) -> None:
    """The lecture's 2 × (3×3×64 + 1) × 64 ≈ 73k beside the module's 73,984, as printed, in text and JSON."""
    counts = block_counts(meta_resnet("resnet18").layer1[0])
    assert (counts.lecture, counts.real) == (73_856, 73_984)
    assert main(["summary", "--model", "resnet18", "--depth", "2", "--out", str(tmp_path / "r18.csv")]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(index for index, line in enumerate(lines) if line.startswith("    layer1.0 (BasicBlock)"))
    assert lines[row].split()[-3] == f"{counts.real:,}"
    assert lines[row + 1 : row + 3] == [
        f"      lecture: 2 × (3×3×64 + 1) × 64 = {counts.lecture:,}",
        "      differs: no convolution bias (−128), BatchNorm's scale and shift (+256)",
    ]
    assert "lecture_formula" in (tmp_path / "r18.csv").read_text().splitlines()[0]
    assert main(["summary", "--model", "resnet18", "--json"]) == 0
    out = capsys.readouterr().out
    assert "2 × (3×3×64 + 1) × 64" in out  # printed as the lecture writes it, not \u00d7
    block = next(row for row in json.loads(out)["calls"] if row["name"] == "layer1.0")
    assert (block["params"], block["lecture"]["value"], block["lecture"]["real"]) == (
        counts.real,
        counts.lecture,
        counts.real,
    )
    assert block["lecture"]["reason"] == "no convolution bias (−128), BatchNorm's scale and shift (+256)"


def test_models_says_the_v1_resnets_run_weights_trained_for_v15(capsys) -> None:
    assert main(["models"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["resnet50_v1"].split()[2:4] == ["25.56M", "3.858"]
    assert lines["resnet50_v1"].endswith("IMAGENET1K_V1, IMAGENET1K_V2 (weights trained for v1.5)")
    assert lines["resnet50"].endswith("IMAGENET1K_V1, IMAGENET1K_V2")
    assert " v1.5 " in lines["resnet50"] and " v1, He et al. " in lines["resnet50_v1"]  # which variant costs this
    assert main(["models", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert (
        rows["resnet152_v1"]["weights_note"] == "weights trained for v1.5" and rows["resnet152"]["weights_note"] == ""
    )
    assert rows["resnet152_v1"]["gmacs"] == pytest.approx(11.28, abs=0.01)
    assert (rows["resnet152"]["variant"], rows["resnet152_v1"]["variant"]) == ("v1.5", "v1, He et al.")


def test_total_params_is_the_network_that_predicts_everywhere(tmp_path, shared_data, capsys) -> None:
    """GoogLeNet: 6,624,904 parameters predict (torchvision, torchinfo, the table); the auxiliary heads' 6,379,984
    are training only, in fields of their own, in the summary's text, JSON and CSV, the graph's JSON and compare."""
    predicting, heads = 6_624_904, 6_379_984
    assert main(["summary", "--model", "googlenet", "--json", "--out", str(tmp_path / "g.csv")]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["total_params"], document["training_only_params"]) == (predicting, heads)
    assert document["trainable_params"] == predicting and document["training_only_macs"] > 0
    csv_rows = (tmp_path / "g.csv").read_text().splitlines()
    header = csv_rows[0].split(",")
    model_row = dict(zip(header, csv_rows[1].split(","), strict=True))
    assert (model_row["kind"], int(model_row["params"])) == ("model", predicting)
    aux = [dict(zip(header, row.split(","), strict=False)) for row in csv_rows[1:] if row.startswith("aux1,")]
    assert aux and aux[0]["training_only"] == "True"

    assert main(["summary", "--model", "googlenet"]) == 0
    text = capsys.readouterr().out
    assert f"Total params: {predicting:,}" in text and f"Training-only heads: {heads:,} params" in text

    assert main(["graph", "--model", "googlenet", "--json", "-"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    assert (totals["params"], totals["training_only_params"]) == (predicting, heads)

    # Inception-v3 keeps its auxiliary head with its weights (torchvision's num_params counts it): compare says so.
    photo = str(shared_data / "images" / "sk_coffee.png")
    assert main(["compare", photo, "--model", "googlenet", "--weights", "none", "--model", "inception_v3",
                 "--weights", "none", "--runs", "1", "--device", "cpu", "--json", "-"]) == 0  # fmt: skip
    googlenet, inception = json.loads(capsys.readouterr().out)["networks"]
    assert (googlenet["params"], googlenet["training_only_params"]) == (predicting, 0)
    assert (inception["params"], inception["training_only_params"]) == (23_834_568, 3_326_696)
