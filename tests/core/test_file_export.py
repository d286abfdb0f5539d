"""Export files written all or nothing, even across a SIGKILL, and named after what they show (core.file_export)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from viewer.core.errors import ExportError
from viewer.core.file_export import (
    TEMPORARY_PREFIX,
    atomic_write,
    check_targets,
    heatmap_paths,
    recover_folder,
    stem_from,
    write_group,
)

ROOT = Path(__file__).resolve().parents[2]

PROVENANCE = {"image": "/photos/tv_dog1.jpg", "model": "resnet50", "class_name": "golden retriever"}


def test_bundle_names_from_a_folder_or_a_named_file(tmp_path: Path) -> None:
    assert stem_from(PROVENANCE, "heatmap") == "tv_dog1_resnet50_golden_retriever"
    assert stem_from({}, "heatmap") == "heatmap"
    in_folder = heatmap_paths(tmp_path, PROVENANCE)
    assert [p.name for p in in_folder] == [f"tv_dog1_resnet50_golden_retriever{s}" for s in (".png", ".npy", ".json")]
    named = heatmap_paths(tmp_path / "map.json", PROVENANCE)  # a known suffix is dropped
    assert [p.name for p in named] == ["map.png", "map.npy", "map.json"]
    dotted = heatmap_paths(tmp_path / "dog.jpg_resnet50", PROVENANCE)  # other dots stay
    assert dotted[0].name == "dog.jpg_resnet50.png"


def test_atomic_write_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    assert atomic_write(target, lambda handle: handle.write(b"one")) == target
    with pytest.raises(ExportError, match="already exists"):
        atomic_write(target, lambda handle: handle.write(b"two"))
    assert target.read_bytes() == b"one"
    atomic_write(target, lambda handle: handle.write(b"two"), force=True)
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary file left


def test_a_group_is_written_all_or_nothing(tmp_path: Path) -> None:
    def broken(handle) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(ExportError, match="No space left"):
        write_group([(tmp_path / "x.png", lambda h: h.write(b"png")), (tmp_path / "x.npy", broken)], force=False)
    assert list(tmp_path.iterdir()) == []


def test_missing_folders_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        check_targets([tmp_path / "no" / "x.png", None])
    (tmp_path / "x.png").write_bytes(b"")
    with pytest.raises(ExportError, match="already exists"):
        check_targets([tmp_path / "x.png"])
    check_targets([tmp_path / "x.png"], force=True)


def test_an_empty_file_or_a_folder_in_the_way_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="nothing to write"):
        atomic_write(tmp_path / "chart.png", lambda handle: None)
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(ExportError, match="a folder of that name exists"):
        atomic_write(tmp_path / "taken.png", lambda handle: handle.write(b"png"), force=True)
    (tmp_path / "file.txt").write_text("a file, not a folder")
    with pytest.raises(ExportError, match="is a file, not a folder"):  # read-only even for root
        atomic_write(tmp_path / "file.txt" / "out.png", lambda handle: handle.write(b"png"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "taken.png"]


# --- a set across a SIGKILL -----------------------------------------------------------------------

MEMBERS = ("map.png", "map.npy", "map.json")

# The child writes the set and, at the step named in argv[2], says so and waits on stdin: the test kills it
# there, so every point of the write is reached deterministically (no sleeps).
WRITER = """
import sys
from pathlib import Path
from viewer.core import file_export

def checkpoint(step):
    if step == sys.argv[2]:
        print(step, flush=True)
        sys.stdin.read()

file_export.checkpoint = checkpoint
folder = Path(sys.argv[1])
members = [(folder / name, lambda handle, name=name: handle.write(b"new " + name.encode())) for name in sys.argv[4:]]
file_export.write_group(members, force=sys.argv[3] == "force")
print("done", flush=True)
"""


def _killed_at(folder: Path, step: str, *, force: bool) -> None:
    """Run WRITER until ``step``, then SIGKILL it."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder), step, "force" if force else "keep", *MEMBERS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    assert child.stdout is not None
    said = child.stdout.readline().strip()
    child.kill()  # SIGKILL: no finally, no atexit
    _, errors = child.communicate()
    assert said == step, errors


def _contents(folder: Path) -> set[bytes]:
    return {(folder / name).read_bytes()[:4] for name in MEMBERS if (folder / name).exists()}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMPORARY_PREFIX))


STEPS = ["wrote 1", "wrote 2", "written", "committed", "renamed 1", "renamed 2", "renamed 3"]


@pytest.mark.parametrize("step", STEPS)
def test_a_set_killed_at_any_step_is_then_the_whole_old_set_or_the_whole_new_one(tmp_path: Path, step: str) -> None:
    for name in MEMBERS:
        (tmp_path / name).write_bytes(b"old " + name.encode())
    _killed_at(tmp_path, step, force=True)
    assert _contents(tmp_path) <= {b"old ", b"new "}  # never a truncated file under a final name
    assert _leftovers(tmp_path)  # the kill left temporaries (and a journal) behind
    if STEPS.index(step) < STEPS.index("committed"):
        assert _contents(tmp_path) == {b"old "}  # nothing published before the commit
    # The next export into the folder (of anything) first finishes or removes the interrupted set.
    atomic_write(tmp_path / "other.csv", lambda handle: handle.write(b"a,b\n"))
    expected = b"old " if STEPS.index(step) < STEPS.index("committed") else b"new "
    assert _contents(tmp_path) == {expected} and len(list(tmp_path.glob("map.*"))) == 3
    assert _leftovers(tmp_path) == []


def test_a_new_set_killed_between_its_renames_appears_whole_after_recovery(tmp_path: Path) -> None:
    _killed_at(tmp_path, "renamed 1", force=False)
    assert recover_folder(tmp_path) == [tmp_path / "map.npy", tmp_path / "map.json"]
    assert _contents(tmp_path) == {b"new "} and _leftovers(tmp_path) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    _killed_at(empty, "written", force=False)
    assert recover_folder(empty) == [] and list(empty.iterdir()) == []  # not committed: none of it


def test_a_running_writers_set_is_left_alone_by_another_recovery(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "written", "keep", *MEMBERS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "written"
    leftovers = _leftovers(tmp_path)
    assert recover_folder(tmp_path) == [] and _leftovers(tmp_path) == leftovers  # its journal is locked
    child.stdin.close()  # let it go on: it publishes its set
    assert child.stdout.readline().strip() == "done" and child.wait() == 0
    assert _contents(tmp_path) == {b"new "} and _leftovers(tmp_path) == []


def test_a_long_non_ascii_name_that_the_system_allows_is_written(tmp_path) -> None:
    from viewer.core.file_export import atomic_write

    target = tmp_path / ("犬" * 80 + ".png")  # 244 bytes: a valid name, whose temporary must not be longer
    atomic_write(target, lambda handle: handle.write(b"\x89PNG"))
    assert target.read_bytes() == b"\x89PNG" and [p.name for p in tmp_path.iterdir()] == [target.name]
