"""``--out maps/`` is a folder even before it exists, for every command that writes files."""

from __future__ import annotations

import os

import pytest

from viewer.cli import main
from viewer.core.errors import ExportError
from viewer.core.out_paths import names_folder, prepare_out


def test_a_trailing_separator_or_an_existing_folder_names_a_folder(tmp_path) -> None:
    assert names_folder("maps/") and names_folder(f"maps{os.sep}.") and names_folder(str(tmp_path))
    assert not names_folder("maps") and not names_folder("maps.png") and not names_folder(str(tmp_path / "new"))
    assert prepare_out(str(tmp_path / "a" / "b") + "/", "x.png") == str(tmp_path / "a" / "b" / "x.png")
    assert (tmp_path / "a" / "b").is_dir() and prepare_out("out.png", "x.png") == "out.png"
    (tmp_path / "file").write_text("")
    with pytest.raises(ExportError, match="a file is in the way"):
        prepare_out(str(tmp_path / "file") + "/", "x.png")


@pytest.mark.parametrize("command, expected", [
    (["explain", "{image}", "--method", "saliency", "--out", "maps/"],
     ["maps/tv_dog2_mobilenet_v2_German_shepherd_saliency" + s for s in (".json", ".npy", ".png")]),
    (["heatmap", "{image}", "--scales", "1", "--out", "maps/"],
     ["maps/tv_dog2_mobilenet_v2_German_shepherd" + s for s in (".json", ".npy", ".png")]),
    (["activations", "{image}", "--layer", "features.0", "--out", "maps/", "--npy", "maps/"],
     ["maps/tv_dog2_mobilenet_v2_features.0.npy", "maps/tv_dog2_mobilenet_v2_features.0.png"]),
])  # fmt: skip
def test_commands_with_weights_write_into_a_folder_to_be(
    command, expected, tmp_path, monkeypatch, shared_data, mobilenet_args, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    image = str(shared_data / "images" / "tv_dog2.jpg")
    assert main([part.format(image=image) for part in command] + mobilenet_args) == 0
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert written == expected  # and nothing named maps.png in the current folder


@pytest.mark.parametrize("command, expected", [
    (["summary", "--model", "lenet5", "--out", "out/"], ["out/lenet5.txt"]),
    (["graph", "--model", "lenet5", "--svg", "out/", "--json", "out/"],
     ["out/lenet5_graph.json", "out/lenet5_graph.svg"]),
])  # fmt: skip
def test_commands_without_weights_write_into_a_folder_to_be(command, expected, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(command) == 0
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()) == expected


def test_compare_json_into_a_folder_to_be(tmp_path, monkeypatch, shared_data, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    image = str(shared_data / "images" / "tv_dog2.jpg")
    assert main(["compare", image, "--model", "lenet5", "--model", "nin", "--runs", "1", "--device", "cpu",
                 "--json", "cmp/"]) == 0  # fmt: skip
    assert (tmp_path / "cmp" / "compare.json").is_file()
