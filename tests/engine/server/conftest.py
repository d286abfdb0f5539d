"""Engines for the server tests: a local one per test, and a ``viewer engine --listen`` on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_jobs import TABLE as JOBS

from viewer.gui.client import EngineClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


@pytest.fixture
def local_engine() -> Iterator[EngineClient]:
    client = EngineClient(jobs=JOBS, shm_min_bytes=1024)  # small: the tests' arrays cross through shared memory
    yield client
    client.close()


@pytest.fixture(scope="module")
def tcp_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, bytes]]:
    """``viewer engine --listen 127.0.0.1:0`` in its own process: (host, port, token)."""
    token_file = tmp_path_factory.mktemp("engine") / "token"
    token_file.write_text("a-test-token-long-enough-0123456789\n")
    token_file.chmod(0o600)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE), os.environ.get("PYTHONPATH", "")])}
    command = ["-m", "viewer", "engine", "--listen", "127.0.0.1:0", "--token-file", str(token_file), "--jobs", JOBS]
    process = subprocess.Popen(
        [sys.executable, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "listening on" in line, line + (process.stderr.read() if process.stderr else "")
    host, port = line.rsplit(" ", 1)[1].strip().rsplit(":", 1)
    yield host, int(port), token_file.read_bytes().strip()
    process.kill()
    process.communicate()
