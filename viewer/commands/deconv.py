"""``viewer deconv``: what one unit of a layer saw in an image, by deconvolution and guided backpropagation.

A unit is one cell of one channel's map (``--layer``, ``--channel``, ``--row``/``--col``; without them the cell
where the channel is strongest on this image). Zeiler & Fergus's deconvolution and Springenberg et al.'s guided
backpropagation (Captum's neuron methods) project its activation back to the pixels. ``--out DIR`` gets one set,
written together or not at all: ``deconv.png`` and ``guided.png`` over the whole image (signed gradients around
mid-grey, or ``--picture magnitude`` as a heat map), ``deconv_field.png`` and ``guided_field.png`` cut from them to
the unit's receptive field, and ``unit.json`` (the unit, its field, the notes, the provenance).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.commands.common import add_model_options, load_model_from, print_written, progress_line
from viewer.core.results.unit import UNIT_FILE_STEMS, UNIT_METHODS

if TYPE_CHECKING:
    import numpy as np

    from viewer.core.file_export import Writer
    from viewer.core.results.unit import UnitAttribution

__all__ = ["JSON_NAME", "add_parser", "out_paths", "run"]

JSON_NAME = "unit.json"
PICTURES = ("rgb", "magnitude")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deconv = subparsers.add_parser(
        "deconv",
        help="deconvolution and guided backpropagation of one unit (layer, channel, cell) back to the image",
        description="What one unit saw: its activation projected back to the image's pixels (Zeiler & Fergus's "
        "deconvolution, guided backpropagation), whole and cut to the unit's receptive field.",
    )
    deconv.add_argument("image", metavar="IMAGE")
    add_model_options(deconv)
    deconv.add_argument("--layer", required=True, help="a layer name from `viewer summary`")
    deconv.add_argument("--channel", type=int, required=True, help="the channel of the layer (from 0)")
    deconv.add_argument("--row", type=int, help="the cell's row in the channel's map (default: its strongest cell)")
    deconv.add_argument("--col", type=int, help="the cell's column (give both --row and --col, or neither)")
    deconv.add_argument("--out", required=True, metavar="DIR", help="deconv.png, guided.png, their field crops, JSON")
    deconv.add_argument(
        "--picture", choices=PICTURES, default="rgb", help="rgb: signed gradients around grey; magnitude: a heat map"
    )
    deconv.add_argument("--colormap", default="inferno", help="the heat map's colours (--picture magnitude)")
    deconv.add_argument("--json", action="store_true", help="print the unit, its field and the provenance as JSON")
    deconv.add_argument("--force", action="store_true", help="overwrite existing files")
    deconv.set_defaults(run=run)


def out_paths(out: Path) -> list[Path]:
    """The files written into ``out``: each method's picture and field crop, then the JSON."""
    pictures = [out / f"{UNIT_FILE_STEMS[method]}{suffix}.png" for method in UNIT_METHODS for suffix in ("", "_field")]
    return [*pictures, out / JSON_NAME]


def run(args: argparse.Namespace) -> int:
    from viewer.core.colormap.tables import lookup_table
    from viewer.core.errors import ModelError
    from viewer.core.out_paths import prepare_out
    from viewer.core.progress import run_job
    from viewer.engine import export
    from viewer.engine.explain.unit import unit_attribution
    from viewer.engine.images import load_image

    if (args.row is None) != (args.col is None):
        raise ModelError("Give both --row and --col, or neither (the channel's strongest cell).")
    if args.picture == "magnitude":
        lookup_table(args.colormap)  # an unknown colormap is refused before any work
    out = Path(prepare_out(os.path.join(args.out, "")) or args.out)  # DIR is a folder, made now
    targets = out_paths(out)
    export.check_targets(targets, force=args.force)  # refuse before any work, write all or none
    loaded = load_model_from(args)
    image = load_image(args.image)
    job = unit_attribution(loaded, image, args.layer, args.channel, args.row, args.col)
    result = run_job(job, progress_line if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        sys.stderr.write("\n")

    writers: list[tuple[str | os.PathLike[str], Writer]] = []
    for method in UNIT_METHODS:
        whole, field = _pictures(result, method, args.picture, args.colormap)
        writers += [(out / f"{UNIT_FILE_STEMS[method]}.png", _png(whole))]
        writers += [(out / f"{UNIT_FILE_STEMS[method]}_field.png", _png(field))]
    payload = export.json_bytes(result.provenance())
    writers.append((out / JSON_NAME, lambda handle: handle.write(payload)))
    print_written(export.write_group(writers, force=args.force))
    if args.json:
        print(json.dumps(result.provenance(), indent=2, ensure_ascii=False))
    else:
        _print_summary(result, image.name)
    return 0


def _pictures(result: UnitAttribution, method: str, picture: str, colormap: str) -> tuple[np.ndarray, np.ndarray]:
    """(whole, field crop) of one method in the image's pixels, as 8-bit RGB."""
    from viewer.engine.export import colorize

    if picture == "rgb":
        return result.maps[method].image_rgb, result.crop(method, "image_rgb")
    whole = colorize(result.maps[method].image_magnitude, colormap, vmin=0.0, vmax=1.0)
    return whole, colorize(result.crop(method, "image_magnitude"), colormap, vmin=0.0, vmax=1.0)


def _png(pixels: np.ndarray) -> Writer:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    data = buffer.getvalue()
    return lambda handle: handle.write(data)


def _print_summary(result: UnitAttribution, image_name: str) -> None:
    unit = result.unit
    where = "its strongest cell" if result.default_cell else "the cell given"
    height, width = result.channel_map.shape
    print(
        f"{image_name}: {result.model}, {result.weights}; {unit.layer} channel {unit.channel}, cell ({unit.row}, "
        f"{unit.col}) of {height}x{width} ({where}): activation {result.activation:.4g}"
    )
    x0, y0, x1, y1 = result.input_box
    ix0, iy0, ix1, iy1 = result.image_box
    size = "the whole input" if result.receptive_field is None else "x".join(map(str, result.receptive_field.size))
    print(
        f"field {size}: x {x0:g}–{x1:g}, y {y0:g}–{y1:g} of the {result.input_size[0]}x{result.input_size[1]} "
        f"input; x {ix0:.0f}–{ix1:.0f}, y {iy0:.0f}–{iy1:.0f} of the image"
    )
    for item in result.maps.values():
        print(f"{item.label}: peak |gradient| {item.peak:.4g}{'' if item.peak else ' (zero everywhere)'}")
    for note in result.notes:
        print(f"note: {note}")
