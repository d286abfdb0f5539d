"""core.images.idx: MNIST's IDX files read as arrays; anything else refused with the file's name."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from viewer.core.images.idx import read_idx


def test_the_shared_mnist_test_set_reads_as_images_and_labels(shared_data: Path) -> None:
    images = read_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10_000, 28, 28) and images.dtype.name == "uint8" and images.max() == 255
    assert labels.shape == (10_000,) and set(labels.tolist()) == set(range(10))


def test_a_file_that_is_not_idx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b"PK\x03\x04 not an IDX file")
    with pytest.raises(ValueError, match=r"notes\.gz: not an unsigned-byte IDX file"):
        read_idx(path)
