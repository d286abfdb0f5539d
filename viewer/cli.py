"""Command line: ``viewer [gui] | classify | models | summary | graph | activations | atlas | deconv | dream |
heatmap | explain | compare | bench | engine``.

Each subcommand (a module of ``viewer.commands``) parses its arguments, makes one engine call and prints or
exports the result; there is no logic here of its own. A ``ViewerError`` (bad input) prints its one sentence on
stderr and exits 2; any other exception is a bug: one line on stderr naming the log file that holds the
traceback, exit 1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from viewer import __version__
from viewer.commands import (
    activations,
    atlas,
    bench,
    classify,
    compare,
    deconv,
    dream,
    engine,
    explain,
    graph,
    gui,
    heatmap,
    models,
    summary,
)
from viewer.commands.common import EXIT_BAD_INPUT, EXIT_BUG

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS: tuple[ModuleType, ...] = (
    gui,
    classify,
    models,
    summary,
    graph,
    activations,
    atlas,
    dream,
    heatmap,
    explain,
    deconv,
    compare,
    bench,
    engine,
)
"""The subcommands, in ``--help`` order: each module's ``add_parser(subparsers)`` registers one."""
LOG_PATH = Path(tempfile.gettempdir()) / "convnet-viewer.log"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="viewer", description="Look inside image-classification networks.")
    parser.add_argument("--version", action="version", version=f"convnet-viewer {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:  # argparse exposes its subcommands only through the action
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not arguments or arguments[0] not in (*_command_names(parser), "-h", "--help", "--version"):
        arguments = ["gui", *arguments]  # `viewer` and `viewer IMAGE...` open the app
    args = parser.parse_args(arguments)
    run: Callable[[argparse.Namespace], int | None] = args.run
    from viewer.core.errors import ViewerError

    try:
        return int(run(args) or 0)
    except ViewerError as error:
        print(f"viewer: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("viewer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `viewer models | head`: the reader left, which is not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a bug: keep the user's terminal clean, keep the traceback in the log
        with open(LOG_PATH, "a", encoding="utf-8") as log:
            traceback.print_exc(file=log)
        print(f"viewer: internal error ({type(error).__name__}: {error}); details in {LOG_PATH}", file=sys.stderr)
        return EXIT_BUG
