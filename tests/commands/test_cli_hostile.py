"""The hostile corpus through ``viewer classify`` in real subprocesses.

Bad inputs: exit status 2, exactly one line per bad input on stderr beginning "viewer: " and naming the
file, no traceback, and the good images of the same call still classified. Weights files that would run
code when unpickled are refused and their code never runs. Every call is bounded by a timeout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hostile_corpus import make_image_corpus, make_weights_corpus

CALL_TIMEOUT_S = 240  # catches hangs only (torch's import alone takes seconds on a shared CPU)


def _viewer(*args: str) -> list[str]:
    return [sys.executable, "-m", "viewer", *args]


def _assert_clean(stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr and "Warning" not in stderr, stderr


def test_hostile_images_in_one_call(tmp_path: Path, shared_data: Path) -> None:
    cases = [case for case in make_image_corpus(tmp_path / "corpus", shared_data) if case.stage == "open"]
    done = subprocess.run(
        _viewer(
            "classify",
            *(str(c.path) for c in cases),
            "--model",
            "squeezenet1_1",
            "--weights",
            "none",
            "--device",
            "cpu",
            "--json",
        ),
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT_S,
    )
    _assert_clean(done.stderr)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    bad = [c for c in cases if not c.ok]
    assert len(lines) == len(bad), done.stderr
    # A folder is read as a drop reads it (its sentence may come before the files'): match lines by name.
    by_name = {line.split(": ")[1]: line for line in lines}
    assert sorted(by_name) == sorted(case.name for case in bad), done.stderr
    for case in bad:
        assert case.phrase in by_name[case.name], by_name[case.name]
    predictions = json.loads(done.stdout)
    good = [c for c in cases if c.ok]
    assert [p["image"] for p in predictions] == [str(c.path) for c in good]
    assert all(len(p["topk"]) == 5 for p in predictions)


def test_an_image_refused_at_classification(tmp_path: Path, shared_data: Path) -> None:
    # Opens (a valid PNG) but cannot be preprocessed: refused with its sentence instead of gigabytes.
    cases = [case for case in make_image_corpus(tmp_path / "corpus", shared_data) if case.stage == "classify"]
    assert cases
    for case in cases:
        done = subprocess.run(
            _viewer("classify", str(case.path), "--model", "squeezenet1_1", "--weights", "none", "--device", "cpu"),
            capture_output=True,
            text=True,
            timeout=CALL_TIMEOUT_S,
        )
        _assert_clean(done.stderr)
        assert done.returncode == 2 and done.stdout == ""
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"viewer: {case.name}: ") and case.phrase in lines[0], lines


# Runs ``viewer.cli.main`` once per weights file in one process (a torch import per file would cost seconds
# each); "@@" lines on stderr separate the calls and carry each call's exit status.
_EACH_WEIGHTS = """
import sys
from viewer.cli import main
for weights in sys.argv[2:]:
    status = main(["classify", sys.argv[1], "--model", "lenet5", "--weights", weights, "--device", "cpu"])
    sys.stdout.flush()
    print("@@", status, file=sys.stderr, flush=True)
"""


def test_hostile_weights_files(tmp_path: Path, shared_data: Path) -> None:
    cases, sentinel = make_weights_corpus(tmp_path / "weights")
    digit = str(shared_data / "mnist" / "mnist_7.png")
    # The code-running pickle through the real entry point: its own process, exit status 2.
    evil = cases[0]
    assert evil.name == "evil.pth"
    done = subprocess.run(
        _viewer("classify", digit, "--model", "lenet5", "--weights", str(evil.path), "--device", "cpu"),
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT_S,
    )
    _assert_clean(done.stderr)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [done.stderr.strip()] and done.stderr.startswith("viewer: evil.pth: refused")
    assert not sentinel.exists(), "a weights file's pickled code ran"
    # Every bad file, then random-init weights (the failures were the files', the digit still classifies).
    done = subprocess.run(
        [sys.executable, "-c", _EACH_WEIGHTS, digit, *(str(c.path) for c in cases), "none"],
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT_S,
    )
    _assert_clean(done.stderr)
    assert done.returncode == 0
    calls: list[tuple[list[str], int]] = []  # (stderr lines, exit status) per call
    lines: list[str] = []
    for line in done.stderr.splitlines():
        if line.startswith("@@ "):
            calls.append((lines, int(line[3:])))
            lines = []
        else:
            lines.append(line)
    assert lines == [] and len(calls) == len(cases) + 1
    for case, (lines, status) in zip(cases, calls[:-1], strict=True):  # the last call is the good one
        assert status == 2, case.name
        assert len(lines) == 1 and lines[0].startswith(f"viewer: {case.name}") and case.phrase in lines[0], lines
    assert calls[-1] == ([], 0)  # the good call: nothing on stderr
    assert done.stdout.startswith("mnist_7.png: lenet5") and done.stdout.count("(p=") == 5
    assert not sentinel.exists(), "a weights file's pickled code ran"
