"""What a channel looks for, in the Activations tab (issue 23): a channel's top patches over a folder, the layer's
mosaic, a patch opening its image with the unit's field, Cancel of the pass, the optimised image, a clicked cell's
deconvolution on the tab's own input, and nothing of one layer or model shown under another. Real widgets, LeNet-5
(its MNIST weights) and a few hundred shared MNIST digits written into the test's folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import JOB_TIMEOUT_MS
from PIL import Image
from PySide6.QtCore import Qt

from viewer.core.images.idx import read_idx
from viewer.core.network.choice import ModelChoice
from viewer.gui.jobs.tickets import JobKind

OUTPUT = "classifier.4"  # LeNet-5's ten class logits


def _digits(shared_data: Path, folder: Path, count: int) -> Path:
    """``count`` MNIST test digits as ``<index>_<label>.png`` (the name tells the class)."""
    images = read_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz")[:count]
    labels = read_idx(shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz")[:count]
    folder.mkdir()
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        Image.fromarray(image).save(folder / f"{index:05d}_{label}.png")
    return folder


@pytest.fixture
def window(make_window, tmp_path, monkeypatch, shared_data):
    """LeNet-5 with its MNIST weights on the Activations tab, showing a digit, its index cache in the test's folder
    and the pass decoding in the engine's own process (no worker processes to start)."""
    monkeypatch.setenv("VIEWER_CACHE_DIR", str(tmp_path / "cache"))
    made = make_window("lenet5", "default")
    made.set_tab("activations")
    made.state.channel.workers = 0
    made.state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    return made


def _show_layer(qtbot, window, layer: str) -> None:
    view, state = window.activations, window.state
    qtbot.waitUntil(lambda: state.model.summary is not None, timeout=JOB_TIMEOUT_MS)
    view.layerRequested.emit(layer)  # what the layer tree sends when the user picks it
    qtbot.waitUntil(lambda: view.shown_grid is not None and view.shown_grid.layer == layer, timeout=JOB_TIMEOUT_MS)


def _name_folder(qtbot, window, folder: Path) -> None:
    window.channel_links.ask_folder = lambda: str(folder)
    qtbot.mouseClick(window.activations.looks_for.folder_button, Qt.MouseButton.LeftButton)


def _some(value: object) -> bool:
    return value is not None


def _label(path: str) -> int:
    return int(Path(path).stem.split("_")[1])


