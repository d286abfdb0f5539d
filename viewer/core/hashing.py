"""The sha256 of a file or of bytes: how a weights file, a custom model file and a download are identified.

The GUI asks the user once to trust a model file's content (its digest); the engine refuses to run other
content. Both compute the digest here, so they agree by construction.
"""

from __future__ import annotations

import hashlib
import os

__all__ = ["file_sha256", "sha256_bytes"]

_CHUNK = 1 << 20  # 1 MiB reads: a 500 MB checkpoint is hashed without holding it in memory


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of the file's content, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of bytes already in memory (a source file that is about to be executed)."""
    return hashlib.sha256(data).hexdigest()
