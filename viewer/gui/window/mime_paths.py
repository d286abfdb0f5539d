"""What a drop or the clipboard carries, as local file paths (one reading for drag-and-drop and paste)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui

__all__ = ["carries_files", "local_paths", "pasted_paths", "real_path", "save_pasted_image"]


def local_paths(mime: QtCore.QMimeData) -> list[str]:
    """The local files among the mime data's URLs (what a file manager sends when dragging)."""
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []


def carries_files(mime: QtCore.QMimeData) -> bool:
    return bool(local_paths(mime))


def pasted_paths(mime: QtCore.QMimeData) -> list[str]:
    """Paths on the clipboard: file URLs, or lines of text naming existing files (``file://`` allowed)."""
    paths = local_paths(mime)
    if not paths and mime.hasText():
        candidates = [line.strip().strip('"') for line in mime.text().splitlines() if line.strip()]
        paths = [c[7:] if c.startswith("file://") else c for c in candidates]
        paths = [p for p in paths if Path(p).exists()]
    return paths


def save_pasted_image(mime: QtCore.QMimeData, folder: Path) -> Path | None:
    """Image data on the clipboard saved as the next ``pasted-N.png`` in ``folder`` (None if there is none)."""
    if not mime.hasImage():
        return None
    image = QtGui.QImage(mime.imageData())
    if image.isNull():
        return None
    target = folder / f"pasted-{len(list(folder.iterdir())) + 1}.png"
    image.save(str(target))  # PNG, from the suffix
    return target


def real_path(path: str) -> Path:
    """``path`` with its symbolic links resolved, or made absolute where they cannot be: a link that loops
    (``ln -s a.png a.png``) made pathlib raise RuntimeError (Python < 3.13), which lost the whole drop, its good
    photos too; the file itself is then refused by the image loader with one sentence."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return Path(path).absolute()
