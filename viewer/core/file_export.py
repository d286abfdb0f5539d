"""Export files written all or nothing, and named after what they show (plain Python: no numpy, torch or Qt).

``write_group`` writes a set of files that belong together (a heatmap's PNG, NPY and JSON) so that the set
appears whole or not at all, even when the process is killed at any point; ``atomic_write`` is a set of one.
Every exporter of the app (engine, GUI, CLI) goes through here. How a set is written, in each target folder:

1. ``.viewer-export-<id>.journal`` is created and locked (``flock``: the lock goes with the process, so a
   killed writer's lock is free and a live writer's set is never touched by another process);
2. each member is written, flushed and synced as ``.viewer-export-<id>.<n>.<name>.part``;
3. the journal is filled with the set's names (the commit: from here the set rolls forward);
4. each temporary is renamed to its final name; then the temporaries left and the journal are deleted.

POSIX cannot rename several names at once, so a kill during step 4 leaves some members renamed: before it
writes anything, every export first recovers the folders it writes into (``recover_folder``): a committed
journal rolls forward (the remaining renames), temporaries of an unlocked set without one are removed. So
leftovers are recognisable by their prefix and go with the next export into that folder.

Every refusal is an ``ExportError`` with one sentence a user can act on. ``heatmap_paths`` names a bundle's
files before it is written, so that a GUI can ask once before overwriting any of them.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from viewer.core.errors import ExportError

__all__ = [
    "TEMPORARY_PREFIX",
    "Writer",
    "atomic_write",
    "base_of",
    "bundle_paths",
    "check_target",
    "check_targets",
    "heatmap_paths",
    "recover_folder",
    "stem_from",
    "with_suffix",
    "write_group",
]

Writer = Callable[[BinaryIO], object]  # what it returns (a byte count, None) is ignored

TEMPORARY_PREFIX = ".viewer-export-"  # every temporary and journal of a set starts so (hidden on Unix)
_JOURNAL = ".journal"
_SET_ID = re.compile(r"[0-9a-f]{12}")

# For tests only: called with the name of each step of a set's write ("wrote 1", …, "written", "committed",
# "renamed 1", …, "published"), so that a test can kill the writing process at a chosen point without timing.
checkpoint: Callable[[str], None] | None = None


def atomic_write(path: str | os.PathLike[str], writer: Writer, *, force: bool = False) -> Path:
    """Write ``path`` through ``writer(binary_handle)``; all or nothing.

    Raises:
        ExportError: the file exists (and ``force`` is false), its folder is missing or unwritable, the disk is
            full, or ``writer`` wrote nothing.
    """
    return write_group([(Path(path), writer)], force=force)[0]


def write_group(items: Sequence[tuple[str | os.PathLike[str], Writer]], *, force: bool) -> list[Path]:
    """Write several files as one set: all of them appear, or none (see the module's docstring).

    Without ``force`` no existing file is replaced (not even one that appears meanwhile: a hard link, which
    fails if the name exists, publishes each member). Returns the final paths, in the order given.

    Raises:
        ExportError: one sentence, as ``atomic_write``; nothing of the new set is left behind.
    """
    targets = [Path(os.path.expanduser(path)) for path, _ in items]
    folders = list(dict.fromkeys(target.parent for target in targets))
    for folder in folders:
        recover_folder(folder)
    for target in targets:
        check_target(target, force)
    current = targets[0]
    journals: list[_Journal] = []
    temporaries: list[Path] = []
    published: list[Path] = []
    committed = False
    try:
        set_id, journals = _open_journals(folders)
        for number, (current, (_, writer)) in enumerate(zip(targets, items, strict=True)):
            temporaries.append(_write_temporary(current, _temporary_name(set_id, number, current), writer))
            _step(f"wrote {number + 1}")
        _step("written")
        for folder in folders:
            _fsync_folder(folder)
        for journal in journals:
            journal.commit(temporaries, targets, force)
        committed = True
        _step("committed")
        for number, (temporary, current) in enumerate(zip(temporaries, targets, strict=True), 1):
            _publish(temporary, current, force)
            published.append(current)
            _step(f"renamed {number}")
    except OSError as error:  # disk full, permissions, a folder removed meanwhile
        if committed and not force:  # only files this call created; with force the old ones are already gone
            for path in published:
                path.unlink(missing_ok=True)
        if isinstance(error, FileExistsError):
            raise ExportError(_exists_sentence(current)) from None
        raise ExportError(_os_error_sentence(error, current)) from None
    finally:
        for temporary in temporaries:  # after a hard link the temporary is a second name of the file
            temporary.unlink(missing_ok=True)
        for folder in folders:
            _fsync_folder(folder)
        for journal in journals:
            journal.remove()
    _step("published")
    return targets


def check_targets(paths: Sequence[str | os.PathLike[str] | None], *, force: bool = False) -> None:
    """Raise the ``ExportError`` that writing ``paths`` (None skipped) would raise, before any work.

    For callers that write several files with separate calls (the CLI): all are checked first, so that
    one refusal does not leave the others written, and a long computation is not wasted.
    """
    for path in paths:
        if path is not None:
            check_target(Path(os.path.expanduser(path)), force)


def check_target(target: Path, force: bool) -> None:
    """Raise the ``ExportError`` that writing ``target`` would raise: a missing folder, a file where the folder
    should be, a folder of the target's name, an existing file (without ``force``), an unwritable folder."""
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


def recover_folder(folder: str | os.PathLike[str]) -> list[Path]:
    """Finish or remove what interrupted exports left in ``folder``; returns the files a roll-forward completed.

    A set whose journal was committed is published (its remaining renames); the temporaries of a set that was
    not are deleted. A set whose writer is still running (its journal locked) is left alone. Best effort: a
    folder that cannot be read or changed is left as it is (the export itself then says why it cannot write).
    """
    base = Path(os.path.expanduser(folder))
    completed: list[Path] = []
    try:
        names = [name for name in os.listdir(base) if name.startswith(TEMPORARY_PREFIX)]
    except OSError:
        return completed
    for set_id in sorted({name[len(TEMPORARY_PREFIX) :].split(".", 1)[0] for name in names}):
        if not _SET_ID.fullmatch(set_id):
            continue
        try:
            completed.extend(_recover_set(base, set_id, [n for n in names if _is_of_set(n, set_id)]))
        except OSError:
            continue
    return completed


# --- the steps of a set -------------------------------------------------------------------------------


class _Journal:
    """One target folder's journal of a set: created and locked before any temporary, filled at the commit,
    deleted last. While its writer lives the lock keeps ``recover_folder`` (of any process) away from the set."""

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path = path
        self._descriptor: int | None = descriptor

    @classmethod
    def create(cls, path: Path) -> _Journal | None:
        """The locked, empty journal; None when a concurrent recovery took it between creation and lock."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            if os.stat(path).st_ino == os.fstat(descriptor).st_ino:
                return cls(path, descriptor)
        except FileNotFoundError:
            pass  # a recovery saw it unlocked (not yet filled) and removed it: start again with another id
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)
        return None

    def commit(self, temporaries: Sequence[Path], targets: Sequence[Path], force: bool) -> None:
        """Name the set (written once, synced): from now on a recovery rolls it forward."""
        files = [
            {"folder": os.path.relpath(target.parent, self.path.parent), "temporary": temp.name, "final": target.name}
            for temp, target in zip(temporaries, targets, strict=True)
        ]
        data = memoryview((json.dumps({"version": 1, "force": force, "files": files}) + "\n").encode("utf-8"))
        assert self._descriptor is not None
        while data:
            data = data[os.write(self._descriptor, data) :]
        os.fsync(self._descriptor)

    def remove(self) -> None:
        """Delete the journal, then let its lock go (the other way round a recovery could take it meanwhile)."""
        if self._descriptor is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass  # an unlocked, committed journal only rolls forward what already is published
        finally:
            os.close(self._descriptor)
            self._descriptor = None


def _open_journals(folders: Sequence[Path]) -> tuple[str, list[_Journal]]:
    """A fresh set id and its locked journal in each folder."""
    for _attempt in range(8):
        set_id = secrets.token_hex(6)
        journals: list[_Journal] = []
        try:
            for folder in folders:
                journal = _Journal.create(folder / f"{TEMPORARY_PREFIX}{set_id}{_JOURNAL}")
                if journal is None:
                    break
                journals.append(journal)
            else:
                return set_id, journals
        except BaseException:
            for journal in journals:
                journal.remove()
            raise
        for journal in journals:
            journal.remove()
    raise OSError(errno.EAGAIN, "another program keeps removing the export's journal")


def _temporary_name(set_id: str, number: int, target: Path) -> str:
    return f"{TEMPORARY_PREFIX}{set_id}.{number}.part"  # no target name: a long (or non-ASCII) one would overflow


def _is_of_set(name: str, set_id: str) -> bool:
    return name.startswith(f"{TEMPORARY_PREFIX}{set_id}.")


def _step(name: str) -> None:
    if checkpoint is not None:
        checkpoint(name)


def _write_temporary(target: Path, name: str, writer: Writer) -> Path:
    """``writer``'s bytes as ``name`` beside ``target``, synced; an empty result is refused."""
    temporary = target.parent / name
    # 0o666 minus the umask: an export gets the usual permissions (mkstemp would make it 0600).
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
            empty = handle.tell() == 0
        if empty:  # a picture never drawn, a table of nothing: better no file than a 0-byte one
            raise ExportError(f"Cannot write {target.name}: there is nothing to write (it would be an empty file).")
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


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


def _recover_set(folder: Path, set_id: str, names: Sequence[str]) -> list[Path]:
    """Roll a dead writer's committed set forward, or delete its uncommitted temporaries."""
    journal = folder / f"{TEMPORARY_PREFIX}{set_id}{_JOURNAL}"
    try:
        descriptor = os.open(journal, os.O_RDWR)
    except FileNotFoundError:  # its writer makes the journal first and deletes it last: it is gone
        for name in names:
            (folder / name).unlink(missing_ok=True)
        return []
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []  # its writer is running
        if os.stat(journal).st_ino != os.fstat(descriptor).st_ino:
            return []  # another recovery finished it meanwhile
        record = _read_record(descriptor)
        completed = [] if record is None else _roll_forward(folder, record)
        for name in names:
            if name != journal.name:
                (folder / name).unlink(missing_ok=True)
        journal.unlink(missing_ok=True)
        return completed
    finally:
        os.close(descriptor)


def _read_record(descriptor: int) -> dict[str, Any] | None:
    """The committed journal's record, or None (empty: the writer died before its commit)."""
    data = b""
    while chunk := os.pread(descriptor, 1 << 16, len(data)):
        data += chunk
    try:
        record = json.loads(data)
    except ValueError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("files"), list) else None


