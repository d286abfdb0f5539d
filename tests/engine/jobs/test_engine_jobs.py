"""The worker's job functions: opening images and folders, a custom model file's graph, the heatmap's screen copy."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.core.images.files import ImageFile, read_image_file
from viewer.core.progress import Progress, run_job
from viewer.core.results.heatmap import HeatmapOnScreen
from viewer.engine.jobs import analysis, architecture, session


def test_the_open_job_decodes_bytes_and_never_touches_the_filesystem(shared_data, tmp_path, monkeypatch):
    """The window's paths are another machine's: the engine decodes the bytes it was sent, whatever the path."""
    import builtins
    import io
    import os

    from PIL import Image

    photo = (shared_data / "images" / "kitten.jpg").read_bytes()
    grey = io.BytesIO()
    Image.new("LA", (30, 20), (90, 128)).save(grey, "PNG")
    files = [
        ImageFile("kitten.jpg", "C:\\Users\\someone\\Pictures\\kitten.jpg", photo),  # no such path here
        ImageFile("grey.png", str(tmp_path / "not-there" / "grey.png"), grey.getvalue()),
        ImageFile("notes.jpg", "/nowhere/notes.jpg", b"Dear diary, not an image."),
    ]

    def no_filesystem(*args, **kwargs):
        raise AssertionError(f"the open job touched the filesystem: {args!r}")

    # Warm the imports first: importing Pillow's plug-ins reads files; the job itself must not.
    session.open_images(files[1:])
    monkeypatch.setattr(builtins, "open", no_filesystem)
    for name in ("open", "stat", "lstat", "access", "scandir", "listdir"):
        monkeypatch.setattr(os, name, no_filesystem)
    opened = session.open_images(files)
    monkeypatch.undo()
    assert [entry.path for entry in opened.images] == [files[0].path, files[1].path]
    kitten = session.open_images([read_image_file(shared_data / "images" / "kitten.jpg")]).images[0]
    assert np.array_equal(opened.images[0].pixels, kitten.pixels)  # the same picture as the file opened here
    assert opened.images[1].original_mode == "LA" and opened.images[1].size == (30, 20)
    assert opened.errors == ["notes.jpg: not an image file (no known image header)."]


def test_the_open_job_refuses_paths(shared_data):
    with pytest.raises(TypeError, match="ImageFile"):
        session.open_images([str(shared_data / "images" / "kitten.jpg")])


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
    graph = architecture.graph(None, f"{source}:build", agreed)
    assert graph.model_name == "tiny:build" and graph.input_shape == (1, 28, 28)
    assert [node.type for node in graph.nodes] == ["Input", "Conv2d", "ReLU", "Flatten", "Linear"]
    assert graph.total_params == 4 * 9 + 4 + 4 * 26 * 26 * 10 + 10
    source.write_text(source.read_text() + "# changed\n")
    with pytest.raises(ModelError, match="changed since you allowed it"):
        architecture.graph(None, f"{source}:build", agreed)


def test_the_heatmap_job_returns_its_screen_copy_after_progress(shared_data):
    from viewer.engine.models.weights import load_model

    opened = session.open_images([read_image_file(shared_data / "mnist" / "mnist_7.png")])
    steps: list[Progress] = []  # the engine's progress (HeatmapProgress until it moves to core's Progress)
    shown = run_job(
        analysis.heatmap_for_screen(opened.images[0], load_model("lenet5", "none"), class_index=7, scales=(1.0,)),
        steps.append,
    )
    assert steps and all(step.step <= step.total for step in steps)
    assert isinstance(shown, HeatmapOnScreen) and shown.heatmap.class_index == 7
    low, high = shown.levels
    assert high > low and np.isfinite(shown.scores).all()


def test_the_screen_copy_is_small_and_keeps_the_full_range():
    from types import SimpleNamespace

    scores = np.zeros((3000, 1500), dtype=np.float32)
    scores[0, 0], scores[-1, -1] = -4.0, float("nan")
    shown = analysis.screen_copy(SimpleNamespace(scores=scores), max_side=300)
    assert shown.scores.shape == (300, 150) and shown.levels[0] == -4.0 and shown.levels[1] > shown.levels[0]


def test_a_graph_is_drawn_by_its_key_while_the_engine_keeps_it():
    from viewer.core.errors import GraphGone
    from viewer.core.graph.dataflow import expansion

    built = architecture.graph("lenet5")
    assert built.key
    opened = expansion(built)
    by_key = architecture.graph_layout(built.key, opened, "LR")
    assert by_key == architecture.graph_layout(built, opened, "LR")  # the same drawing as of the graph itself
    for _ in range(architecture.KEPT_GRAPHS):  # newer graphs push it out
        architecture.graph("lenet5")
    with pytest.raises(GraphGone):
        architecture.graph_layout(built.key, opened, "LR")
    assert architecture.graph_layout(built, opened, "LR") == by_key  # the graph itself still draws
