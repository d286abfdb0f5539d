"""`viewer explain`, `viewer compare` and `viewer models --chart`: files written, numbers printed, bad input is one
sentence and exit 2."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from viewer.cli import main


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("viewer: "), err
    return err[0]


def test_explain_gradcam_writes_overlay_map_and_provenance(shared_data: Path, tmp_path: Path, capsys) -> None:
    weights = str(shared_data / "weights/mobilenet_v2_imagenet1k.pth")
    image = shared_data / "images/tv_dog2.jpg"
    args = ["explain", str(image), "--weights", weights, "--device", "cpu", "--method", "gradcam"]
    assert main([*args, "--class", "German shepherd", "--out", str(tmp_path / "cam.png"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "gradcam" and out["class_index"] == 235 and out["parameters"]["layer"] == "features"
    scores = np.load(tmp_path / "cam.npy", allow_pickle=False)
    assert scores.dtype == np.float32 and scores.shape == (500, 500)
    assert json.loads((tmp_path / "cam.json").read_text())["image"]["size"] == [500, 500]
    with Image.open(tmp_path / "cam.png") as png:
        assert png.size == (500, 500)
    assert main([*args, "--out", str(tmp_path / "cam.png")]) == 2  # kept without --force
    assert "exists" in _one_error(capsys)


def test_explain_occlusion_with_patch_and_stride(shared_data: Path, tmp_path: Path, capsys) -> None:
    npy = tmp_path / "occ.npy"
    image = str(shared_data / "mnist/mnist_3.png")
    assert main(["explain", image, "--model", "lenet5", "--method", "occlusion", "--patch", "7", "--stride", "7",
                 "--class", "3", "--npy", str(npy), "--device", "cpu"]) == 0  # fmt: skip
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("mnist_3.png: lenet5, MNIST; occlusion; class 3 3; peak")
    assert np.load(npy).shape == (28, 28)


def test_explain_refuses_gradcam_on_a_transformer(shared_data: Path, capsys) -> None:
    image = str(shared_data / "images/tv_dog2.jpg")
    assert main(["explain", image, "--model", "swin_t", "--weights", "none", "--method", "gradcam", "--class", "1",
                 "--device", "cpu"]) == 2  # fmt: skip
    assert "Grad-CAM" in _one_error(capsys)


def test_compare_prints_and_writes_each_network(shared_data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp.json"
    image = str(shared_data / "mnist/mnist_7.png")
    assert main(["compare", image, "--model", "lenet5", "--model", "nin", "--weights", "none", "--runs", "2",
                 "--topk", "3", "--device", "cpu", "--json", str(out)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "lenet5 [MNIST]" in text and "median of 2 warm runs" in text and "acc@1 99" in text
    assert "nin [random init" in text and "none published" in text
    document = json.loads(out.read_text())
    assert [n["model"] for n in document["networks"]] == ["lenet5", "nin"]
    assert document["networks"][0]["topk"][0]["name"] == "7" and len(document["networks"][1]["topk"]) == 3


def test_compare_needs_two_networks_and_weights_after_a_model(shared_data: Path, capsys) -> None:
    image = str(shared_data / "mnist/mnist_7.png")
    assert main(["compare", image, "--model", "lenet5"]) == 2
    assert "2 to 6" in _one_error(capsys)
    with pytest.raises(SystemExit) as exit_:
        main(["compare", image, "--weights", "none", "--model", "lenet5", "--model", "nin"])
    assert exit_.value.code == 2


def test_models_chart_png_and_svg(tmp_path: Path, capsys) -> None:
    png, svg = tmp_path / "zoo.png", tmp_path / "zoo.svg"
    assert main(["models", "--chart", str(png)]) == 0
    assert main(["models", "--chart", str(svg)]) == 0
    assert "networks with ImageNet weights" in capsys.readouterr().out
    with Image.open(png) as picture:
        assert picture.width >= 1000
    assert ET.parse(svg).getroot().tag.endswith("svg")
    assert "<circle" in svg.read_text() and "<image" not in svg.read_text()  # vector points, not pixmaps
    assert main(["models", "--chart", str(tmp_path / "zoo.jpg")]) == 2
    assert ".png or .svg" in _one_error(capsys)
    assert main(["models", "--chart", str(png)]) == 2  # kept without --force
    assert "exists" in _one_error(capsys)
