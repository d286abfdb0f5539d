"""``viewer engine --listen HOST:PORT --token-file FILE``: serve the engine to remote windows (a GPU server).

Reach it through an SSH tunnel (``ssh -L 7341:127.0.0.1:7341 gpu-host``): it listens on 127.0.0.1 unless told
otherwise, and every connection must prove it knows the token before anything else. A token file that does not
exist yet is made (random, readable by its owner only) so that it can be copied to the window's machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import stat
from pathlib import Path

from viewer.core.errors import ViewerError

__all__ = ["DEFAULT_PORT", "add_parser", "parse_listen", "read_token", "run"]

DEFAULT_PORT = 7341


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    engine = subparsers.add_parser("engine", help="serve the engine to remote windows (token-checked TCP)")
    engine.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=f"127.0.0.1:{DEFAULT_PORT}",
        help=f"address to listen on (default 127.0.0.1:{DEFAULT_PORT}; a bare PORT means 127.0.0.1; 0: any free port)",
    )
    engine.add_argument("--token-file", metavar="FILE", required=True, type=Path,
                        help="the shared secret (made, random, if the file does not exist)")  # fmt: skip
    engine.add_argument("--jobs", default="viewer.engine.jobs:JOBS", help=argparse.SUPPRESS)  # tests' own table
    engine.set_defaults(run=run)


def parse_listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise ViewerError(f"--listen {text}: give HOST:PORT or PORT, for example 127.0.0.1:{DEFAULT_PORT}.") from None
    if not 0 <= number < 65536:
        raise ViewerError(f"--listen {text}: the port must be between 0 and 65535.")
    return host.strip("[]") or "127.0.0.1", number


def read_token(path: Path) -> bytes:
    """The token in ``path`` (whitespace stripped); a new random one is written there if the file is missing."""
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
        print(f"viewer engine: wrote a new token to {path}; copy it to the window's machine", flush=True)
    try:
        token = path.read_bytes().strip()
    except OSError as error:
        raise ViewerError(f"{path}: cannot read the token ({error.strerror}).") from None
    if len(token) < 16:
        raise ViewerError(f"{path}: the token is shorter than 16 characters; use a long random one.")
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        print(f"viewer engine: warning: {path} is readable by other users (chmod 600 it)", flush=True)
    return token


def run(args: argparse.Namespace) -> int:
    host, port = parse_listen(args.listen)
    token = read_token(args.token_file)
    logging.basicConfig(level=logging.INFO, format="viewer engine: %(message)s")
    from viewer.engine.server.serve import TcpServer

    server = TcpServer(host, port, token, args.jobs)

    def ready(bound_host: str, bound_port: int) -> None:
        print(f"viewer engine: listening on {bound_host}:{bound_port}", flush=True)

    try:
        server.serve_forever(ready)
    except KeyboardInterrupt:
        server.stop()
    return 0
