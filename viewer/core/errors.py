"""Typed errors: each carries one sentence a user can act on.

The CLI prints ``str(error)`` and exits 2; the GUI shows it in its banner. Anything that is not a
``ViewerError`` is a bug and is reported as such.
"""

from __future__ import annotations

__all__ = [
    "BudgetError",
    "CancelledError",
    "DownloadError",
    "ExportError",
    "GraphGone",
    "ImageError",
    "ModelError",
    "UnsupportedModelError",
    "ViewerError",
    "WeightsError",
    "is_out_of_memory",
]


class ViewerError(Exception):
    """Base of every error the user may cause; ``str()`` is one readable sentence."""


class ImageError(ViewerError):
    """An input image cannot be read or used."""


class WeightsError(ViewerError):
    """A weights file or checkpoint cannot be loaded safely or does not fit the model."""


class DownloadError(WeightsError):
    """Pretrained weights could not be downloaded (offline, truncated, hash mismatch)."""


class ModelError(ViewerError):
    """A model name, custom model file or builder is wrong."""


class UnsupportedModelError(ModelError):
    """The model exists but the requested analysis cannot handle it (the message says why)."""


class BudgetError(ViewerError):
    """The job would exceed the configured memory budget (the message gives the estimate)."""


class ExportError(ViewerError):
    """An export could not be written."""


class CancelledError(ViewerError):
    """A long job was cancelled by the user."""


class GraphGone(ViewerError):
    """A job named a graph by its key and the engine no longer holds it (it restarted, or kept newer ones): the
    window sends the whole graph instead."""


def is_out_of_memory(error: BaseException) -> bool:
    """True for torch's ``OutOfMemoryError`` and the "out of memory" RuntimeErrors some backends raise
    (by name and text, so that this module needs no torch)."""
    return type(error).__name__ == "OutOfMemoryError" or "out of memory" in str(error).lower()
