"""Which model the user chose, and which model a job needs (plain dataclasses: no torch, no Qt).

``ModelChoice`` is what the model bar shows and the state keeps; ``ModelKey`` is what a job carries to the
worker, which swaps it for the cached model. Both live here so that the widgets, the state and the worker
name the same types without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from viewer.core.defaults import DEFAULT_MODEL

__all__ = ["ModelChoice", "ModelKey"]


@dataclass(frozen=True)
class ModelKey:
    """Which model a job needs; the worker swaps it for the cached ``LoadedModel``."""

    model: str | None
    weights: str = "default"
    model_file: str | None = None
    device: str = "auto"
    model_file_sha256: str | None = None  # the content the user agreed to run; another one is refused


@dataclass(frozen=True)
class ModelChoice:
    """The user's model choice; ``weights`` is "default", "none" (random init), an enum name or a file."""

    model: str | None = DEFAULT_MODEL
    weights: str = "default"
    model_file: str | None = None  # "path/to/file.py:function" for a custom model
    device: str = "auto"
    model_file_sha256: str | None = None  # the model file's content the user agreed to run

    def key(self) -> ModelKey:
        return ModelKey(
            None if self.model_file else self.model, self.weights, self.model_file, self.device, self.model_file_sha256
        )
