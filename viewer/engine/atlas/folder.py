"""A folder's images for the atlas pass: found recursively, decoded and preprocessed in DataLoader workers.

Each image goes through exactly what classification feeds the network (``load_image`` then ``preprocess`` with
the ``weights`` preset: the weights' resize, centre crop and normalisation), so a channel's strongest images are
the ones it sees when the app classifies them. A file that cannot be read or decoded comes back as a reason and
is dropped from its batch by :func:`collate`; the pass goes on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from torch.utils.data import DataLoader, Dataset

from viewer.core.errors import ImageError
from viewer.core.images.paths import IMAGE_SUFFIXES
from viewer.core.network.input import InputSpec
from viewer.engine.images import load_image, preprocess

__all__ = [
    "Batch",
    "FolderFile",
    "FolderImages",
    "Sample",
    "collate",
    "default_workers",
    "folder_loader",
    "list_images",
]


@dataclass(frozen=True)
class FolderFile:
    """One image file of the folder: its path below the folder (with ``/``), size and modification time."""

    relative: str
    size: int
    mtime_ns: int


def list_images(folder: str | os.PathLike[str], exclude: Sequence[str | os.PathLike[str]] = ()) -> list[FolderFile]:
    """Every file with an image suffix below ``folder``, sorted by its relative path.

    Sorted, so that the order (hence the index and its resumption) does not depend on the filesystem's. Hidden
    folders (``.git``, ``.cache``) and the folders in ``exclude`` (where the atlas writes its own files) are
    skipped; links to folders are not followed (a link to ``..`` would never end).

    Raises:
        ImageError: ``folder`` is not a folder, or holds no image file.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ImageError(f"{root.name or root}: is not a folder." if root.exists() else f"{root}: no such folder.")
    skipped = {os.path.realpath(Path(path).expanduser()) for path in exclude}
    found: list[FolderFile] = []
    # os.scandir rather than pathlib: listing and stat-ing 10,000 files is what a finished index costs to reopen.
    pending = [("", str(root))]
    while pending:
        prefix, current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:  # an unreadable sub-folder: its images cannot be named, the others are indexed
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith(".") and os.path.realpath(entry.path) not in skipped:
                    pending.append((f"{prefix}{entry.name}/", entry.path))
            elif "." in entry.name and "." + entry.name.rpartition(".")[2].lower() in IMAGE_SUFFIXES:
                try:
                    stat = entry.stat()
                except OSError:  # a dangling link: the loader names it ("no such file")
                    size, mtime = -1, 0
                else:
                    size, mtime = stat.st_size, stat.st_mtime_ns
                found.append(FolderFile(prefix + entry.name, size, mtime))
    if not found:
        raise ImageError(f"{root.name or root}: the folder holds no image files.")
    found.sort(key=lambda file: file.relative)
    return found


class Sample(NamedTuple):
    """One file after its worker: the preprocessed tensor and the upright image's (width, height), or a reason."""

    file: int  # index into the dataset's files
    tensor: torch.Tensor | None
    size: tuple[int, int]
    reason: str


class FolderImages(Dataset[Sample]):
    """The folder's files (by index into ``files``) as network inputs of ``spec``, decoded where it is read."""

    def __init__(self, folder: str | os.PathLike[str], files: Sequence[str], spec: InputSpec) -> None:
        self.folder = Path(folder)
        self.files = list(files)
        self.spec = spec

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Sample:
        path = self.folder / self.files[index]
        try:
            image = load_image(path)
            tensor = preprocess(image, self.spec, "weights")
        except ImageError as error:
            return Sample(index, None, (0, 0), str(error))
        except Exception as error:  # a decoder's own failure: one file's problem, never the pass's
            return Sample(index, None, (0, 0), f"{path.name}: cannot be read ({type(error).__name__}: {error}).")
        return Sample(index, tensor, image.original_size, "")


@dataclass
class Batch:
    """The decoded images of one batch of files, and the files of it that could not be read."""

    indices: torch.Tensor  # int64 (B,): file indices of the decoded images
    images: torch.Tensor | None  # (B, C, H, W), None when no file of the batch could be read
    sizes: torch.Tensor  # int64 (B, 2): each image's (width, height)
    failed: list[tuple[int, str]]  # (file index, reason)

    @property
    def files(self) -> int:
        """Files the batch stood for, read or not (what progress counts)."""
        return int(self.indices.shape[0]) + len(self.failed)


def collate(samples: Sequence[Sample]) -> Batch:
    """One :class:`Batch`: the readable samples stacked, the others kept as reasons."""
    good = [sample for sample in samples if sample.tensor is not None]
    return Batch(
        indices=torch.tensor([sample.file for sample in good], dtype=torch.int64),
        images=torch.stack([sample.tensor for sample in good if sample.tensor is not None]) if good else None,
        sizes=torch.tensor([sample.size for sample in good], dtype=torch.int64).reshape(-1, 2),
        failed=[(sample.file, sample.reason) for sample in samples if sample.tensor is None],
    )


def default_workers() -> int:
    """Decoding processes when none is asked for: the cores but one (the forward pass has it), at most 8."""
    return max(0, min(8, (os.cpu_count() or 1) - 1))


def folder_loader(
    dataset: FolderImages,
    *,
    start: int = 0,
    batch_size: int = 64,
    workers: int = 0,
    context: str | None = None,
) -> DataLoader[Sample]:
    """Batches of ``dataset`` in file order from file ``start`` (where an interrupted pass stopped).

    ``workers`` decoding processes (0: in this process); ``context`` their start method (None: torch's default,
    ``fork`` on Linux). In file order, so that batches, and hence the result, do not depend on the workers.
    """
    return DataLoader(
        dataset,
        batch_size=max(1, batch_size),
        sampler=range(start, len(dataset)),
        num_workers=workers,
        collate_fn=collate,
        multiprocessing_context=context if workers > 0 else None,
    )
