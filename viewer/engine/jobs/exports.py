"""The export jobs: Export all (top-k CSV and each image's heatmap) and the files of what a tab shows.

The engine's writers do the writing. Long ones are generators that yield ``viewer.core.progress.Progress`` and
return their :class:`~viewer.core.results.session.ExportResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from viewer.core.file_export import bundle_paths
from viewer.core.progress import Job, Progress
from viewer.core.results.session import ExportResult, ImageEntry
from viewer.engine.jobs.images import loaded_image

if TYPE_CHECKING:
    from viewer.core.results.activation import Activation
    from viewer.core.results.heatmap import ClassHeatmap
    from viewer.core.results.prediction import Prediction
    from viewer.engine.models.weights import LoadedModel

__all__ = ["export_activation", "export_all", "export_heatmap", "export_pictures", "export_prediction"]


def export_heatmap(
    heatmap: ClassHeatmap, image: ImageEntry, path: str, *, colormap: str, alpha: float, force: bool
) -> ExportResult:
    """Write the shown heatmap (PNG overlay, NPY scores, JSON provenance) through the engine's writer."""
    from viewer.engine import export

    paths = export.write_heatmap(
        path,
        image.pixels,
        heatmap.scores,
        heatmap.provenance(),
        alpha=alpha,
        colormap=colormap,
        force=force,
    )
    return ExportResult(str(Path(path).parent), [str(p) for p in paths], [])


def export_all(
    images: Sequence[ImageEntry],
    loaded: LoadedModel,
    folder: str,
    *,
    topk: int,
    preset: str,
    tta: bool,
    heatmaps: bool,
    heatmap_options: dict[str, Any] | None = None,
    force: bool = False,
) -> Job[ExportResult]:
    """Top-k of every image into one CSV, and each image's heatmap files (yields progress, returns the result)."""
    import csv
    import io

    from viewer.core.errors import ViewerError
    from viewer.engine import export
    from viewer.engine.inference import classify as engine_classify

    out = Path(folder)
    steps = len(images) * (2 if heatmaps else 1)
    step = 0
    rows = []
    written: list[str] = []
    errors: list[str] = []
    for entry in images:
        yield Progress(step, steps, f"Classifying {entry.name}")
        try:
            prediction = engine_classify([loaded_image(entry)], loaded, topk=topk, preset=preset, tta=tta)[0]
        except ViewerError as error:  # one image the network refuses must not cost the others their rows
            errors.append(f"{entry.name}: {error}")
            step += 2 if heatmaps else 1
            continue
        for rank, top in enumerate(prediction.topk, 1):
            rows.append(
                [
                    entry.path,
                    prediction.model,
                    prediction.weights,
                    rank,
                    top.index,
                    top.name,
                    f"{top.logit:.6g}",
                    f"{top.prob:.6g}",
                ]
            )
        step += 1
        if heatmaps:
            yield Progress(step, steps, f"Heatmap of {entry.name}")
            try:
                from viewer.engine.heatmap.dense import dense_heatmap

                heatmap = yield from _relabelled(
                    dense_heatmap(loaded, loaded_image(entry), **(heatmap_options or {})), step, steps, entry.name
                )
                # A folder as base: the engine names the files from the image, model and class.
                paths = export.write_heatmap(out, entry.pixels, heatmap.scores, heatmap.provenance(), force=force)
                written.extend(str(p) for p in paths)
            except ViewerError as error:
                errors.append(f"{entry.name}: {error}")
            step += 1
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["image", "model", "weights", "rank", "class_index", "class_name", "logit", "probability"])
    writer.writerows(rows)
    csv_path = out / "topk.csv"
    export.write_text(csv_path, buffer.getvalue(), force=force)
    written.insert(0, str(csv_path))
    yield Progress(steps, steps, "Done")
    return ExportResult(str(out), written, errors)


def _relabelled(job: Job[Any], step: int, steps: int, name: str) -> Job[Any]:
    """``job`` (an image's heatmap) as one step of the export: its progress said as "Heatmap of <name>: …"."""
    while True:
        try:
            inner = next(job)
        except StopIteration as end:
            return end.value
        yield Progress(step, steps, f"Heatmap of {name}: {inner.message}")


def export_prediction(prediction: Prediction, base: str, chart_png: bytes, *, force: bool) -> ExportResult:
    """The Predictions tab: ``<base>.csv`` (the top-k rows), ``<base>.json`` (``as_dict``: model, weights,
    preprocessing, TTA crops, timings) and ``<base>.png`` (the chart as drawn), written as one set: all three
    appear or none (an empty chart is refused)."""
    import csv
    import io

    from viewer.engine import export

    paths = bundle_paths(base, (".csv", ".json", ".png"))
    stem = paths[0].with_suffix("")
    export.check_targets(paths, force=force)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["image", "model", "weights", "preprocess", "tta", "rank", "class_index", "class_name", "logit", "probability"]
    )
    for rank, top in enumerate(prediction.topk, 1):
        writer.writerow(
            [
                prediction.image,
                prediction.model,
                prediction.weights,
                prediction.preprocess,
                prediction.tta,
                rank,
                top.index,
                top.name,
                f"{top.logit:.6g}",
                f"{top.prob:.6g}",
            ]
        )
    contents = [buffer.getvalue().encode("utf-8"), export.json_bytes(prediction.as_dict()), chart_png]
    written = export.write_group(
        [(path, partial(_write_all, data=data)) for path, data in zip(paths, contents, strict=True)], force=force
    )
    return ExportResult(str(stem.parent), [str(p) for p in written], [])


def _write_all(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)


def export_activation(
    activation: Activation, grid_rgb: np.ndarray, base: str, provenance: dict[str, Any], *, force: bool
) -> ExportResult:
    """The Activations tab: ``<base>.png`` (the channel grid as shown) and ``<base>.npy`` (the layer's
    activation, all channels, float values) through the engine's writer (both or neither)."""
    from viewer.engine import export

    stem = bundle_paths(base, (".png", ".npy"))[0].with_suffix("")
    paths = export.write_activation(stem, grid_rgb, np.asarray(activation.array), force=force, provenance=provenance)
    return ExportResult(str(stem.parent), [str(p) for p in paths], [])


def export_pictures(
    base: str, pictures: Sequence[tuple[str, np.ndarray]], provenance: dict[str, Any], *, force: bool
) -> ExportResult:
    """What a view of a channel shows (its top patches, its optimised image, a unit's deconvolution): each
    ``(suffix, uint8 pixels)`` as ``<stem><suffix>.png`` and the provenance as ``<stem>.json``, written together
    or not at all (the stem is ``base`` without the first suffix's ``.png``)."""
    from viewer.engine import export

    suffixes = [f"{suffix}.png" for suffix, _ in pictures] + [".json"]
    paths = bundle_paths(base, suffixes)
    writers = [(path, _png_writer(pixels)) for path, (_suffix, pixels) in zip(paths, pictures, strict=False)]
    payload = export.json_bytes(provenance)
    writers.append((paths[-1], partial(_write_all, data=payload)))
    written = export.write_group(writers, force=force)
    return ExportResult(str(paths[0].parent), [str(p) for p in written], [])


def _png_writer(pixels: np.ndarray) -> Any:
    from viewer.engine import export

    return partial(_write_all, data=export.png_bytes(pixels))  # an ExportError for other than 8-bit pixels, now
