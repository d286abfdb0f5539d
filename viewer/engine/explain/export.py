"""Exporting an explanation exactly like a heatmap: a PNG overlay, the float32 map as NPY and JSON provenance,
written together (atomically) or not at all. The file stem names the method, so that the five maps of one
image and class can share a folder."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from viewer.core.results.explain import Explanation
from viewer.engine.export import heatmap_paths, write_heatmap

__all__ = ["explanation_paths", "write_explanation"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def _base(base: str | os.PathLike[str], result: Explanation) -> Path:
    path = Path(os.path.expanduser(base))
    if path.is_dir():
        stem = "_".join((Path(result.image_path).stem, result.model, result.class_name, result.method))
        return path / (_UNSAFE.sub("_", stem).strip("._")[:120] or result.method)
    return path


def explanation_paths(base: str | os.PathLike[str], result: Explanation) -> list[Path]:
    """The PNG, NPY and JSON paths :func:`write_explanation` writes for ``base`` (a folder or a path)."""
    return heatmap_paths(_base(base, result), {})


def write_explanation(
    base: str | os.PathLike[str],
    image_rgb: np.ndarray,
    result: Explanation,
    *,
    alpha: float = 0.5,
    colormap: str = "turbo",
    vmin: float | None = None,
    vmax: float | None = None,
    force: bool = False,
    npy_path: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """``<stem>.png`` (the map over the image), ``<stem>.npy`` (float32 map) and ``<stem>.json`` (provenance)."""
    provenance: dict[str, Any] = result.provenance()
    return write_heatmap(
        _base(base, result),
        image_rgb,
        result.scores,
        provenance,
        alpha=alpha,
        colormap=colormap,
        vmin=vmin,
        vmax=vmax,
        force=force,
        npy_path=npy_path,
    )
