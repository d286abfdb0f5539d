"""``viewer dream``: the PNG it says it wrote is there, at the network's size, and the objective is printed."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from viewer.cli import main


def test_dream_writes_the_png_and_prints_the_objective(mobilenet_args, tmp_path, capsys) -> None:
    out = tmp_path / "c.png"
    arguments = [
        "dream",
        *mobilenet_args,
        "--layer",
        "features.10",
        "--channel",
        "3",
        "--steps",
        "3",
        "--out",
        str(out),
    ]

    assert main(arguments) == 0
    captured = capsys.readouterr()
    assert f"wrote {out}" in captured.err
    with Image.open(out) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", (224, 224))
    assert "features.10 channel 3: objective " in captured.out and " → " in captured.out
    assert "after 3 steps (seed 0, 224x224" in captured.out
    assert sorted(path.name for path in tmp_path.iterdir()) == ["c.png"]  # no temporaries left

    assert main(arguments) == 2  # the file exists: refused before any work, without --force
    assert "already exists" in capsys.readouterr().err


def test_dream_of_a_class_into_a_folder_and_refusals(mobilenet_args, tmp_path, capsys) -> None:
    folder = tmp_path / "dreams"
    arguments = ["dream", *mobilenet_args, "--class", "goldfish", "--steps", "2", "--size", "64", "--seed", "4"]
    assert main([*arguments, "--out", f"{folder}/"]) == 0
    assert "class 1 (goldfish): objective" in capsys.readouterr().out
    with Image.open(folder / "class0001.png") as image:
        assert image.size == (64, 64)

    assert main(["dream", *mobilenet_args, "--layer", "features.10", "--out", str(tmp_path / "x.png")]) == 2
    assert "--layer L --channel C, or --class NAME" in capsys.readouterr().err
    assert main([*arguments, "--layer", "features.10", "--out", str(tmp_path / "x.png")]) == 2
    assert "not both" in capsys.readouterr().err
    assert not Path(tmp_path / "x.png").exists()
