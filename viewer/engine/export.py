"""Writing results to disk atomically: PNG, NPY, JSON, CSV and text, shared by the CLI and the GUI.

Every file goes through ``viewer.core.file_export``: written as a recognisable temporary file in its own
folder, synced, then renamed, so that a crash or an error midway never leaves a half-written file under the
target's name, and without ``force`` an existing file is never replaced. Files written together (a heatmap's
PNG, NPY and JSON) are one set: a journal makes them appear together or not at all, even across a SIGKILL
(the next export into the folder finishes or removes what a killed one left).

Colouring (``colorize``, ``overlay``) lives in ``viewer.core.colormap.images`` and is re-exported here.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from viewer.core.colormap.images import colorize, overlay
from viewer.core.colormap.ranges import score_range
from viewer.core.errors import ExportError
from viewer.core.file_export import (  # atomic_write, check_targets, heatmap_paths, write_group: re-exported
    atomic_write,
    base_of,
    check_targets,
    heatmap_paths,
    with_suffix,
    write_group,
)

__all__ = [
    "atomic_write",
    "check_targets",
    "colorize",
    "heatmap_paths",
    "json_bytes",
    "overlay",
    "write_activation",
    "write_group",
    "write_heatmap",
    "write_json",
    "write_npy",
    "write_png",
    "write_summary",
    "write_text",
]

TEXT_SUFFIXES = ("", ".txt", ".text", ".md", ".log")


# --- single files -----------------------------------------------------------------------------------


def write_png(path: str | os.PathLike[str], image: np.ndarray, force: bool = False) -> Path:
    """An 8-bit image (H, W), (H, W, 3) or (H, W, 4) as a PNG."""
    picture = _as_image(image)
    return atomic_write(path, lambda handle: picture.save(handle, format="PNG"), force=force)


def write_npy(path: str | os.PathLike[str], array: np.ndarray, force: bool = False) -> Path:
    """An array as ``.npy`` (no pickles: readable with ``np.load(..., allow_pickle=False)``)."""
    data = np.asarray(array)
    return atomic_write(path, lambda handle: np.save(handle, data, allow_pickle=False), force=force)


def write_json(path: str | os.PathLike[str], obj: object, force: bool = False) -> Path:
    """Plain data as indented JSON; numpy values become numbers and lists, NaN becomes null."""
    payload = json_bytes(obj)
    return atomic_write(path, lambda handle: handle.write(payload), force=force)


def write_text(path: str | os.PathLike[str], text: str, force: bool = False) -> Path:
    payload = text.encode("utf-8")
    return atomic_write(path, lambda handle: handle.write(payload), force=force)


def write_summary(
    path: str | os.PathLike[str],
    summary: Mapping[str, object],
    rows: Sequence[Mapping[str, object]] | Sequence[Sequence[object]],
    text: str,
    force: bool = False,
) -> Path:
    """A model summary in the format its suffix names: ``.json`` (``summary``), ``.csv`` (``rows``),
    ``.txt``/``.md``/none (``text``).

    ``rows`` are mappings (keys become the header, in first-seen order) or sequences whose first item is
    the header.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return write_json(path, summary, force=force)
    if suffix == ".csv":
        return write_text(path, _csv_text(rows), force=force)
    if suffix in TEXT_SUFFIXES:
        return write_text(path, text if text.endswith("\n") else text + "\n", force=force)
    raise ExportError(f"{Path(path).name}: unknown summary format {suffix!r}; use .json, .csv or .txt.")


def _csv_text(rows: Sequence[Mapping[str, object]] | Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    mappings = [row for row in rows if isinstance(row, Mapping)]
    if rows and len(mappings) == len(rows):
        header = list(dict.fromkeys(key for row in mappings for key in row))
        writer.writerow(header)
        writer.writerows([_csv_cell(row.get(key)) for key in header] for row in mappings)
    else:
        writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def _csv_cell(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)  # shapes: (1, 64, 56, 56) -> 1x64x56x56
    if value is None:
        return ""
    return _plain(value)


def json_bytes(obj: object) -> bytes:
    """Plain data as the indented UTF-8 JSON ``write_json`` writes (for a member of a set of files)."""
    try:
        return (json.dumps(_plain(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    except (TypeError, ValueError) as error:
        raise ExportError(f"Cannot write JSON: {error}.") from None


def _plain(value: object) -> object:
    """JSON-ready data: numpy scalars and arrays, paths, tuples and non-finite floats converted."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _as_image(array: np.ndarray) -> Image.Image:
    data = np.asarray(array)
    if data.dtype != np.uint8:
        raise ExportError(f"Cannot write a PNG from {data.dtype} data; expected 8-bit (uint8) pixels.")
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[:, :, 0]
    if not (data.ndim == 2 or (data.ndim == 3 and data.shape[2] in (3, 4))):
        raise ExportError(f"Cannot write a PNG from an array of shape {data.shape}; expected HxW, HxWx3 or HxWx4.")
    return Image.fromarray(np.ascontiguousarray(data))


# --- groups of files --------------------------------------------------------------------------------


def write_heatmap(
    base: str | os.PathLike[str],
    image_rgb: np.ndarray,
    scores: np.ndarray,
    provenance: Mapping[str, object],
    *,
    alpha: float = 0.5,
    colormap: str = "jet",
    vmin: float | None = None,
    vmax: float | None = None,
    force: bool = False,
    npy_path: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """A class heatmap as ``<stem>.png`` (overlay), ``<stem>.npy`` (float32 scores) and ``<stem>.json``.

    ``base`` is a folder (the stem is made from the provenance's image, model and class) or a path
    whose suffix, if .png/.npy/.json, is dropped; ``npy_path`` puts the scores elsewhere. Nothing is
    written unless all three can be.
    """
    png, npy, meta = heatmap_paths(base, provenance)
    if npy_path is not None:
        npy = Path(os.path.expanduser(npy_path))
    raw = np.asarray(scores, dtype=np.float32)
    low, high = score_range(raw, vmin, vmax)
    picture = _as_image(overlay(image_rgb, raw, alpha=alpha, colormap=colormap, vmin=low, vmax=high))
    record = {
        **provenance,
        "colormap": colormap,
        "alpha": alpha,
        "vmin": low,
        "vmax": high,
        "scores_shape": list(raw.shape),
        "image_shape": list(np.asarray(image_rgb).shape[:2]),
        "files": {"overlay": png.name, "scores": npy.name, "metadata": meta.name},
    }
    payload = json_bytes(record)
    return write_group(
        [
            (png, lambda handle: picture.save(handle, format="PNG")),
            (npy, lambda handle: np.save(handle, raw, allow_pickle=False)),
            (meta, lambda handle: handle.write(payload)),
        ],
        force=force,
    )


def write_activation(
    base: str | os.PathLike[str],
    grid_rgb: np.ndarray,
    array: np.ndarray,
    force: bool = False,
    provenance: Mapping[str, object] | None = None,
) -> list[Path]:
    """A layer's activations as ``<stem>.png`` (the channel grid as shown) and ``<stem>.npy`` (raw values)."""
    stem = base_of(base, provenance or {}, "activation")
    png, npy = with_suffix(stem, ".png"), with_suffix(stem, ".npy")
    picture = _as_image(grid_rgb)
    data = np.asarray(array)
    return write_group(
        [
            (png, lambda handle: picture.save(handle, format="PNG")),
            (npy, lambda handle: np.save(handle, data, allow_pickle=False)),
        ],
        force=force,
    )
