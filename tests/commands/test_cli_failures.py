"""A call in which some inputs fail still processes the others, names each failure in one sentence on stderr and
exits 2; a parameter that would make a result meaningless is refused; no torch log or traceback reaches the
terminal."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from viewer.cli import main

TORCH_LOG_LINE = re.compile(r"^[DIWEF]\d{4} \d\d:\d\d:\d\d", re.MULTILINE)  # glog-style: "E1207 03:39:58.563000 …"


@pytest.fixture(scope="module")
def strip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid PNG that opens, but that a network resizing its short side to 256 px refuses (too elongated)."""
    path = tmp_path_factory.mktemp("failures") / "strip.png"
    Image.new("RGB", (20000, 2), (90, 120, 200)).save(path)
    return path


def _errors(capsys: pytest.CaptureFixture[str]) -> tuple[str, list[str]]:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert all(line.startswith("viewer: ") for line in lines), lines
    return captured.out, lines


def test_compare_runs_the_others_names_each_failed_network_and_exits_2(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    image = str(shared_data / "mnist/mnist_7.png")
    code = main(["compare", image, "--model", "lenet5", "--model", "nosuchnet", "--model", "nin", "--weights", "none",
                 "--model", "lenet5", "--weights", str(junk), "--runs", "1", "--device", "cpu"])  # fmt: skip
    out, errors = _errors(capsys)
    assert code == 2
    assert len(errors) == 2, errors
    assert "nosuchnet" in errors[0] and "Unknown model" in errors[0]
    assert errors[1].startswith("viewer: lenet5: junk.pth: ")  # the loader's sentence, with the network it was for
    assert "2 of 4 networks run" in out and "lenet5 [MNIST]" in out and "nin [random init" in out
    assert "nosuchnet" not in out and "junk.pth" not in out  # the failures are on stderr, once
    assert main(["compare", image, "--model", "lenet5", "--model", "nosuchnet", "--runs", "1", "--device", "cpu",
                 "--json", "-"]) == 2  # fmt: skip
    out, errors = _errors(capsys)
    document = json.loads(out)
    assert [(n["model"], bool(n["error"])) for n in document["networks"]] == [("lenet5", False), ("nosuchnet", True)]
    assert len(errors) == 1 and "nosuchnet" in errors[0]


def test_compare_with_every_network_fine_exits_0_with_nothing_on_stderr(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = str(shared_data / "mnist/mnist_7.png")
    assert main(["compare", image, "--model", "lenet5", "--model", "nin", "--weights", "none", "--runs", "1",
                 "--device", "cpu"]) == 0  # fmt: skip
    out, errors = _errors(capsys)
    assert errors == [] and out.startswith("mnist_7.png: 2 networks;")


def test_compare_names_a_network_that_refuses_the_image_and_runs_the_other(
    strip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # LeNet-5 squashes any image to 28×28; SqueezeNet resizes the short side to 256 px, which this strip refuses.
    assert main(["compare", str(strip), "--model", "lenet5", "--model", "squeezenet1_1", "--weights", "none",
                 "--runs", "1", "--device", "cpu"]) == 2  # fmt: skip
    out, errors = _errors(capsys)
    assert len(errors) == 1 and errors[0].startswith("viewer: squeezenet1_1: strip.png: ") and "elongated" in errors[0]
    assert "lenet5 [MNIST]" in out and "1 of 2 networks run" in out


def test_classify_still_classifies_the_images_beside_one_refused_at_preprocessing(
    shared_data: Path, strip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = [shared_data / "images/kitten.jpg", strip, shared_data / "images/tv_dog2.jpg"]
    code = main(["classify", *map(str, images), "--model", "squeezenet1_1", "--weights", "none", "--device", "cpu",
                 "--topk", "1", "--json"])  # fmt: skip
    out, errors = _errors(capsys)
    assert code == 2
    assert len(errors) == 1 and errors[0].startswith("viewer: strip.png: ") and "elongated" in errors[0]
    assert [Path(p["image"]).name for p in json.loads(out)] == ["kitten.jpg", "tv_dog2.jpg"]


def test_classify_a_folder_with_a_bad_image_names_it_and_exits_2(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "digits"
    folder.mkdir()
    for name in ("mnist_3.png", "mnist_7.png"):
        (folder / name).write_bytes((shared_data / "mnist" / name).read_bytes())
    (folder / "broken.png").write_text("not an image")
    assert main(["classify", str(folder), "--model", "lenet5", "--device", "cpu", "--topk", "1"]) == 2
    out, errors = _errors(capsys)
    assert len(errors) == 1 and errors[0].startswith("viewer: broken.png: ")
    assert "mnist_3.png: lenet5" in out and "mnist_7.png: lenet5" in out


@pytest.mark.parametrize(("options", "words"), [
    (["--patch", "500"], ["500-pixel patch", "224×224 network input", "one value everywhere", "at most 223"]),
    (["--patch", "16", "--stride", "40"], ["stride of 40 pixels", "16-pixel patch", "never be occluded"]),
])  # fmt: skip
def test_explain_refuses_an_occlusion_whose_map_would_mean_nothing(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], words: list[str]
) -> None:
    npy = tmp_path / "map.npy"
    code = main(["explain", str(shared_data / "images/tv_dog2.jpg"), "--model", "squeezenet1_1", "--weights", "none",
                 "--device", "cpu", "--method", "occlusion", "--class", "1", *options, "--npy", str(npy)])  # fmt: skip
    out, errors = _errors(capsys)
    assert code == 2 and out == "" and not npy.exists()
    assert len(errors) == 1 and all(word in errors[0] for word in words), errors


def _viewer(*args: str) -> subprocess.CompletedProcess[str]:
    """A real process: torch logs through its own handler on the process's stderr, which capsys would not see."""
    return subprocess.run([sys.executable, "-m", "viewer", *args], capture_output=True, text=True, timeout=240)


def test_a_network_that_refuses_a_size_probe_leaves_no_torch_log(shared_data: Path) -> None:
    # Explaining with LeNet-5 asks, on fake tensors, whether it takes a non-square input; its Linear refuses, which
    # is the answer ("squashed to 28×28"), and torch would log that refusal with its traceback first.
    done = _viewer("explain", str(shared_data / "images/sk_coffee.png"), "--model", "lenet5", "--method", "gradcam",
                   "--device", "cpu")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("sk_coffee.png: lenet5, MNIST; gradcam;") and "squashed to it" in done.stdout


def test_a_too_small_convolutionized_size_is_one_sentence_without_torch_log() -> None:
    done = _viewer("graph", "--model", "alexnet", "--convolutionized", "8x8")
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr and not TORCH_LOG_LINE.search(done.stderr), done.stderr
    assert done.stderr.splitlines() == [
        "viewer: alexnet: 8×8 is too small for its convolutionized form; the smallest image it takes is 223×223 pixels."
    ]
