"""``viewer atlas``: each channel's strongest image patches over a folder (Zeiler & Fergus's top-9 grids).

One pass over the folder (recursively) keeps, per channel of each ``--layer``, the ``--top`` images where the
channel peaks highest; ``--out`` gets a grid PNG per channel (best first, row by row), a contact sheet of the
layer (each channel's best patch) and a copy of the index (JSON + NPY). The index itself is kept in the user's
cache (``--index-dir``), shared with the app: a second run with the same network, weights, preprocessing, layers,
N and files reads it instead of computing, whatever its ``--out``, and a run stopped midway (Ctrl-C) is resumed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from viewer.commands.common import Failures, add_model_options, load_model_from, print_written, progress_line

if TYPE_CHECKING:
    from viewer.core.progress import Progress

__all__ = ["add_parser", "grid_path", "run", "sheet_path"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    atlas = subparsers.add_parser("atlas", help="each channel's strongest image patches over a folder")
    atlas.add_argument("folder", metavar="FOLDER", help="images, found recursively")
    add_model_options(atlas)
    atlas.add_argument(
        "--layer", action="append", required=True, help="a layer name from `viewer summary` (repeat for several)"
    )
    atlas.add_argument("--top", type=int, default=9, metavar="N", help="images kept per channel (default 9: 3x3)")
    atlas.add_argument("--out", required=True, metavar="DIR", help="grids, contact sheets and the index go here")
    atlas.add_argument("--workers", type=int, metavar="K", help="decoding processes (default: the cores but one)")
    atlas.add_argument("--batch-size", type=int, default=64, metavar="B", help="images per forward pass (64)")
    atlas.add_argument("--tile", type=int, default=96, metavar="PX", help="a patch's side in the grids and sheets (96)")
    atlas.add_argument(
        "--index-dir", metavar="DIR", help="where indexes are kept (default: the user's cache, shared with the app)"
    )
    atlas.add_argument("--force", action="store_true", help="overwrite existing grids, sheets and index copies")
    atlas.set_defaults(run=run)


def grid_path(out: Path, layer: str, channel: int) -> Path:
    """Where channel ``channel``'s grid of ``layer`` is written."""
    return out / f"{layer}_channel{channel:04d}.png"


def sheet_path(out: Path, layer: str) -> Path:
    """Where ``layer``'s contact sheet is written."""
    return out / f"{layer}_contact_sheet.png"


def run(args: argparse.Namespace) -> int:
    from viewer.core.errors import ModelError
    from viewer.core.out_paths import prepare_out
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.atlas import crops
    from viewer.engine.atlas.job import atlas_pass, layer_geometry
    from viewer.engine.atlas.store import default_index_dir, index_paths
    from viewer.engine.summary import summarize

    if args.top < 1 or args.tile < 8 or args.batch_size < 1:
        raise ModelError("--top and --batch-size must be at least 1, --tile at least 8.")
    out = Path(prepare_out(os.path.join(args.out, "")) or args.out)  # DIR is a folder, made now
    layers = list(dict.fromkeys(args.layer))
    index_dir = Path(args.index_dir).expanduser() if args.index_dir else default_index_dir()
    loaded = load_model_from(args)
    summary = summarize(loaded)
    channels = {layer: layer_geometry(summary, layer)[0] for layer in layers}  # a typo is refused before the pass
    targets = [grid_path(out, layer, c) for layer in layers for c in range(channels[layer])]
    targets += [sheet_path(out, layer) for layer in layers]
    export.check_targets(targets, force=args.force)  # refuse before the pass, not after it

    job = atlas_pass(
        loaded,
        args.folder,
        layers,
        top=args.top,
        batch_size=args.batch_size,
        workers=args.workers,
        index_dir=index_dir,
        exclude=[out],
    )
    try:
        atlas = run_job(job, _progress(sys.stderr.isatty()))
    except KeyboardInterrupt:
        job.close()  # the pass saves what it did (if it was not saving already)
        print("\nviewer: the index keeps what was done; the same command resumes it", file=sys.stderr)
        raise
    finally:
        job.close()
    if not atlas.from_index:
        sys.stderr.write("\n" if sys.stderr.isatty() else "")

    written = []
    cache = crops.ImageCache()
    for layer in layers:
        for channel in range(channels[layer]):
            grid = crops.channel_grid(atlas, layer, channel, tile=args.tile, cache=cache)
            written.append(export.write_png(grid_path(out, layer, channel), grid, force=args.force))
        written.append(
            export.write_png(
                sheet_path(out, layer), crops.contact_sheet(atlas, layer, tile=args.tile, cache=cache), force=args.force
            )
        )
    kept = index_paths(index_dir, atlas.key, len(layers))
    if not atlas.index_path:
        print(
            f"viewer: warning: the index could not be saved in {index_dir}; the next run computes it again",
            file=sys.stderr,
        )
    elif index_dir.resolve() != out.resolve():  # a copy beside the pictures: what they were made from
        members = [(out / path.name, _copy_of(path)) for path in kept]
        written += export.write_group(members, force=args.force)
    else:
        written += kept
    print_written(written)

    failures = Failures()
    for unreadable in atlas.unreadable:
        failures.report(unreadable.reason)
    how = "read from its index" if atlas.from_index else f"{atlas.seconds:.1f} s"
    print(
        f"{atlas.folder}: {atlas.indexed:,} of {atlas.files:,} images indexed"
        f"{f', {len(atlas.unreadable)} unreadable' if atlas.unreadable else ''} ({how}); "
        f"{loaded.name}, {loaded.weights_label}; top {atlas.top} per channel"
    )
    for layer in layers:
        found = atlas.layers[layer]
        best = max(range(found.channels), key=lambda c: float(found.values[c, 0]))
        print(
            f"{layer}: {found.channels} channel(s), map {found.map_shape[0]}x{found.map_shape[1]}; "
            f"strongest: channel {best} ({float(found.values[best, 0]):.4g}); grids {grid_path(out, layer, 0).name} …"
        )
    return failures.exit_status


def _copy_of(path: Path) -> Callable[[BinaryIO], object]:
    data = path.read_bytes()
    return lambda handle: handle.write(data)


def _progress(tty: bool) -> Callable[[Progress], None]:
    """A progress printer: one overwritten line on a terminal, else a line every tenth of the pass (a log)."""
    if tty:
        return progress_line
    printed = [-1]

    def every_tenth(step: Progress) -> None:
        tenth = int(10 * step.fraction)
        if step.step and tenth > printed[0]:
            printed[0] = tenth
            print(step.message, file=sys.stderr)

    return every_tenth
