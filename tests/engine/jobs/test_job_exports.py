"""The worker's export jobs: progress then their ExportResult returned, every file or a sentence per problem."""

from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image

from viewer.core.errors import ExportError
from viewer.core.images.files import read_image_file, read_image_files
from viewer.core.progress import Progress, run_job
from viewer.core.results.session import ExportResult
from viewer.engine.inference import classify
from viewer.engine.jobs import exports, session
from viewer.engine.jobs.images import loaded_image
from viewer.engine.models.weights import load_model


def test_export_all_reports_an_image_the_network_refuses_and_writes_the_others(shared_data, tmp_path):
    # 20000x2 opens, but MobileNetV2's resize of its short side would make ~540 MP: refused at classification.
    strip = tmp_path / "strip.png"
    Image.new("RGB", (20000, 2), "white").save(strip)
    shutil.copy(shared_data / "images" / "kitten.jpg", tmp_path / "kitten.jpg")
    opened = session.open_images(read_image_files([strip, tmp_path / "kitten.jpg"]).files)
    assert [entry.name for entry in opened.images] == ["strip.png", "kitten.jpg"]
    out = tmp_path / "out"
    out.mkdir()
    steps: list[Progress] = []
    job = exports.export_all(
        opened.images, load_model("mobilenet_v2", "none"), str(out), topk=3, preset="weights", tta=False, heatmaps=False
    )
    result = run_job(job, steps.append)
    assert isinstance(result, ExportResult)
    assert len(result.errors) == 1 and result.errors[0].startswith("strip.png: ") and "elongated" in result.errors[0]
    rows = (out / "topk.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 and all(row.split(",")[0].endswith("kitten.jpg") for row in rows[1:])
    assert steps and all(isinstance(p, Progress) and p.step <= p.total for p in steps)


def test_export_all_with_heatmaps_writes_each_images_files_and_says_which_image_it_maps(shared_data, tmp_path):
    opened = session.open_images([read_image_file(shared_data / "mnist" / "mnist_7.png")])
    steps: list[Progress] = []
    job = exports.export_all(
        opened.images,
        load_model("lenet5", "none"),
        str(tmp_path),
        topk=2,
        preset="weights",
        tta=False,
        heatmaps=True,
        heatmap_options={"class_index": 7, "scales": (1.0,)},
    )
    result = run_job(job, steps.append)
    assert result.errors == [] and result.files[0].endswith("topk.csv")
    assert {path.rsplit(".", 1)[-1] for path in result.files[1:]} == {"png", "npy", "json"}
    assert any(step.message.startswith("Heatmap of mnist_7.png: ") for step in steps)
    assert steps[-1] == Progress(2, 2, "Done")


def test_a_prediction_export_writes_three_files_or_none(shared_data, tmp_path):
    loaded = load_model("lenet5", "none")
    image = session.open_images([read_image_file(shared_data / "mnist" / "mnist_7.png")]).images[0]
    prediction = classify([loaded_image(image)], loaded, topk=3)[0]
    result = exports.export_prediction(prediction, str(tmp_path / "top"), b"\x89PNG fake chart", force=False)
    assert sorted(p.rsplit("/", 1)[-1] for p in result.files) == ["top.csv", "top.json", "top.png"]
    assert json.loads((tmp_path / "top.json").read_text())["model"] == prediction.model
    (tmp_path / "again.json").write_text("{}")  # one of the three exists: nothing is written
    with pytest.raises(ExportError):
        exports.export_prediction(prediction, str(tmp_path / "again"), b"chart", force=False)
    assert not (tmp_path / "again.csv").exists() and not (tmp_path / "again.png").exists()
    # A chart never drawn (empty bytes) is refused with a sentence, and the CSV and JSON do not appear alone.
    with pytest.raises(ExportError, match="nothing to write"):
        exports.export_prediction(prediction, str(tmp_path / "blank"), b"", force=False)
    assert not list(tmp_path.glob("blank*")) and not list(tmp_path.glob(".viewer-export-*"))
