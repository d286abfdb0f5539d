"""The worker's job functions: Export all keeps going past an image the network refuses."""

from __future__ import annotations

import shutil

from PIL import Image

from viewer.engine.weights import load_model
from viewer.gui import tasks


def test_export_all_reports_an_image_the_network_refuses_and_writes_the_others(shared_data, tmp_path):
    # 20000x2 opens, but MobileNetV2's resize of its short side would make ~540 MP: refused at classification.
    strip = tmp_path / "strip.png"
    Image.new("RGB", (20000, 2), "white").save(strip)
    shutil.copy(shared_data / "images" / "kitten.jpg", tmp_path / "kitten.jpg")
    opened = tasks.open_images([str(strip), str(tmp_path / "kitten.jpg")])
    assert [entry.name for entry in opened.images] == ["strip.png", "kitten.jpg"]
    out = tmp_path / "out"
    out.mkdir()
    items = list(
        tasks.export_all(
            opened.images,
            load_model("mobilenet_v2", "none"),
            str(out),
            topk=3,
            preset="weights",
            tta=False,
            heatmaps=False,
        )
    )
    result = items[-1]
    assert isinstance(result, tasks.ExportResult)
    assert len(result.errors) == 1 and result.errors[0].startswith("strip.png: ") and "elongated" in result.errors[0]
    rows = (out / "topk.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 and all(row.split(",")[0].endswith("kitten.jpg") for row in rows[1:])
    assert [p.step <= p.total for p in items[:-1]] == [True] * (len(items) - 1)


def test_an_unreadable_folder_is_one_refusal_and_the_other_files_open(shared_data, tmp_path, monkeypatch):
    from pathlib import Path

    locked = tmp_path / "locked"
    locked.mkdir()
    real_iterdir = Path.iterdir

    def iterdir(self):  # root reads any folder, so the OS's refusal is simulated where it surfaces
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    opened = tasks.open_images([str(locked), str(shared_data / "images" / "kitten.jpg")])
    assert [entry.name for entry in opened.images] == ["kitten.jpg"]
    assert opened.errors == ["locked: the folder cannot be read (permission denied)."]


def test_the_graph_of_a_custom_model_file_is_built_without_weights_and_only_from_the_agreed_content(tmp_path):
    import hashlib

    import pytest

    from viewer.core.errors import ModelError

    source = tmp_path / "tiny.py"
    source.write_text(
        "from torch import nn\n"
        "input_size = (1, 28, 28)\n"
        "def build():\n"
        "    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))\n"
    )
    agreed = hashlib.sha256(source.read_bytes()).hexdigest()
    graph = tasks.graph(None, f"{source}:build", agreed)
    assert graph.model_name == "tiny:build" and graph.input_shape == (1, 28, 28)
    assert [node.type for node in graph.nodes] == ["Input", "Conv2d", "ReLU", "Flatten", "Linear"]
    assert graph.total_params == 4 * 9 + 4 + 4 * 26 * 26 * 10 + 10
    source.write_text(source.read_text() + "# changed\n")
    with pytest.raises(ModelError, match="changed since you allowed it"):
        tasks.graph(None, f"{source}:build", agreed)
