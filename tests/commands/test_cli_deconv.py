"""``viewer deconv``: the four pictures and the JSON it says it wrote, the field crops cut from the pictures, refusals
before any work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from viewer.cli import main
from viewer.core.results.unit import box_slices


def _written(err: str) -> list[Path]:
    return [Path(line.removeprefix("wrote ")) for line in err.splitlines() if line.startswith("wrote ")]


def test_deconv_writes_both_pictures_their_field_crops_and_the_json(mobilenet_args, shared_data, tmp_path, capsys):
    out = tmp_path / "unit"
    photo = shared_data / "images" / "tv_dog1.jpg"
    arguments = ["deconv", str(photo), *mobilenet_args, "--layer", "features.6", "--channel", "5", "--out", str(out)]

    assert main(arguments) == 0
    captured = capsys.readouterr()
    names = ["deconv.png", "deconv_field.png", "guided.png", "guided_field.png", "unit.json"]
    assert _written(captured.err) == [out / name for name in names]
    assert sorted(path.name for path in out.iterdir()) == sorted(names)  # nothing else, no temporaries
    document = json.loads((out / "unit.json").read_text())
    unit = document["unit"]
    assert unit["layer"] == "features.6" and unit["channel"] == 5 and document["default_cell"]
    assert f"features.6 channel 5, cell ({unit['row']}, {unit['col']})" in captured.out
    assert "(its strongest cell)" in captured.out and "note: " in captured.out  # MobileNetV2's ReLU6 are said
    with Image.open(photo) as original:
        size = original.size
    for stem in ("deconv", "guided"):
        whole = np.asarray(Image.open(out / f"{stem}.png"))
        assert whole.shape == (size[1], size[0], 3)
        rows, cols = box_slices(tuple(document["image_box"]), whole.shape)
        assert np.array_equal(np.asarray(Image.open(out / f"{stem}_field.png")), whole[rows, cols])
    assert not np.array_equal(np.asarray(Image.open(out / "deconv.png")), np.asarray(Image.open(out / "guided.png")))

    assert main(arguments) == 2  # the files exist: refused before any work, without --force
    assert "already exists" in capsys.readouterr().err
    cell = ["--row", str(unit["row"]), "--col", str(unit["col"]), "--picture", "magnitude", "--force"]
    assert main([*arguments, *cell, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert not printed["default_cell"] and printed["unit"] == unit
    heat = np.asarray(Image.open(out / "guided.png"))
    assert heat.shape == (size[1], size[0], 3) and len(np.unique(heat.reshape(-1, 3), axis=0)) > 2  # coloured


def test_deconv_refuses_half_a_cell_and_an_unknown_colormap_before_loading(tmp_path, capsys) -> None:
    base = ["deconv", "nowhere.jpg", "--model", "lenet5", "--layer", "features.3", "--channel", "0"]
    assert main([*base, "--row", "1", "--out", str(tmp_path / "a")]) == 2
    assert "Give both --row and --col" in capsys.readouterr().err
    assert main([*base, "--picture", "magnitude", "--colormap", "nope", "--out", str(tmp_path / "b")]) == 2
    assert "Unknown colormap 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