def _roll_forward(folder: Path, record: Mapping[str, Any]) -> list[Path]:
    force = bool(record.get("force"))
    completed: list[Path] = []
    for member in record["files"]:
        temporary_name, final_name = str(member.get("temporary", "")), str(member.get("final", ""))
        if not temporary_name.startswith(TEMPORARY_PREFIX) or os.sep in temporary_name + final_name or not final_name:
            continue  # not a journal this module wrote
        where = folder / str(member.get("folder", "."))
        temporary, final = where / temporary_name, where / final_name
        if not temporary.exists():
            continue  # renamed before the kill
        if force or not final.exists():
            _publish(temporary, final, force)
            completed.append(final)
        temporary.unlink(missing_ok=True)  # after a link; or a file not of this set took the name: it stays
    return completed


def _fsync_folder(folder: Path) -> None:
    """Make the renames themselves durable; not every platform or filesystem can open a folder."""
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


def _exists_sentence(target: Path) -> str:
    return f"{target} already exists; choose another name or allow overwriting (--force)."


def _os_error_sentence(error: OSError, target: Path) -> str:
    reason = error.strerror or str(error)
    if isinstance(error, PermissionError):
        reason = "permission denied"
    elif isinstance(error, IsADirectoryError):
        reason = "a folder of that name exists"
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


def bundle_paths(base: str | os.PathLike[str], suffixes: Sequence[str]) -> list[Path]:
    """The files of a set exported to ``base``: its stem (one of ``suffixes`` dropped) with each suffix. The one
    place that names them, so that the question "replace these files?" names the files that are written."""
    path = Path(base)
    stem = path.with_suffix("") if path.suffix.lower() in suffixes else path
    return [stem.with_name(stem.name + suffix) for suffix in suffixes]
