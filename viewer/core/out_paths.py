"""What an ``--out`` names: a file, or a folder (plain Python).

``--out maps/`` means the folder ``maps`` even before it exists: a path that ends with a separator, or that is
an existing folder, is a folder. The commands create it, then write into it the names they make up (a heatmap's
stem from its image, model and class; ``<model>.txt`` for a summary), exactly as into a folder that was there.
"""

from __future__ import annotations

import os
from pathlib import Path

from viewer.core.errors import ExportError

__all__ = ["names_folder", "prepare_out"]


def names_folder(text: str | os.PathLike[str]) -> bool:
    """True when ``text`` ends with a path separator (``maps/``, ``maps/.``) or is an existing folder."""
    raw = os.fspath(text)
    separators = tuple(s for s in (os.sep, os.altsep) if s)
    return (
        raw.endswith(separators)
        or raw.endswith(tuple(s + "." for s in separators))
        or raw == "."
        or (Path(os.path.expanduser(raw)).is_dir())
    )


def prepare_out(text: str | None, default_name: str | None = None) -> str | None:
    """``text`` as a path to write: a folder it names is created; with ``default_name`` the file in it is returned
    (for options that write one file), else the folder itself (for bundles that name their own files).

    Raises:
        ExportError: the folder cannot be created (a file in the way, no permission), in one sentence.
    """
    if not text or not names_folder(text):
        return text
    folder = Path(os.path.expanduser(text))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ExportError(f"{text}: a file is in the way of that folder.") from None
    except OSError as error:
        raise ExportError(f"{text}: the folder cannot be created ({error.strerror or error}).") from None
    return str(folder / default_name) if default_name else str(folder)
