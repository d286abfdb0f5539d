"""``viewer gui`` (the default): open the desktop app, optionally on images, a model, a tab or a screenshot."""

from __future__ import annotations

import argparse

from viewer.commands.common import (
    add_model_options,
)

__all__ = ["TABS", "add_parser", "run"]

# The window's tabs in order (viewer.gui.window.main_window.TABS, which imports Qt: a test checks they agree).
TABS = ("predictions", "activations", "architecture", "heatmap", "compare", "explain")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gui = subparsers.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("images", nargs="*", metavar="IMAGE")
    add_model_options(gui, default_model=None)
    gui.add_argument("--tab", choices=TABS)
    gui.add_argument("--layer", help="layer to show in the Activations tab (a name from `viewer summary`)")
    gui.add_argument("--class", dest="class_", metavar="CLASS", help="class for the Heatmap tab (index or name)")
    gui.add_argument(
        "--expand",
        metavar="BLOCKS",
        help="blocks to open in the Architecture diagram: names (inception3a,layer1.0), a depth or all",
    )
    gui.add_argument("--direction", choices=("TB", "LR"), type=str.upper,
                     help="where the data flows in the Architecture diagram: TB top to bottom, LR left to right "
                          "(default: as last chosen in the window)")  # fmt: skip
    gui.add_argument("--screenshot", metavar="FILE.png", help="wait for every job, save the window, exit")
    gui.add_argument(
        "--size",
        metavar="WxH",
        type=_window_size,
        help="window size in pixels, e.g. 1366x768 (screenshots, tests); default: fits the screen",
    )
    gui.add_argument(
        "--engine",
        metavar="local|HOST:PORT|thread",
        help="where jobs run: local (an engine process started here, the default), a remote `viewer engine --listen "
        "HOST:PORT` (a GPU server through an SSH tunnel), or thread (in this process, for debugging) "
        "(default: $VIEWER_ENGINE, else the engine set in File › Engine…, else local)",
    )
    gui.add_argument(
        "--token-file", metavar="FILE", help="the remote engine's token (default: $VIEWER_ENGINE_TOKEN_FILE)"
    )
    gui.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.recipe:
        from viewer.core.network.recipe import check_recipe_text

        # Read now, so that a typo is one sentence and exit status 2 rather than a window with a failed model
        # (whether the network has the enum named is known only once it is loaded: then the window says so).
        check_recipe_text(args.recipe)
    if args.engine is not None:
        from viewer.gui.jobs.engine_choice import parse_engine

        parse_engine(args.engine)  # a typo is one sentence and exit status 2, before a window opens
    from viewer.gui.window.launch import run_gui

    return run_gui(
        list(args.images),
        model=args.model,
        weights=None if args.weights == "default" else args.weights,
        model_file=args.model_file,
        device=args.device,
        recipe=args.recipe,
        tab=args.tab,
        layer=args.layer,
        class_=args.class_,
        expand=args.expand,
        direction=args.direction,
        screenshot=args.screenshot,
        window_size=args.size,
        engine=args.engine,
        token_file=args.token_file,
    )


def _window_size(text: str) -> tuple[int, int]:
    """``--size 1366x768`` → (1366, 768)."""
    width, sep, height = text.lower().partition("x")
    if not (sep and width.strip().isdigit() and height.strip().isdigit()) or min(int(width), int(height)) < 100:
        raise argparse.ArgumentTypeError(f"{text!r}: give the size as WIDTHxHEIGHT in pixels, e.g. 1366x768")
    return int(width), int(height)
