"""The command line as a user types it: output format, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from viewer.cli import main


def test_classify_prints_score_then_name_like_the_lecture(shared_data, mobilenet_args, capsys) -> None:
    code = main(["classify", str(shared_data / "images" / "tv_dog2.jpg"), *mobilenet_args, "--topk", "3"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("tv_dog2.jpg: mobilenet_v2, mobilenet_v2_imagenet1k.pth (sha256 ")
    score, name = out[1].split("  (p=")[0].split(" ", 1)
    assert name == "German shepherd" and float(score) > 10
    assert len(out) == 4


def test_classify_json_is_one_document(shared_data, mobilenet_args, capsys) -> None:
    images = [str(shared_data / "images" / n) for n in ("sk_coffee.png", "tv_dog1.jpg")]
    assert main(["classify", *images, *mobilenet_args, "--json", "--topk", "2"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [d["topk"][0]["name"] for d in document] == ["espresso", "Pembroke"]
    assert set(document[0]) >= {"image", "model", "weights", "device", "preprocess", "topk"}
    assert set(document[0]["topk"][0]) == {"index", "name", "logit", "prob"}


def test_random_weights_say_so(shared_data, capsys) -> None:
    assert main(["classify", str(shared_data / "images" / "kitten.jpg"), "--model", "nin", "--weights", "none"]) == 0
    assert "random init" in capsys.readouterr().out


def _bad_inputs(tmp_path: Path, shared_data: Path) -> dict[str, Path]:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("this is text\n")
    data = (shared_data / "images" / "tv_dog1.jpg").read_bytes()
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(data[: len(data) // 2])
    return {"empty": empty, "text": text, "truncated": truncated}


def test_bad_images_exit_2_with_one_line_each_and_good_ones_still_classify(
    tmp_path, shared_data, mobilenet_args, capsys
) -> None:
    bad = _bad_inputs(tmp_path, shared_data)
    good = shared_data / "images" / "sk_coffee.png"
    code = main(["classify", *map(str, bad.values()), str(good), *mobilenet_args, "--topk", "1"])
    captured = capsys.readouterr()
    assert code == 2
    errors = captured.err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("viewer: ") for line in errors)
    assert "espresso" in captured.out


class _Sentinel:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # unpickling would create a file: the proof that code ran
        return (Path.touch, (Path(self.path),))


def test_malicious_pickle_exits_2_and_never_runs(tmp_path, shared_data) -> None:
    sentinel = tmp_path / "pwned"
    weights = tmp_path / "evil.pth"
    with open(weights, "wb") as handle:
        pickle.dump({"weight": _Sentinel(str(sentinel))}, handle)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "viewer",
            "classify",
            str(shared_data / "images" / "kitten.jpg"),
            "--model",
            "lenet5",
            "--weights",
            str(weights),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "refused" in result.stderr
    assert result.stdout == ""
    assert not sentinel.exists()


def test_console_script_bad_image_is_one_line(tmp_path) -> None:
    text = tmp_path / "x.jpg"
    text.write_text("not an image")
    script = Path(sys.executable).with_name("viewer")
    result = subprocess.run(
        [str(script), "classify", str(text), "--model", "lenet5"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2
    assert result.stderr == "viewer: x.jpg: not an image file (no known image header).\n"


def test_offline_download_says_what_to_do(shared_data, capsys) -> None:
    code = main(["classify", str(shared_data / "images" / "kitten.jpg"), "--model", "alexnet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "--weights none" in err and "--weights FILE" in err and "alexnet-owt-7be5be79.pth" in err


def test_models_lists_the_zoo(capsys) -> None:
    assert main(["models", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["resnet50"]["params"] == 25557032 and rows["resnet50"]["gmacs"] == pytest.approx(4.089)
    assert rows["lenet5"]["input"] == [1, 28, 28] and rows["nin"]["weights"] == []
    assert len(rows) >= 82


def test_unknown_model_is_bad_input(capsys) -> None:
    assert main(["classify", "x.jpg", "--model", "resnet05"]) == 2
    assert "resnet50" in capsys.readouterr().err


def test_summary_json_and_googlenet_auxiliary_heads(capsys) -> None:
    assert main(["summary", "--model", "resnet50", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["total_params"] == 25557032 and round(document["macs"] / 1e9, 3) == 4.089
    assert set(document["layers"][0]) >= {"name", "type", "output_shape", "params", "macs", "children"}
    assert main(["summary", "--model", "googlenet", "--aux", "--depth", "1"]) == 0
    table = capsys.readouterr().out
    assert "aux1 (InceptionAux)" in table and "aux2 (InceptionAux)" in table
    assert main(["summary", "--model", "googlenet", "--depth", "1"]) == 0  # --aux is the default now
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines if line.startswith("  ")]
    assert names.index("aux1") == names.index("inception4a") + 1  # where it branches off, not after inception5b
    assert names.index("aux2") == names.index("inception4d") + 1
    assert any("aux1 (InceptionAux) [training only]" in line and "4.17M" in line for line in lines)


def test_an_existing_export_file_is_refused_before_anything_is_written(tmp_path, shared_data, capsys) -> None:
    overlay = tmp_path / "overlay.png"
    (tmp_path / "overlay.json").write_text("{}")  # the sidecar exists: the whole export is refused
    image = str(shared_data / "mnist" / "mnist_3.png")
    code = main(["heatmap", image, "--model", "lenet5", "--out", str(overlay), "--npy", str(tmp_path / "map.npy")])
    assert code == 2 and "overlay.json already exists" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overlay.json"]
    (tmp_path / "grid.npy").write_bytes(b"")
    code = main(
        [
            "activations",
            image,
            "--model",
            "lenet5",
            "--layer",
            "features.0",
            "--out",
            str(tmp_path / "grid.png"),
            "--npy",
            str(tmp_path / "grid.npy"),
        ]
    )
    assert code == 2 and not (tmp_path / "grid.png").exists()
    code = main(
        ["heatmap", image, "--model", "lenet5", "--out", str(overlay), "--npy", str(tmp_path / "map.npy"), "--force"]
    )
    assert code == 0 and overlay.exists() and (tmp_path / "map.npy").exists()


def test_heatmap_files_land_where_out_says(tmp_path, shared_data, capsys) -> None:
    image = str(shared_data / "mnist" / "mnist_3.png")
    folder = tmp_path / "results"
    folder.mkdir()
    assert main(["heatmap", image, "--model", "lenet5", "--out", str(folder)]) == 0
    inside = sorted(p.suffix for p in folder.iterdir())
    assert inside == [".json", ".npy", ".png"] and sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert main(["heatmap", image, "--model", "lenet5", "--out", str(tmp_path / "digit.v2")]) == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"digit.v2.png", "digit.v2.npy", "digit.v2.json"}
    (tmp_path / "digit.v2.npy").unlink()
    (tmp_path / "again.v2.json").write_text("{}")
    assert main(["heatmap", image, "--model", "lenet5", "--out", str(tmp_path / "again.v2")]) == 2
    assert "again.v2.json already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, phrase",
    [
        (["heatmap", "--scales", "1,0"], "every scale must be a positive number"),
        (["heatmap", "--scales", "nan"], "every scale must be a positive number"),
        (["heatmap", "--scales", "big"], "or a preset (default or overfeat)"),
        (["activations", "--layer", "features.0", "--colormap", "nosuch", "--out", "grid.png"], "Unknown colormap"),
        (["classify", "--topk", "0"], "at least one class"),
    ],
)
def test_bad_option_values_are_bad_input_not_internal_errors(
    arguments, phrase, shared_data, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    command, *options = arguments
    code = main([command, str(shared_data / "mnist" / "mnist_7.png"), "--model", "lenet5", *options])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and len(err) == 1 and phrase in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_heatmap_overfeat_scales_give_the_papers_six_short_sides(shared_data, capsys) -> None:
    """``--scales overfeat``: Sermanet et al.'s 245, 281, 317, 389, 425 and 461 px (multiples of AlexNet's 256 px
    resize size; the long side follows the photo's aspect)."""
    image = str(shared_data / "images" / "cat_dog.png")
    code = main(["heatmap", image, "--model", "alexnet", "--weights", "none", "--scales", "OverFeat", "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert [min(size) for size in printed["input_sizes"]] == [245, 281, 317, 389, 425, 461]


def test_heatmap_exports_overlay_scores_and_provenance_that_load_back(
    tmp_path, shared_data, mobilenet_args, capsys
) -> None:
    import numpy as np
    from PIL import Image

    image = shared_data / "images" / "cat_dog.png"
    out, npy = tmp_path / "cat.png", tmp_path / "scores.npy"
    code = main(
        [
            "heatmap",
            str(image),
            *mobilenet_args,
            "--class",
            "tiger cat",
            "--scales",
            "1,1.4",
            "--out",
            str(out),
            "--npy",
            str(npy),
            "--json",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    width, height = Image.open(image).size
    scores = np.load(npy)
    assert scores.dtype == np.float32 and scores.shape == (height, width)
    assert Image.open(out).size == (width, height)
    sidecar = json.loads((tmp_path / "cat.json").read_text())
    assert sidecar["class_name"] == printed["class_name"] == "tiger cat"
    assert sidecar["weights_sha256"].startswith("cea6446375b8") and sidecar["files"]["scores"] == "scores.npy"
    assert printed["peak"]["y"] > height / 2  # the cat lies in the lower half of the photo
