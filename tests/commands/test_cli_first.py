"""The CLI of a new user's first ten minutes: folders as a drop, the lecture's output, custom models, TTA,
activations that say what they show, and the CIFAR ResNet-20 heatmap."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from viewer.cli import build_parser, main
from viewer.core.defaults import DEFAULT_MODEL

RESNET20 = f"{Path(__file__).resolve().parents[1] / 'fixtures' / 'cifar_resnet.py'}:resnet20"
SCORE_NAME = re.compile(r"^-?\d+\.\d\d \S.*$")


def test_the_cli_and_the_gui_share_one_default_model() -> None:
    from viewer.gui.state import ModelChoice

    parser = build_parser()
    for command in (["classify", "x.jpg"], ["activations", "x.jpg", "--layer", "a"], ["heatmap", "x.jpg"], ["summary"]):
        assert parser.parse_args(command).model == DEFAULT_MODEL
    assert ModelChoice().model == DEFAULT_MODEL == "mobilenet_v2"


def test_a_folder_is_classified_as_a_drop_reads_it(tmp_path, shared_data, mobilenet_args, capsys) -> None:
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    Image.open(shared_data / "images/kitten.jpg").save(folder / "b_kitten.png")
    (folder / "a_broken.jpg").write_bytes(b"not a jpeg")
    (folder / "notes.txt").write_text("not an image, and not named as one: skipped as a drop skips it")
    Image.open(shared_data / "images/tv_dog2.jpg").save(folder / "nested" / "dog.png")  # sub-folders: not opened
    (tmp_path / "empty").mkdir()
    code = main(["classify", str(folder), str(tmp_path / "empty"), *mobilenet_args, "--topk", "1"])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.splitlines() == [
        "viewer: empty: the folder holds no image files.",
        "viewer: a_broken.jpg: not an image file (no known image header).",
    ]
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("b_kitten.png: mobilenet_v2") and "dog.png" not in out
    assert lines[1].split("  (p=")[0].split(" ", 1)[1] in ("tabby", "tiger cat", "Egyptian cat")


def test_a_folder_of_good_images_exits_0(tmp_path, shared_data, mobilenet_args, capsys) -> None:
    for name in ("sk_coffee.png", "tv_dog1.jpg"):
        Image.open(shared_data / "images" / name).save(tmp_path / f"{Path(name).stem}.png")
    assert main(["classify", str(tmp_path), *mobilenet_args, "--json", "--topk", "1"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [Path(d["image"]).name for d in document] == ["sk_coffee.png", "tv_dog1.png"]
    assert [d["topk"][0]["name"] for d in document] == ["espresso", "Pembroke"]


def test_lecture_format_prints_score_and_full_wordnet_names_only(shared_data, mobilenet_args, capsys) -> None:
    code = main(
        [
            "classify",
            str(shared_data / "images/tv_dog2.jpg"),
            *mobilenet_args,
            "--preprocess",
            "standardize",
            "--topk",
            "15",
            "--format",
            "lecture",
        ]
    )
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert code == 0 and len(lines) == 15 and all(SCORE_NAME.match(line) for line in lines)
    assert lines[0].split(" ", 1)[1] == "German shepherd, German shepherd dog, German police dog, alsatian"
    scores = [float(line.split(" ", 1)[0]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    # Standardising for mean/std-trained weights is allowed, with the reason on stderr.
    assert err.startswith("viewer: warning: These weights were trained on inputs normalised with mean (0.485")


def test_the_lecture_command_with_alexnet(shared_data, capsys) -> None:
    from viewer.core.class_search import imagenet_full_names

    code = main(
        [
            "classify",
            str(shared_data / "images/tv_dog2.jpg"),
            "--model",
            "alexnet",
            "--weights",
            "none",
            "--preprocess",
            "standardize",
            "--topk",
            "15",
            "--format",
            "lecture",
            "--device",
            "cpu",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    full = set(imagenet_full_names())
    assert code == 0 and len(lines) == 15 and all(line.split(" ", 1)[1] in full for line in lines)
    assert "barrow, garden cart, lawn cart, wheelbarrow" in full


def test_tta_average_is_chosen_on_the_command_line(shared_data, mobilenet_args, capsys) -> None:
    image = str(shared_data / "images/tv_dog1.jpg")
    assert main(["classify", image, *mobilenet_args, "--tta", "--json"]) == 0
    default = json.loads(capsys.readouterr().out)[0]
    assert main(["classify", image, *mobilenet_args, "--tta", "--tta-average", "logits", "--json"]) == 0
    by_logits = json.loads(capsys.readouterr().out)[0]
    assert (default["tta_average"], by_logits["tta_average"]) == ("probs", "logits")
    assert [c["view"] for c in default["tta_crops"]][:5] == [
        "top-left",
        "top-right",
        "bottom-left",
        "bottom-right",
        "centre",
    ]
    assert default["topk"][0]["prob"] != pytest.approx(by_logits["topk"][0]["prob"], abs=1e-4)


def test_tta_on_lenet_warns_about_mirrored_digits(shared_data, capsys) -> None:
    assert main(["classify", str(shared_data / "mnist/mnist_7.png"), "--model", "lenet5", "--tta", "--topk", "1"]) == 0
    out, err = capsys.readouterr()
    assert err == (
        "viewer: warning: TTA mirrors each view, and a mirrored digit is another shape: LeNet-5's held-out "
        "accuracy drops from 99.15 % to 95.40 % (93.10 % averaging logits).\n"
    )
    assert "7  (p=" in out


def test_activations_say_how_many_channels_they_show_and_the_grid_is_readable(shared_data, tmp_path, capsys) -> None:
    grid = tmp_path / "grid.png"
    args = ["activations", str(shared_data / "mnist/mnist_7.png"), "--model", "lenet5", "--layer", "features.0"]
    assert main([*args, "--show", "4", "--out", str(grid)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "showing 4 of 6 channels, by index (--all lists every one; the grid PNG has all)"
    assert len([line for line in out if line.startswith("channel ")]) == 4
    # 6 maps of 24x24 in 3 columns: 74 px at one pixel per cell; zoomed 14x (1010 px, the most within 1024).
    assert Image.open(grid).size == (3 * (24 * 14 + 1) - 1, 2 * (24 * 14 + 1) - 1)
    assert main([*args, "--all"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "showing all 6 channels" and len([line for line in out if line.startswith("channel ")]) == 6


def _tiny_model_file(tmp_path: Path, on_module: str, on_builder: str) -> str:
    path = tmp_path / "digits.py"
    path.write_text(
        "from torch import nn\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(12 * 12, 3)\n"
        f"        {on_module}\n"
        "    def forward(self, x):\n"
        "        return self.fc(x.flatten(1))\n\n"
        "def build():\n    return Net()\n\n"
        f"{on_builder}\n"
    )
    return f"{path}:build"


@pytest.mark.parametrize("where", ["module", "builder"])
def test_custom_model_attributes_both_ways(tmp_path, shared_data, capsys, where) -> None:
    settings = "{0}.categories = ['cross', 'circle', 'line']; {0}.input_size = (1, 12, 12)"
    on_module, on_builder = (settings.format("self"), "") if where == "module" else ("pass", settings.format("build"))
    model_file = _tiny_model_file(tmp_path, on_module, on_builder)
    code = main(
        [
            "classify",
            str(shared_data / "mnist/mnist_3.png"),
            "--model-file",
            model_file,
            "--weights",
            "none",
            "--topk",
            "3",
            "--json",
        ]
    )
    document = json.loads(capsys.readouterr().out)[0]
    assert code == 0 and {t["name"] for t in document["topk"]} == {"cross", "circle", "line"}


def test_custom_model_attributes_in_conflict_exit_2_with_one_sentence(tmp_path, shared_data, capsys) -> None:
    model_file = _tiny_model_file(tmp_path, "self.input_size = (1, 12, 12)", "build.input_size = (1, 16, 16)")
    code = main(["classify", str(shared_data / "mnist/mnist_3.png"), "--model-file", model_file, "--weights", "none"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "viewer: digits.py: input_size is set on the function build and on the module it returns, with "
        "different values ((1, 16, 16) vs (1, 12, 12)); keep one.\n"
    )


def test_cifar_resnet20_heatmap_from_a_model_file(tmp_path, shared_data, capsys) -> None:
    out = tmp_path / "overlay.png"
    code = main(
        [
            "heatmap",
            str(shared_data / "images/kitten.jpg"),
            "--model-file",
            RESNET20,
            "--weights",
            str(shared_data / "weights/resnet20-12fca82f.th"),
            "--class",
            "cat",
            "--scales",
            "1,2",
            "--out",
            str(out),
            "--device",
            "cpu",
        ]
    )
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert stdout.startswith(
        "kitten.jpg: cifar_resnet:resnet20, resnet20-12fca82f.th (sha256 12fca82f0beb); "
        "class 3 cat; scales 1.0, 2.0; peak "
    )
    assert Image.open(out).size == Image.open(shared_data / "images/kitten.jpg").size
