"""The atlas pass (issue 23): LeNet-5's output units over the 10,000 MNIST test digits, an interrupted pass resumed,
unreadable files named, a finished index read back without a forward pass, and the crops."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from viewer.core.images.idx import read_idx
from viewer.core.progress import Progress, run_job
from viewer.core.results.atlas import Atlas
from viewer.core.wire import decode, encode
from viewer.engine.atlas import crops
from viewer.engine.atlas import job as atlas_job
from viewer.engine.atlas.job import atlas_pass
from viewer.engine.atlas.store import index_paths
from viewer.engine.jobs import job
from viewer.engine.models.weights import load_model
from viewer.engine.summary import summarize

OUTPUT = "classifier.4"  # LeNet-5's last Linear: the ten class logits


@pytest.fixture(scope="session")
def mnist_folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 10,000 MNIST test digits as PNGs named ``<index>_<label>.png``, so that a path tells its class."""
    images = read_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz")
    folder = tmp_path_factory.mktemp("mnist_test_digits")
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        Image.fromarray(image).save(folder / f"{index:05d}_{label}.png")
    return folder


@pytest.fixture(scope="module")
def lenet():
    return load_model("lenet5", device="cpu")


@pytest.fixture()
def small_folder(mnist_folder: Path, tmp_path: Path) -> Path:
    """600 digits in nested folders (the pass is recursive), plus a hidden folder that is skipped."""
    folder = tmp_path / "digits"
    for index, path in enumerate(sorted(mnist_folder.iterdir())[:600]):
        target = folder / ("a" if index % 3 == 0 else "b/c" if index % 3 == 1 else "") / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    (folder / ".hidden").mkdir()
    shutil.copy2(next(mnist_folder.iterdir()), folder / ".hidden" / "skipped.png")
    return folder


def _label(path: str) -> str:
    return Path(path).stem.split("_")[1]


def _run(*args, **kwargs) -> tuple[Atlas, list[Progress]]:
    steps: list[Progress] = []
    return run_job(atlas_pass(*args, **kwargs), steps.append), steps


def _same(a: Atlas, b: Atlas) -> None:
    assert (a.images, a.files, a.indexed, a.unreadable, a.key) == (b.images, b.files, b.indexed, b.unreadable, b.key)
    for name, layer in a.layers.items():
        other = b.layers[name]
        assert (layer.map_shape, layer.receptive_field) == (other.map_shape, other.receptive_field)
        for field in ("values", "image", "row", "col", "input_box", "image_box", "image_size"):
            assert np.array_equal(getattr(layer, field), getattr(other, field)), f"{name}.{field}"


def test_each_lenet_output_unit_sees_digits_of_its_class(lenet, mnist_folder, tmp_path) -> None:
    node = summarize(lenet).find(OUTPUT)
    assert node.type == "Linear" and node.output_shape == (10,)
    atlas, steps = _run(lenet, mnist_folder, [OUTPUT], index_dir=tmp_path, workers=1, batch_size=256)
    assert (atlas.files, atlas.indexed, atlas.unreadable, atlas.from_index) == (10_000, 10_000, [], False)
    assert steps[-1].step == 10_000 and "images/s" in steps[-1].message
    purity = {}
    for unit in range(10):
        entries = atlas.entries(OUTPUT, unit)
        assert len(entries) == 9 and [e.value for e in entries] == sorted((e.value for e in entries), reverse=True)
        purity[unit] = sum(_label(entry.path) == str(unit) for entry in entries)
        # A logit sees the whole input: every box is the whole 28 x 28 digit.
        assert {(entry.input_box, entry.image_box) for entry in entries} == {((0, 0, 28, 28), (0, 0, 28, 28))}
    print("top-9 purity per unit:", purity)
    assert all(count >= 8 for count in purity.values()), purity


def test_an_interrupted_pass_resumes_and_ends_as_an_uninterrupted_one(lenet, small_folder, tmp_path) -> None:
    layers = ["features.3", OUTPUT]  # a map with a receptive field, and a vector
    whole, _ = _run(lenet, small_folder, layers, index_dir=tmp_path / "whole", workers=0, batch_size=64)
    assert whole.files == 600 and not any("skipped" in path for path in whole.images)

    cut = atlas_pass(lenet, small_folder, layers, index_dir=tmp_path / "cut", workers=0, batch_size=64)
    for step in cut:
        if step.step >= step.total // 2:
            break
    cut.close()  # Cancel: between two batches
    saved = json.loads(index_paths(tmp_path / "cut", whole.key, 2)[0].read_text())
    assert saved["complete"] is False and 300 <= saved["done"] < 600

    resumed, steps = _run(lenet, small_folder, layers, index_dir=tmp_path / "cut", workers=0, batch_size=64)
    assert steps[0].step == saved["done"] and not resumed.from_index  # resumed there, not from the start
    _same(resumed, whole)
    entry = whole.entries("features.3", 0)[0]
    assert entry.input_box[2] - entry.input_box[0] <= 14 and 0 <= entry.row < 8 and 0 <= entry.col < 8


