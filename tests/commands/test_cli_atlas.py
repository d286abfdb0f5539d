"""``viewer atlas``: the files it says it wrote are there and readable, and a rerun reads the index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from viewer.cli import main


def test_atlas_writes_the_grids_the_sheet_and_the_index_it_names(shared_data, tmp_path, capsys) -> None:
    folder = tmp_path / "digits"
    (folder / "more").mkdir(parents=True)
    for digit in range(10):
        target = folder / ("more" if digit % 2 else "") / f"mnist_{digit}.png"
        shutil.copy2(shared_data / "mnist" / f"mnist_{digit}.png", target)
    (folder / "broken.jpg").write_text("not a picture")
    out, index = tmp_path / "atlas", tmp_path / "index"
    arguments = ["atlas", str(folder), "--model", "lenet5", "--device", "cpu", "--layer", "classifier.4"]
    arguments += ["--top", "4", "--out", str(out), "--workers", "0", "--index-dir", str(index), "--tile", "40"]

    assert main(arguments) == 2  # everything written; an unreadable file is named, and the status says so
    captured = capsys.readouterr()
    written = [Path(line.removeprefix("wrote ")) for line in captured.err.splitlines() if line.startswith("wrote ")]
    assert "viewer: broken.jpg: not an image file (no known image header)." in captured.err
    names = sorted(path.name for path in written)
    key_json = next(name for name in names if name.endswith(".json"))
    grids = [f"classifier.4_channel{c:04d}.png" for c in range(10)]
    assert names == sorted([*grids, "classifier.4_contact_sheet.png", key_json, key_json.replace(".json", ".0.npy")])
    assert all(path.parent == out and path.is_file() for path in written)
    assert sorted(path.name for path in out.iterdir()) == names  # nothing else, no temporaries
    assert Image.open(out / "classifier.4_channel0003.png").size == (2 * 40 + 2, 2 * 40 + 2)  # 2 x 2 for top 4
    assert Image.open(out / "classifier.4_contact_sheet.png").size == (4 * 40 + 3 * 2, 3 * 40 + 2 * 2)  # ten
    document = json.loads((out / key_json).read_text())
    table = np.load(out / document["layers"][0]["array"], allow_pickle=False)
    assert document["complete"] and table.shape == (10, 4, len(document["columns"]))
    best = [document["files"][int(table[unit, 0, document["columns"].index("image")])] for unit in range(10)]
    assert [Path(path).stem for path in best] == [f"mnist_{unit}" for unit in range(10)]
    assert "10 of 11 images indexed, 1 unreadable" in captured.out

    assert main([*arguments, "--force"]) == 2
    assert "read from its index" in capsys.readouterr().out
    assert main(arguments) == 2  # the grids exist: refused before any work, without --force
    assert "already exists" in capsys.readouterr().err
