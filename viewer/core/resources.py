"""Paths of the bundled files (``resources/``: LeNet-5 weights, sample images, class names)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_path"]


def bundled_path(filename: str) -> Path:
    """A file of ``resources/``, from an installed wheel (``viewer.resources``) or from a checkout.

    The path may not exist; the caller's read then says which file is missing.
    """
    try:
        from importlib.resources import files

        candidate = Path(str(files("viewer.resources") / filename))
        if candidate.exists():
            return candidate
    except ModuleNotFoundError:  # a checkout: resources/ sits beside viewer/, not inside it
        pass
    return Path(__file__).resolve().parents[2] / "resources" / filename
