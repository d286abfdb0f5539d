"""core.hashing: the digest the GUI shows the user is the one the engine checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

from viewer.core.hashing import file_sha256, sha256_bytes


def test_file_digest_matches_hashlib_across_chunks(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # > 2 MiB: several 1 MiB chunks and a partial one
    path = tmp_path / "weights.pt"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest() == sha256_bytes(data)
    assert file_sha256(str(path)) == file_sha256(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert file_sha256(path) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
