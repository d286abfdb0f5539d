"""When a custom model file may run: the trust policy (plain Python: no torch, no Qt).

A custom model file is Python code, so loading it runs it with the user's permissions. It runs only after the
user allowed that path with that content (its sha256); an edited file is asked about again, and a file
chosen at start-up (restored from the settings) runs only if its content is still the one allowed. The
widget that picks files only shows the question this policy words; the allowed files are kept in a
``TrustStore`` (the GUI's settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from viewer.core.hashing import file_sha256  # re-exported: the GUI names it here

__all__ = ["FileReview", "ModelFileTrust", "TrustStore", "file_sha256"]


class TrustStore(Protocol):
    """Where the allowed files are remembered: {resolved path: sha256} (``viewer.gui.runtime.settings.Settings``)."""

    def is_trusted_model_file(self, path: str, sha256: str) -> bool: ...
    def trust_model_file(self, path: str, sha256: str) -> None: ...


@dataclass(frozen=True)
class FileReview:
    """A model file read for the decision: its content's sha256 and, unless allowed before, what to ask."""

    path: str  # as chosen
    sha256: str
    question: str | None  # None: this path with this content was allowed before


class ModelFileTrust:
    """Reviews custom model files against the allowed ones in ``store`` and remembers what the user allows."""

    def __init__(self, store: TrustStore) -> None:
        self._store = store

    def review(self, path: str) -> FileReview:
        """Hash ``path`` and say whether it must be asked about (raises OSError when it cannot be read)."""
        digest = file_sha256(path)
        if self._store.is_trusted_model_file(path, digest):
            return FileReview(path, digest, None)
        question = (
            f"{Path(path).name} is Python code: loading it runs it with your permissions.\n\n"
            f"{Path(path).resolve()}\nsha256 {digest[:16]}…\n\nRun it only if you trust it. Run it?"
        )
        return FileReview(path, digest, question)

    def allow(self, review: FileReview) -> None:
        """Remember that the user allowed this path with the reviewed content."""
        self._store.trust_model_file(review.path, review.sha256)

    def trusted_digest(self, model_file: str) -> str | None:
        """The sha256 of ``path:function``'s file if it may run without asking (allowed with this content),
        else None (never allowed, edited since, or unreadable)."""
        path = model_file.rpartition(":")[0] or model_file
        try:
            digest = file_sha256(path)
        except OSError:
            return None
        return digest if self._store.is_trusted_model_file(path, digest) else None
