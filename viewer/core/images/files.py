"""Image files read into memory by the side that has them: what the engine decodes, never a path.

The engine may run on another machine (issue 21), so the window reads the files a drop, a paste or File › Open
names (folders expanded as :func:`~viewer.core.images.paths.expand_image_paths` does) and sends their bytes as
:class:`ImageFile`; the engine's ``decode_image`` decodes them from memory. The CLI reads its paths with the same
:func:`read_image_file`, so that a file is refused with the same sentence wherever it is opened.

A file is checked before it is opened, so that what would hang or flood a reader is refused with one sentence: a
FIFO or ``/dev/zero`` (size 0: "the file is empty") is never opened, and a file over :data:`MAX_FILE_BYTES` is
never read whole.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from viewer.core.errors import ImageError
from viewer.core.images.paths import expand_image_paths

__all__ = ["MAX_FILE_BYTES", "ImageFile", "ReadFiles", "read_image_file", "read_image_files"]

# A file larger than this is refused before it is read (it would be held in the window, sent, then decoded).
# Above any photo or scan the pixel limit lets through in a compressed format; an uncompressed 8-bit RGB image
# at that limit (120 MP) is 360 MB, so only 16-bit or float TIFFs that large are refused here first.
MAX_FILE_BYTES = 400_000_000


@dataclass(frozen=True)
class ImageFile:
    """One image file's bytes, and how the window names it.

    ``path`` is the window's own path: shown, and how an image opened again is recognised. The engine never
    opens it (it may be another machine's path); ``name`` is its last part, for sentences about the file.
    """

    name: str
    path: str
    data: bytes = field(repr=False)  # the file's whole content (megabytes: kept out of reprs and tracebacks)


@dataclass
class ReadFiles:
    """The files read, in order, and one sentence for each folder or file that gave none."""

    files: list[ImageFile] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_image_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> ImageFile:
    """Read ``path`` whole, or raise ``ImageError`` with one sentence naming the file.

    Refused: a folder, a missing file (or a link that leads nowhere), one the user may not read, an empty one (as
    a FIFO or a device reads: never opened), one that is not a regular file, one larger than ``max_bytes``.
    """
    path = Path(path)
    name = path.name or str(path)
    if path.is_dir():
        raise ImageError(f"{name}: is a folder, not an image file.")
    if not path.exists():  # also a symlink loop or a dangling link
        raise ImageError(f"{name}: no such file.")
    if not os.access(path, os.R_OK):
        raise ImageError(f"{name}: permission denied.")
    try:
        size = path.stat().st_size
        if size == 0:  # a FIFO or a device reports 0: opening one could block, or read forever
            raise ImageError(f"{name}: the file is empty.")
        _refuse_large(name, size, max_bytes)
        # O_NONBLOCK: a FIFO put in the file's place since the checks above must not block the open.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise ImageError(f"{name}: not a regular file.")
            data = file.read(max_bytes + 1)  # one byte more tells a file that grew past the limit
    except ImageError:
        raise
    except PermissionError:
        raise ImageError(f"{name}: permission denied.") from None
    except FileNotFoundError:  # removed between the checks and the read
        raise ImageError(f"{name}: no such file.") from None
    except OSError as error:
        raise ImageError(f"{name}: cannot be read ({error.strerror or error}).") from None
    if not data:
        raise ImageError(f"{name}: the file is empty.")
    _refuse_large(name, len(data), max_bytes)
    return ImageFile(name, str(path), data)


def _refuse_large(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ImageError(f"{name}: refused, the file is {size / 1e6:.0f} MB, over the {max_bytes / 1e6:.0f} MB limit.")


def read_image_files(paths: Iterable[str | os.PathLike[str]], *, max_bytes: int = MAX_FILE_BYTES) -> ReadFiles:
    """Read what was dropped, pasted or named: folders expanded to their image files (sorted), each file read.

    Returns:
        The files in the order given (a folder's images at its place) and one sentence per folder that cannot be
        read or holds no image file (first), then per file that cannot be read, in order.
    """
    expanded = expand_image_paths(paths)
    result = ReadFiles(errors=list(expanded.errors))
    for path in expanded.files:
        try:
            result.files.append(read_image_file(path, max_bytes=max_bytes))
        except ImageError as error:
            result.errors.append(str(error))
    return result
