"""The atlas's pictures for the window (issue 23): a channel's patches and a layer's contact sheet, as jobs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from viewer.core.job_names import JobName
from viewer.core.progress import run_job
from viewer.core.wire import decode, encode
from viewer.engine.jobs import JOBS
from viewer.engine.models.weights import load_model


def test_the_atlas_views_jobs_cut_a_channels_patches_and_a_layers_sheet(tmp_path: Path, shared_data: Path) -> None:
    from PIL import Image

    from viewer.core.results.atlas import AtlasSheet, ChannelPatches
    from viewer.engine.atlas.job import atlas_pass

    folder = tmp_path / "digits"
    folder.mkdir()
    for digit in range(10):
        Image.open(shared_data / "mnist" / f"mnist_{digit}.png").save(folder / f"{digit}.png")
    lenet = load_model("lenet5", device="cpu")
    atlas = run_job(atlas_pass(lenet, folder, ["features.3"], top=4, workers=0, index_dir=tmp_path / "index"))
    entries = atlas.entries("features.3", 5)
    patches = JOBS[JobName.ATLAS_PATCHES]("features.3", 5, entries, top=4)
    assert isinstance(patches, ChannelPatches) and len(patches.tiles) == len(entries) == 4
    assert patches.tiles[0].shape == (96, 96, 3) and patches.grid.shape == (2 * 96 + 2, 2 * 96 + 2, 3)
    sheet = run_job(JOBS[JobName.ATLAS_SHEET](atlas, "features.3"))
    assert isinstance(sheet, AtlasSheet) and (sheet.channels, sheet.columns) == (16, 4)
    assert sheet.image.shape == (4 * 48 + 3 * 2, 4 * 48 + 3 * 2, 3)
    for channel in (0, 5, 15):
        assert sheet.channel_at(*sheet.tile_centre(channel)) == channel
    assert sheet.channel_at(48.5, 10) is None  # the gap between two tiles
    back = decode(encode(sheet).data)
    assert np.array_equal(back.image, sheet.image)
