"""The typed errors, re-exported from ``viewer.core.errors`` (where every layer finds them)."""

from viewer.core.errors import (
    BudgetError,
    CancelledError,
    DownloadError,
    ExportError,
    ImageError,
    ModelError,
    UnsupportedModelError,
    ViewerError,
    WeightsError,
    is_out_of_memory,
)

__all__ = [
    "BudgetError",
    "CancelledError",
    "DownloadError",
    "ExportError",
    "ImageError",
    "ModelError",
    "UnsupportedModelError",
    "ViewerError",
    "WeightsError",
    "is_out_of_memory",
]