def test_a_channel_shows_its_top_patches_and_a_patch_opens_its_image_with_the_field(
    qtbot, window, shared_data, tmp_path
) -> None:
    state, view, panel = window.state, window.activations, window.activations.looks_for
    folder = _digits(shared_data, tmp_path / "digits", 300)
    _show_layer(qtbot, window, OUTPUT)
    with qtbot.waitSignal(state.channel.patches_changed, timeout=JOB_TIMEOUT_MS, check_params_cb=_some):
        _name_folder(qtbot, window, folder)
    assert window.settings.atlas_folder() == str(folder)  # remembered for the next start
    assert state.channel.atlas is not None and not state.channel.atlas.from_index
    with qtbot.waitSignal(state.channel.patches_changed, timeout=JOB_TIMEOUT_MS, check_params_cb=_some):
        view.select_channel(3)  # the atlas holds every channel: only its patches are cut
    patches = state.channel.patches
    assert (patches.layer, patches.channel) == (OUTPUT, 3) and panel.shown_patches == 9
    assert sum(_label(entry.path) == 3 for entry in patches.entries) >= 7  # the unit of class 3 sees threes
    assert "channel 3: top 9 of 300 images" in panel.patches_caption.text()

    # A patch clicked: its image opens in the app's list, the unit's field (the whole digit) drawn on it.
    entry = patches.entries[1]
    qtbot.mouseClick(panel.patch_grid.buttons[1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state.image is not None and state.image.path.endswith(Path(entry.path).name))
    qtbot.waitUntil(lambda: view.shown_grid is not None and state.activations.shown is not None)
    qtbot.waitUntil(lambda: window.image_panel.box() is not None)
    assert window.image_panel.box() == pytest.approx(entry.image_box)
    assert view.selected_channel == 3 and state.channel.patches is not None  # the selection stays

    # The layer's mosaic: every channel's best patch; a tile clicked selects its channel.
    panel.setCurrentIndex(1)
    qtbot.waitUntil(lambda: panel.sheet is not None and not panel.sheet_picture.pixmap().isNull())
    assert panel.sheet.channels == 10
    with qtbot.waitSignal(state.channel.patches_changed, timeout=JOB_TIMEOUT_MS, check_params_cb=_some):
        qtbot.mouseClick(panel.sheet_picture, Qt.MouseButton.LeftButton, pos=panel.sheet_picture.tile_centre(8))
    assert view.selected_channel == 8 and state.channel.patches.channel == 8

    # Both pictures export as PNG with a JSON of where they came from.
    for which in ("patches", "sheet"):
        with qtbot.waitSignal(state.exports.finished, timeout=JOB_TIMEOUT_MS):
            assert window.channel_links.export(which, str(tmp_path / f"{which}.png"))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "patches.png").convert("RGB")), state.channel.patches.grid)
    assert [p["path"] for p in json.loads((tmp_path / "patches.json").read_text())["patches"]] == [
        e.path for e in state.channel.patches.entries
    ]
    assert Image.open(tmp_path / "sheet.png").size == panel.sheet.image.shape[1::-1]

    # Another layer: the output's patches go at once, never shown under it. It has no index of the folder, and a
    # pass (minutes over a large folder) never starts by itself: the panel says so and offers it.
    panel.setCurrentIndex(0)  # back to the patches' page
    with qtbot.waitSignal(state.channel.not_indexed, timeout=JOB_TIMEOUT_MS):
        view.layerRequested.emit("features.3")
        assert state.channel.patches is None and panel.shown_patches == 0 and panel.sheet is None
    assert not state.jobs.pending(JobKind.ATLAS) and state.channel.atlas is None
    qtbot.waitUntil(lambda: "no index of this folder yet" in panel.patches_caption.text())
    assert panel.index_button.isVisible()
    qtbot.mouseClick(panel.index_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state.channel.patches is not None, timeout=JOB_TIMEOUT_MS)
    assert not panel.index_button.isVisible() and not state.channel.atlas.from_index
    assert state.channel.patches.layer == "features.3" and state.channel.atlas.layers.keys() == {"features.3"}
    # A convolution's patch is a part of its image: the large view marks the unit's cell and field on the input.
    entry = state.channel.patches.entries[0]
    qtbot.mouseClick(panel.patch_grid.buttons[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.detail.receptive_field_box is not None, timeout=JOB_TIMEOUT_MS)
    assert state.image.path.endswith(Path(entry.path).name)
    assert view.detail.receptive_field_box == pytest.approx(entry.input_box)
    assert window.image_panel.box() == pytest.approx(entry.image_box)

    # Back to the output: its index is on disk, read without a forward pass.
    view.layerRequested.emit(OUTPUT)
    qtbot.waitUntil(lambda: state.channel.atlas is not None and state.channel.patches is not None)
    assert state.channel.atlas.from_index and state.channel.patches.layer == OUTPUT

    # Another model: nothing found for the previous one stays.
    with qtbot.waitSignal(state.channel.atlas_changed, timeout=JOB_TIMEOUT_MS):
        window.model_bar.choiceRequested.emit(ModelChoice("lenet5", "none", None, "cpu"))
    assert state.channel.atlas is None and state.channel.patches is None and panel.shown_patches == 0


def test_cancel_stops_the_pass_over_the_folder(qtbot, window, shared_data, tmp_path) -> None:
    state, panel = window.state, window.activations.looks_for
    folder = _digits(shared_data, tmp_path / "digits", 400)
    state.channel.batch_size = 4  # a hundred steps: Cancel lands between two of them
    _show_layer(qtbot, window, OUTPUT)
    with qtbot.waitSignal(state.progress, check_params_cb=lambda item, kind: kind == JobKind.ATLAS and item.step > 0):
        _name_folder(qtbot, window, folder)
    assert panel.atlas_progress.isVisible() and "images/s" in panel.atlas_progress.message.text()
    with qtbot.waitSignal(state.job_finished, check_params_cb=lambda kind: kind == JobKind.ATLAS):
        qtbot.mouseClick(panel.atlas_progress.cancel, Qt.MouseButton.LeftButton)
    assert state.channel.atlas is None and state.channel.patches is None
    assert not panel.atlas_progress.isVisible()
    assert state.notices.notice is not None and state.notices.notice.text.endswith("cancelled.")


def test_optimise_shows_the_channels_image_and_exports_it(qtbot, window, tmp_path) -> None:
    state, view, panel = window.state, window.activations, window.activations.looks_for
    _show_layer(qtbot, window, "features.3")
    view.select_channel(5)
    state.channel.steps = 4  # a few steps: the test is of the view, the engine's tests judge the image
    panel.setCurrentIndex(0)
    with qtbot.waitSignal(state.channel.optimised_changed, timeout=JOB_TIMEOUT_MS, check_params_cb=_some):
        qtbot.mouseClick(panel.optimise_button, Qt.MouseButton.LeftButton)
    image = state.channel.optimised
    assert (image.layer, image.channel, image.steps, image.seed) == ("features.3", 5, 4, 0)
    assert panel.optimised_picture.has_picture and "in 4 steps" in panel.optimised_caption.text()

    with qtbot.waitSignal(state.exports.finished, timeout=JOB_TIMEOUT_MS):
        assert window.channel_links.export("optimised", str(tmp_path / "dream.png"))
    written = Image.open(tmp_path / "dream.png")
    assert written.size == image.size and np.array_equal(np.asarray(written.convert("RGB")), image.image)
    assert json.loads((tmp_path / "dream.json").read_text())["channel"] == 5

    # Another channel: the image of channel 5 is not shown under it.
    view.select_channel(6)
    assert state.channel.optimised is None and not panel.optimised_picture.has_picture


def test_a_clicked_cell_shows_that_units_deconvolution_on_the_tabs_own_input(
    qtbot, window, shared_data, tmp_path
) -> None:
    """A portrait photo: the tab's map is of the weights' centre crop, not of the whole image squashed, and the
    unit computed is the cell clicked on that map (same value, same map)."""
    state, view, panel = window.state, window.activations, window.activations.looks_for
    layer, channel, row, col = "features.3", 2, 5, 3
    state.images.open_paths([str(shared_data / "images" / "grace_hopper_517x606.jpg")])
    qtbot.waitUntil(lambda: state.image is not None and state.image.name.startswith("grace"))
    _show_layer(qtbot, window, layer)
    view.select_channel(channel)
    activation = state.activations.shown[layer]
    with qtbot.waitSignal(state.channel.unit_changed, timeout=JOB_TIMEOUT_MS, check_params_cb=_some):
        qtbot.mouseClick(view.detail.view.viewport(), Qt.MouseButton.LeftButton, pos=view.detail.cell_center(row, col))
    unit = state.channel.unit
    assert (unit.unit.layer, unit.unit.channel, unit.unit.row, unit.unit.col) == (layer, channel, row, col)
    assert unit.channel_map.shape == activation.array.shape[1:]
    assert unit.activation == pytest.approx(float(activation.array[channel, row, col]), rel=1e-2, abs=1e-2)
    assert np.allclose(unit.channel_map, np.asarray(activation.array[channel], dtype=np.float32), atol=2e-2)
    # Its field, in the image's pixels, is the large view's box mapped back through the crop.
    assert unit.image_box == pytest.approx(window.image_panel.box(), abs=1e-3)
    assert panel.currentIndex() == 2
    assert all(picture.has_picture for picture in panel.unit_pictures.values())
    assert f"{layer} channel {channel}, cell x {col}, y {row}" in panel.unit_caption.text()

    with qtbot.waitSignal(state.exports.finished, timeout=JOB_TIMEOUT_MS):
        assert window.channel_links.export("unit", str(tmp_path / "unit.png"))
    names = sorted(path.name for path in tmp_path.glob("unit*"))
    assert names == [
        "unit.json",
        "unit_deconv.png",
        "unit_deconv_field.png",
        "unit_guided.png",
        "unit_guided_field.png",
    ]
    # Another image: the unit was of the previous one.
    state.images.open_paths([str(shared_data / "mnist" / "mnist_3.png")])
    qtbot.waitUntil(lambda: state.image.name == "mnist_3.png")
    assert state.channel.unit is None and not any(p.has_picture for p in panel.unit_pictures.values())


def test_a_folder_without_images_is_said_on_the_panel(qtbot, window, tmp_path) -> None:
    state, panel = window.state, window.activations.looks_for
    empty = tmp_path / "notes"
    empty.mkdir()
    (empty / "readme.txt").write_text("no pictures here")
    _show_layer(qtbot, window, OUTPUT)
    with qtbot.waitSignal(state.channel.atlas_failed, timeout=JOB_TIMEOUT_MS) as failed:
        _name_folder(qtbot, window, empty)
    assert "holds no image files" in failed.args[0] and "holds no image files" in panel.patches_caption.text()
    assert state.channel.atlas is None and panel.shown_patches == 0