def test_unreadable_files_are_named_and_the_rest_is_indexed(lenet, shared_data, mnist_folder, tmp_path) -> None:
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    digits = sorted(mnist_folder.iterdir())[:5]
    for path in digits[:4]:
        shutil.copy2(path, folder / path.name)
    shutil.copy2(digits[4], folder / "sub" / digits[4].name)
    (folder / "notes.jpg").write_text("Dear diary, this is not a picture.\n")
    data = (shared_data / "images" / "sk_coffee.png").read_bytes()
    (folder / "sub" / "cut.png").write_bytes(data[: len(data) // 2])
    (folder / "readme.txt").write_text("not an image suffix: not listed")

    atlas, _ = _run(lenet, folder, [OUTPUT], index_dir=tmp_path / "index", workers=1, batch_size=4)
    assert (atlas.files, atlas.indexed) == (7, 5)
    named = {Path(item.path).relative_to(folder).as_posix(): item.reason for item in atlas.unreadable}
    assert set(named) == {"notes.jpg", "sub/cut.png"}
    assert named["notes.jpg"] == "notes.jpg: not an image file (no known image header)."
    assert named["sub/cut.png"].startswith("cut.png: cannot be decoded")
    assert sorted(Path(path).name for path in atlas.images) == sorted(path.name for path in digits)
    assert atlas.layers[OUTPUT].filled(0) == 5  # fewer images than N: the rest of the slots stay empty
    again, steps = _run(lenet, folder, [OUTPUT], index_dir=tmp_path / "index", workers=1, batch_size=4)
    assert steps == [] and again.unreadable == atlas.unreadable  # the index names them too


def test_a_second_run_with_the_same_key_reads_the_index(lenet, small_folder, tmp_path, monkeypatch) -> None:
    first, steps = _run(lenet, small_folder, [OUTPUT], index_dir=tmp_path, workers=0)
    assert steps and not first.from_index

    def no_forward(*args, **kwargs):
        raise AssertionError("a finished index ran the network again")

    monkeypatch.setattr(atlas_job, "layer_outputs", no_forward)
    second, steps = _run(lenet, small_folder, [OUTPUT], index_dir=tmp_path, workers=0)
    assert steps == [] and second.from_index
    _same(second, first)
    monkeypatch.undo()

    # Another N, or a file changed since (its time), is another key: computed again.
    _, steps = _run(lenet, small_folder, [OUTPUT], top=4, index_dir=tmp_path, workers=0)
    assert steps
    changed = next((small_folder / "a").iterdir())
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    third, steps = _run(lenet, small_folder, [OUTPUT], index_dir=tmp_path, workers=0)
    assert steps and third.key != first.key


def test_the_job_of_the_table_returns_an_atlas_that_crosses_the_wire(lenet, small_folder, tmp_path) -> None:
    # Asked to read an index only (what the window does when a layer is chosen), it runs no pass: None until one ran.
    index = str(tmp_path / "index")
    read_only = job("atlas")(str(small_folder), lenet, [OUTPUT], index_dir=index, indexed_only=True)
    assert run_job(read_only) is None and not (tmp_path / "index").exists()
    atlas = run_job(job("atlas")(str(small_folder), lenet, [OUTPUT], index_dir=index, workers=0))
    indexed = run_job(job("atlas")(str(small_folder), lenet, [OUTPUT], index_dir=index, indexed_only=True))
    assert indexed is not None and indexed.from_index and indexed.entries(OUTPUT, 3) == atlas.entries(OUTPUT, 3)
    back = decode(encode(atlas).data)
    assert isinstance(back, Atlas) and back.entries(OUTPUT, 3) == atlas.entries(OUTPUT, 3)


def test_crops_grid_and_contact_sheet(lenet, small_folder, tmp_path) -> None:
    atlas, _ = _run(lenet, small_folder, ["features.3", OUTPUT], index_dir=tmp_path, workers=0)
    patches = crops.channel_patches(atlas, "features.3", 2, tile=28)
    assert len(patches) == 9 and all(p.shape == (28, 28, 3) and p.dtype == np.uint8 for p in patches)
    entry = atlas.entries("features.3", 2)[0]
    # features.3's field is 14 x 14 (jump 2), always inside the 28 x 28 digit: its pixels, each doubled.
    x0, y0, x1, y1 = (round(v) for v in entry.image_box)
    assert (x1 - x0, y1 - y0) == (14, 14) and (x0, y0) == (2 * entry.col, 2 * entry.row)
    digit = np.asarray(Image.open(entry.path).convert("RGB"))[y0:y1, x0:x1]
    assert np.array_equal(patches[0], digit.repeat(2, 0).repeat(2, 1))
    grid = crops.channel_grid(atlas, OUTPUT, 0, tile=32)
    assert grid.shape == (3 * 32 + 2 * crops.GAP, 3 * 32 + 2 * crops.GAP, 3)
    sheet = crops.contact_sheet(atlas, "features.3", tile=16)
    assert sheet.shape == (4 * 16 + 3 * crops.GAP, 4 * 16 + 3 * crops.GAP, 3)  # 16 channels: 4 x 4
