"""Which runner the window's jobs go to: ``viewer gui --engine thread|local|HOST:PORT [--token-file FILE]``.

- ``local`` (the default): the engine in a child process started here, so that this process never imports torch;
- ``HOST:PORT``: a remote ``viewer engine --listen`` (a GPU server, through an SSH tunnel), which needs the token it
  was given (``--token-file``);
- ``thread``: the same engine loop on a thread of this process, which then imports torch: for debugging engine code
  in one process, and for the GUI tests (a window's start costs no interpreter start and no torch import).

Each is a :class:`~viewer.gui.jobs.runner.JobRunner` over an :class:`~viewer.gui.client.EngineClient`; only where the
engine runs differs.

Without an option, the environment variables ``VIEWER_ENGINE`` and ``VIEWER_ENGINE_TOKEN_FILE`` give the choice,
else the settings (File › Engine…, :meth:`~gui.runtime.settings.Settings.engine`), else ``local``. The environment
comes before the settings so that the test suite (whose windows are made without a runner) can be run against any
of them, whatever the user's settings say.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from viewer.core.errors import ViewerError

if TYPE_CHECKING:
    from viewer.gui.jobs.runner import JobRunner
    from viewer.gui.jobs.tickets import JobError

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINE_ENV",
    "TOKEN_FILE_ENV",
    "configured_engine",
    "engine_died",
    "engine_in_words",
    "make_runner",
    "parse_engine",
    "validate_address",
]

ENGINE_ENV = "VIEWER_ENGINE"
DEFAULT_ENGINE = "local"
TOKEN_FILE_ENV = "VIEWER_ENGINE_TOKEN_FILE"


def parse_engine(text: str) -> str | tuple[str, int]:
    """``"thread"``, ``"local"``, or the (host, port) of ``HOST:PORT``; a ``ViewerError`` that says what to give."""
    value = text.strip()
    if value.lower() in ("thread", "local", ""):
        return value.lower() or DEFAULT_ENGINE
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ViewerError(f"--engine {text}: give thread, local or HOST:PORT (a `viewer engine --listen` address).")
    return host.strip("[]"), int(port)


def configured_engine() -> tuple[str, str | None]:
    """The engine and token file that the environment names, else the settings (see the module docstring)."""
    if os.environ.get(ENGINE_ENV):
        return os.environ[ENGINE_ENV], os.environ.get(TOKEN_FILE_ENV) or None
    from viewer.gui.runtime.settings import Settings

    return Settings().engine()


def validate_address(text: str) -> str | None:
    """None if ``text`` is a server's ``HOST:PORT``, else the sentence that says what to give (the engine dialog)."""
    try:
        choice = parse_engine(text)
    except ViewerError as error:
        return str(error).replace("--engine ", "", 1)
    return None if isinstance(choice, tuple) else f"{text}: give the server's HOST:PORT."


def engine_died(error: JobError) -> bool:
    """True when a job failed because the engine process ended under it (the runner says so once itself)."""
    from viewer.gui.client import EngineStopped

    return isinstance(error.error, EngineStopped)


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


def make_runner(engine: str | None = None, token_file: str | None = None, parent: QObject | None = None) -> JobRunner:
    """The runner for ``engine`` (None: the environment's choice, or ``local``); see the module docstring."""
    from viewer.gui.client import EngineClient
    from viewer.gui.jobs.runner import JobRunner

    if engine is None:
        engine, env_token = configured_engine()
        token_file = token_file or env_token
    choice = parse_engine(engine)
    if choice == "thread":
        return JobRunner(parent, client=EngineClient(in_thread=True))
    if choice == "local":
        return JobRunner(parent)
    assert isinstance(choice, tuple)
    host, port = choice
    token = _read_token(token_file, f"{host}:{port}")
    return JobRunner(parent, client=EngineClient(address=(host, port), token=token))


def engine_in_words(runner: JobRunner) -> str:
    """Where ``runner``'s jobs run, as the engine dialog and About say it (with what the engine said of itself)."""
    client = runner.client
    welcome = client.welcome
    about = ", ".join(f"{key} {welcome[key]}" for key in ("version", "pid") if welcome.get(key) is not None)
    if client.address is not None:
        host = welcome.get("host")
        where = f"the server at {client.address[0]}:{client.address[1]}" + (f" ({host})" if host else "")
    elif client.in_thread:
        where = "a thread of this process (--engine thread)"
    else:
        where = "an engine process on this computer"
    return f"{where}{'; ' + about if about else ''}" if client.connected.is_set() else f"{where} (not connected)"
