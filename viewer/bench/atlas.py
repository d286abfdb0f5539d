"""The atlas pass (each channel's strongest images over a folder) against the bare batched forward it contains.

- LeNet-5 over the shared MNIST test digits (written once as PNG files to a scratch folder) and MobileNetV2 over
  the shared photos: the whole pass (:func:`viewer.engine.atlas.job.atlas_pass`: listing, the index's key, decoding
  in the same DataLoader, the forward with the chosen layer's outputs, the running top-N, the index saved) against
  the same DataLoader's batches through the bare network at the same batch size and with the same workers.
  Goal ≤ 1.25. Both read the same files, so the decoding they share (most of a LeNet-5 pass) is on both sides.
- Peak memory of the pass (the process's resident set, sampled by a thread while it runs; decoding workers are
  processes of their own and not counted) over two folder sizes, the larger five times the smaller: a running
  top-N per channel keeps memory flat. Goal: within 10 %.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from viewer.bench.common import Row, sample_image

__all__ = ["ATLAS_GOAL", "MEMORY_GOAL", "bench_atlas"]

ATLAS_GOAL = 1.25
MEMORY_GOAL = 0.10  # the larger folder's peak within 10 % of the smaller's
BATCH = 64


def bench_atlas(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    digits = 2_000 if quick else 10_000
    mnist = _mnist_folder(digits)
    rows = [
        _pass_row("lenet5", "default", mnist, "classifier.4", f"{digits:,} MNIST digits", device, workers=1),
        _pass_row(
            "mobilenet_v2",
            _mobilenet_weights(),
            sample_image().parent,
            "features.10",
            "the shared photos",
            device,
            workers=1,
        ),
    ]
    rows.append(_memory_row(_mnist_folder(digits // 5), mnist, device))
    return rows


def _pass_row(model: str, weights: str, folder: Path, layer: str, what: str, device: str, *, workers: int) -> Row:
    import torch

    from viewer.engine.atlas.folder import FolderImages, folder_loader, list_images
    from viewer.engine.atlas.job import atlas_pass
    from viewer.engine.models.weights import load_model

    loaded = load_model(model, weights, device=device)
    files = list_images(folder)

    def ours() -> None:
        with tempfile.TemporaryDirectory(prefix="viewer-bench-atlas-") as index:  # a fresh pass, never a load
            _drain(atlas_pass(loaded, folder, [layer], batch_size=BATCH, workers=workers, index_dir=index))

    def bare() -> None:
        loader = folder_loader(
            FolderImages(folder, [file.relative for file in files], loaded.input), batch_size=BATCH, workers=workers
        )
        with torch.no_grad():
            for batch in loader:
                if batch.images is not None:
                    loaded.model(batch.images.to(loaded.device))

    ours()  # warm: the model's first forward, the page cache of the files
    times: dict[str, list[float]] = {"ours": [], "bare": []}
    for _ in range(2):
        for name, run in (("bare", bare), ("ours", ours)):
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    ours_s, bare_s = min(times["ours"]), min(times["bare"])
    ratio = ours_s / bare_s
    return Row(
        "atlas",
        f"{model} {layer}, top 9 over {what} ({len(files):,} files, batch {BATCH}, {workers} worker)",
        f"pass {ours_s:.2f} s",
        f"bare batched forward {bare_s:.2f} s",
        ratio,
        f"≤{ATLAS_GOAL}",
        ratio <= ATLAS_GOAL,
    )


def _memory_row(small: Path, large: Path, device: str) -> Row:
    from viewer.engine.atlas.job import atlas_pass
    from viewer.engine.models.weights import load_model

    loaded = load_model("lenet5", "default", device=device)

    def peak(folder: Path) -> float:
        with tempfile.TemporaryDirectory(prefix="viewer-bench-atlas-") as index:
            job = atlas_pass(loaded, folder, ["features.3"], batch_size=BATCH, workers=1, index_dir=index)
            return _peak_rss(lambda: _drain(job))

    peak(small)  # warm
    low, high = peak(small), peak(large)
    return Row(
        "atlas",
        f"lenet5 atlas pass: peak resident memory over {_count(large):,} digits vs {_count(small):,}",
        f"{high / 1e6:.0f} MB",
        f"{low / 1e6:.0f} MB",
        high / low,
        f"≤{1 + MEMORY_GOAL:.2f}",
        high / low <= 1 + MEMORY_GOAL,
    )


def _drain(job: object) -> None:
    try:
        while True:
            next(job)  # type: ignore[call-overload]
    except StopIteration:
        pass


def _peak_rss(run: Callable[[], None]) -> float:
    """Bytes of this process's resident memory at its highest while ``run`` ran (sampled every 5 ms)."""

    def rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    highest, done = [rss()], threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            highest[0] = max(highest[0], rss())

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        run()
    finally:
        done.set()
        watcher.join()
    return float(max(highest[0], rss()))


def _count(folder: Path) -> int:
    return sum(1 for _ in folder.glob("*.png"))


def _mnist_folder(count: int) -> Path:
    """The first ``count`` shared MNIST test digits as PNG files, written once to a scratch folder."""
    from PIL import Image

    folder = Path(tempfile.gettempdir()) / f"viewer-bench-mnist-{count}"
    if folder.exists() and _count(folder) == count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    from viewer.core.images.idx import read_idx

    data = read_idx(sample_image().parents[1] / "mnist" / "t10k-images-idx3-ubyte.gz")
    for index in range(count):
        Image.fromarray(data[index]).save(folder / f"{index:05d}.png")
    return folder


def _mobilenet_weights() -> str:
    shared = sample_image().parents[1] / "weights" / "mobilenet_v2_imagenet1k.pth"
    return str(shared) if shared.exists() else "none"  # timings do not depend on the values
