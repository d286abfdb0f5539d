"""Which files a list of dropped or named paths stands for: one reading for the GUI's drop and the CLI.

A folder stands for the image files directly inside it (by suffix, sorted by name; not its sub-folders, as a
drop of a folder of folders should not silently open thousands of images); a file stands for itself, whatever
its suffix, so that a wrongly named or broken file is reported by the image loader rather than skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "ExpandedPaths", "expand_image_paths", "is_image_path", "is_video_path"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm")
# What a drop or the CLI takes for a video (by suffix, any case): played live, or its frames classified.
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".ogv")


def is_image_path(path: str | os.PathLike[str]) -> bool:
    """True when the file name ends in a known image suffix (any case)."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def is_video_path(path: str | os.PathLike[str]) -> bool:
    """True when the file name ends in a known video suffix (any case)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass
class ExpandedPaths:
    """The files to open, in order, and one sentence for each folder that gave none."""

    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def expand_image_paths(paths: Iterable[str | os.PathLike[str]]) -> ExpandedPaths:
    """Folders expanded to the image files inside them (sorted), files kept as they are.

    Args:
        paths: what was dropped, pasted or named on the command line.

    Returns:
        The files in the order given (a folder's images at its place) and, for a folder that cannot be read or
        holds no image file, one readable sentence.
    """
    result = ExpandedPaths()
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            result.files.append(path)
            continue
        try:
            found = sorted(p for p in path.iterdir() if p.is_file() and is_image_path(p))
        except OSError as error:  # an unreadable folder is one refusal, not a failed batch
            reason = "permission denied" if isinstance(error, PermissionError) else (error.strerror or str(error))
            result.errors.append(f"{path.name}: the folder cannot be read ({reason}).")
            continue
        if not found:
            result.errors.append(f"{path.name}: the folder holds no image files.")
        result.files.extend(found)
    return result
