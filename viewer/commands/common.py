"""What several subcommands share: the model options, loading a model with a download bar, printing paths, and
the exit status of a call in which some inputs failed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.core.defaults import DEFAULT_MODEL

if TYPE_CHECKING:
    from viewer.core.progress import Progress
    from viewer.engine.models.weights import LoadedModel

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BUG",
    "RECIPE_HELP",
    "Failures",
    "TextProgress",
    "add_model_options",
    "class_index_option",
    "load_model_from",
    "parse_input",
    "print_written",
    "progress_line",
    "warn_unfit",
]

EXIT_BAD_INPUT = 2
EXIT_BUG = 1
RECIPE_HELP = (
    "the preprocessing the weights were trained with: a weights enum name of the network (IMAGENET1K_V1: its "
    "transforms()) or resize=256,crop=224,interpolation=bilinear,mean=0.485:0.456:0.406,std=0.229:0.224:0.225 "
    "(keys left out keep the default); default: the weights' own, or what a file says (torchvision's sha256 or "
    "a saved 'recipe'), else the network's default"
)


class Failures:
    """The inputs of one call that failed while the others went on (an image that is not one, a network whose
    weights do not load): each is one ``viewer: `` sentence on stderr as it happens, and the call then exits 2,
    as a call refused as a whole does, so that a script sees that not everything it asked for was done."""

    def __init__(self) -> None:
        self.count = 0

    def report(self, error: object) -> None:
        """Print ``error`` (a :class:`ViewerError` or its sentence) on stderr and count it."""
        print(f"viewer: {error}", file=sys.stderr)
        self.count += 1

    @property
    def exit_status(self) -> int:
        """0 when every input was processed, :data:`EXIT_BAD_INPUT` when any failed."""
        return EXIT_BAD_INPUT if self.count else 0


def add_model_options(parser: argparse.ArgumentParser, *, default_model: str | None = DEFAULT_MODEL) -> None:
    parser.add_argument("--model", default=default_model, help="network name (`viewer models` lists them)")
    parser.add_argument(
        "--weights",
        default="default",
        help="default | none (random init) | a torchvision enum such as IMAGENET1K_V2 | a state_dict FILE",
    )
    parser.add_argument("--recipe", metavar="ENUM|KEY=VALUE,...", help=RECIPE_HELP)
    parser.add_argument(
        "--model-file", metavar="FILE.py:FUNCTION", help="a custom architecture: a function returning an nn.Module"
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (auto: cuda > mps > cpu)")


def class_index_option(choice: str, categories: Sequence[str], model_name: str) -> int | None:
    """``--class`` (a name, an index, or "top"/empty for the image's top class, None) as a class index."""
    from viewer.core.class_search import find_class
    from viewer.core.errors import ModelError

    if choice in ("", "top"):
        return None
    try:
        return find_class(categories, choice, model_name)
    except ModelError as error:
        raise ModelError(f"--class: {error}") from None


def load_model_from(args: argparse.Namespace):
    from viewer.engine.models.weights import load_model

    progress = TextProgress() if sys.stderr.isatty() else None
    loaded = load_model(
        args.model,
        args.weights,
        model_file=args.model_file,
        device=args.device,
        progress=progress,
        recipe=args.recipe,
    )
    return loaded


class TextProgress:
    """A one-line text progress bar on stderr for weight downloads."""

    def __call__(self, done: int, total: int) -> bool:
        if total:
            filled = int(30 * done / total)
            sys.stderr.write(
                f"\rdownloading [{'#' * filled}{'.' * (30 - filled)}] {done / 2**20:6.1f}/{total / 2**20:.1f} MB"
            )
        else:
            sys.stderr.write(f"\rdownloading {done / 2**20:6.1f} MB")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
        return True


def parse_input(text: str | None) -> tuple[int, int, int] | None:
    from viewer.core.errors import ModelError

    if not text:
        return None
    try:
        channels, height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ModelError(f"--input {text}: expected CxHxW, e.g. 3x224x224.") from None
    return channels, height, width


def print_written(paths: Sequence[Path]) -> None:
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)


def warn_unfit(loaded: LoadedModel, preset: str, tta: bool) -> None:
    """A warning line on stderr for each preset that does not fit these weights (nothing is refused)."""
    from viewer.core.network.preset_fit import unfit_reasons

    for reason in unfit_reasons(
        preset,
        tta,
        model=loaded.name,
        weights=loaded.weights,
        pretrained=loaded.pretrained,
        categories=loaded.categories,
        mean=loaded.input.mean,
        std=loaded.input.std,
    ):
        print(f"viewer: warning: {reason}", file=sys.stderr)


def progress_line(step: Progress) -> None:
    """One overwritten stderr line per step of a long engine job."""
    sys.stderr.write(f"\r{step.message[:70]:<70} {100 * step.fraction:3.0f}%")
    sys.stderr.flush()
