"""Shared fixtures: the real test data beside the project, offscreen Qt, isolated settings and caches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the project's root: real photos, MNIST, CIFAR-10 and ImageNet weights."""
    if not (SHARED_DATA / "README.md").exists():
        pytest.fail(f"the shared test data is missing: expected it at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_torch_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or fill the user's real weights cache, or reach the network for weights."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path_factory.getbasetemp() / "torch_home"))
    monkeypatch.setenv("VIEWER_WEIGHTS_URL_BASE", "http://127.0.0.1:9/")  # port 9 (discard): fails at once


# After the whole suite has run and reported, the interpreter's final garbage collection aborts with
# "Fatal Python error: none_dealloc: deallocating None" (a reference-count error in a C extension: None is
# not immortal before Python 3.12; seen with PySide6 6.12 + torch 2.14 on 3.11 after ~400 GUI and engine
# tests, never inside a test). Every result is already written by then, so the test process ends without
# that final teardown and keeps pytest's own exit status.
_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    import sys

    status = config.stash.get(_EXIT_STATUS, None)
    if status is not None and "PySide6" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
