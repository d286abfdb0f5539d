"""Export files written all or nothing, and named after what they show (plain Python: no numpy, torch or Qt).

``atomic_write`` writes one file through a temporary file and a rename; ``write_group`` writes several that
belong together (a heatmap's PNG, NPY and JSON) so that none appears unless all can. Every refusal is an
``ExportError`` with one sentence a user can act on. ``heatmap_paths`` names a bundle's files before it is
written, so that a GUI can ask once before overwriting any of them. The engine's writers and the GUI's
diagram export both go through here.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from viewer.core.errors import ExportError

__all__ = [
    "Writer",
    "atomic_write",
    "base_of",
    "check_target",
    "check_targets",
    "heatmap_paths",
    "stem_from",
    "with_suffix",
    "write_group",
]

Writer = Callable[[BinaryIO], object]  # what it returns (a byte count, None) is ignored


def atomic_write(path: str | os.PathLike[str], writer: Writer, *, force: bool = False) -> Path:
    """Write ``path`` through ``writer(binary_handle)``; all or nothing.

    Raises:
        ExportError: the file exists (and ``force`` is false), or its folder is missing or unwritable.
    """
    return write_group([(Path(path), writer)], force=force)[0]


def write_group(items: Sequence[tuple[Path, Writer]], *, force: bool) -> list[Path]:
    """Write several files together: every temporary file first, then every rename."""
    targets = [Path(os.path.expanduser(path)) for path, _ in items]
    for target in targets:
        check_target(target, force)
    temporaries: list[Path] = []
    published: list[Path] = []
    current = targets[0]
    try:
        for current, (_, writer) in zip(targets, items, strict=True):
            temporaries.append(_write_temporary(current, writer))
        for temporary, current in zip(temporaries, targets, strict=True):
            _publish(temporary, current, force)
            published.append(current)
    except OSError as error:  # disk full, permissions, a folder removed meanwhile
        if not force:  # only files this call created; with force the old ones are already gone
            for path in published:
                path.unlink(missing_ok=True)
        if isinstance(error, FileExistsError):
            raise ExportError(_exists_sentence(current)) from None
        raise ExportError(_os_error_sentence(error, current)) from None
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
    for folder in {target.parent for target in targets}:
        _fsync_folder(folder)
    return targets


def check_targets(paths: Sequence[str | os.PathLike[str] | None], *, force: bool = False) -> None:
    """Raise the ``ExportError`` that writing ``paths`` (None skipped) would raise, before any work.

    For callers that write several files with separate calls (the CLI): all are checked first, so that
    one refusal does not leave the others written, and a long computation is not wasted.
    """
    for path in paths:
        if path is not None:
            check_target(Path(os.path.expanduser(path)), force)


def _publish(temporary: Path, target: Path, force: bool) -> None:
    """Give the finished temporary file its name; without ``force`` never replace a file that
    appeared since the check (a hard link fails if the name exists, where a rename would not)."""
    if force:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links (FAT, some network shares): check, then rename
        if target.exists():
            raise FileExistsError(target) from None
        os.replace(temporary, target)


def _exists_sentence(target: Path) -> str:
    return f"{target} already exists; choose another name or allow overwriting (--force)."


def check_target(target: Path, force: bool) -> None:
    folder = target.parent
    if not folder.exists():
        raise ExportError(f"Cannot write {target.name}: the folder {folder} does not exist.")
    if not folder.is_dir():
        raise ExportError(f"Cannot write {target.name}: {folder} is a file, not a folder.")
    if target.is_dir():
        raise ExportError(f"Cannot write {target}: a folder of that name exists.")
    if target.exists() and not force:
        raise ExportError(_exists_sentence(target))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"Cannot write {target.name}: the folder {folder} is not writable (permission denied).")


def _write_temporary(target: Path, writer: Writer) -> Path:
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temporary = Path(name)
    try:
        # mkstemp creates the file 0600; an export should get the usual permissions (0666 minus umask).
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(descriptor, 0o666 & ~umask)
        with os.fdopen(descriptor, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform or filesystem can open a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _os_error_sentence(error: OSError, target: Path) -> str:
    reason = error.strerror or str(error)
    if isinstance(error, PermissionError):
        reason = "permission denied"
    return f"Cannot write {target.name} in {target.parent}: {reason}."


# --- names of a bundle's files ------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def stem_from(provenance: Mapping[str, Any], default: str) -> str:
    """A file stem from what a result is about: image, model, class (whichever are known)."""
    parts = []
    image = provenance.get("image")
    if image:
        parts.append(Path(str(image)).stem)
    for key in ("model", "class_name", "category", "class", "layer"):
        if provenance.get(key) not in (None, ""):
            parts.append(str(provenance[key]))
            if key in ("class_name", "category", "class"):
                break
    stem = _UNSAFE.sub("_", "_".join(parts) or default).strip("._") or default
    return stem[:120]


def base_of(base: str | os.PathLike[str], provenance: Mapping[str, Any], default: str) -> Path:
    path = Path(os.path.expanduser(base))
    if path.is_dir():
        return path / stem_from(provenance, default)
    if path.suffix.lower() in (".png", ".npy", ".json"):
        return path.with_suffix("")
    return path


def with_suffix(base: Path, suffix: str) -> Path:
    # Not Path.with_suffix: a stem such as "dog.jpg_resnet50" must keep its dots.
    return base.parent / (base.name + suffix)


def heatmap_paths(base: str | os.PathLike[str], provenance: Mapping[str, Any]) -> list[Path]:
    """The PNG, NPY and JSON paths ``write_heatmap`` would write (for a GUI that asks before overwriting)."""
    stem = base_of(base, provenance, "heatmap")
    return [with_suffix(stem, suffix) for suffix in (".png", ".npy", ".json")]
