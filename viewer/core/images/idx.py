"""MNIST's IDX files (gzip'd): the shared digits that LeNet-5's checks, the atlas bench, the screenshots and
``scripts/train_lenet5.py`` read (numpy only)."""

from __future__ import annotations

import gzip
import os

import numpy as np

__all__ = ["read_idx"]


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """An IDX file (big-endian magic, the dimensions' sizes, then raw unsigned bytes), gzip'd, as a uint8 array."""
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    magic = int.from_bytes(data[:4], "big")
    if magic >> 8 != 0x08:  # 0x08: unsigned byte data, the only kind MNIST has
        raise ValueError(f"{os.fspath(path)}: not an unsigned-byte IDX file (magic {magic:#x})")
    dims = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
