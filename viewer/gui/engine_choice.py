"""Which runner the window's jobs go to: ``viewer gui --engine thread|local|HOST:PORT [--token-file FILE]``.

- ``thread`` (the default for now): :class:`~viewer.gui.jobs.JobRunner`, the engine in a worker thread of this
  process;
- ``local``: :class:`~viewer.gui.engine_runner.EngineJobRunner` over an engine process started here;
- ``HOST:PORT``: an :class:`~viewer.gui.engine_runner.EngineJobRunner` over a remote ``viewer engine --listen``,
  which needs the token it was given (``--token-file``).

The environment variables ``VIEWER_ENGINE`` and ``VIEWER_ENGINE_TOKEN_FILE`` give the same choice where no option
does (an :class:`~viewer.gui.state.AppState` made without a runner, as the tests make it), so that the test suite
can be run against the engine process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from viewer.core.errors import ViewerError

if TYPE_CHECKING:
    from viewer.gui.engine_runner import EngineJobRunner
    from viewer.gui.jobs import JobRunner
    from viewer.gui.tickets import JobError

__all__ = ["ENGINE_ENV", "TOKEN_FILE_ENV", "engine_died", "engine_from_environment", "make_runner", "parse_engine"]

ENGINE_ENV = "VIEWER_ENGINE"
TOKEN_FILE_ENV = "VIEWER_ENGINE_TOKEN_FILE"


def parse_engine(text: str) -> str | tuple[str, int]:
    """``"thread"``, ``"local"``, or the (host, port) of ``HOST:PORT``; a ``ViewerError`` that says what to give."""
    value = text.strip()
    if value.lower() in ("thread", "local", ""):
        return value.lower() or "thread"
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ViewerError(f"--engine {text}: give thread, local or HOST:PORT (a `viewer engine --listen` address).")
    return host.strip("[]"), int(port)


def engine_from_environment() -> tuple[str, str | None]:
    """The engine and token file that ``VIEWER_ENGINE`` and ``VIEWER_ENGINE_TOKEN_FILE`` name ("thread", None unset)."""
    return os.environ.get(ENGINE_ENV, "") or "thread", os.environ.get(TOKEN_FILE_ENV) or None


def engine_died(error: JobError) -> bool:
    """True when a job failed because the engine process ended under it (the runner says so once itself)."""
    # Looked up in sys.modules: with the in-thread runner the client module is never imported, and no job dies so.
    client = sys.modules.get("viewer.gui.client.engine_client")
    return client is not None and isinstance(error.error, client.EngineStopped)


def _read_token(path: str | None, where: str) -> bytes:
    if not path:
        raise ViewerError(f"the engine at {where} needs its token: give --token-file FILE (or {TOKEN_FILE_ENV}).")
    try:
        token = Path(path).read_bytes().strip()
    except OSError as error:
        raise ViewerError(f"{path}: cannot read the engine's token ({error.strerror}).") from None
    if not token:
        raise ViewerError(f"{path}: the token file is empty.")
    return token


def make_runner(
    engine: str | None = None, token_file: str | None = None, parent: QObject | None = None
) -> JobRunner | EngineJobRunner:
    """The runner for ``engine`` (None: the environment's choice, or ``thread``); see the module docstring."""
    if engine is None:
        engine, env_token = engine_from_environment()
        token_file = token_file or env_token
    choice = parse_engine(engine)
    if choice == "thread":
        from viewer.gui.jobs import JobRunner

        return JobRunner(parent)
    from viewer.gui.client import EngineClient
    from viewer.gui.engine_runner import EngineJobRunner

    if choice == "local":
        return EngineJobRunner(parent)
    assert isinstance(choice, tuple)
    host, port = choice
    token = _read_token(token_file, f"{host}:{port}")
    return EngineJobRunner(parent, client=EngineClient(address=(host, port), token=token))
