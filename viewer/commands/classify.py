"""``viewer classify``: the top-k classes of images, as text, the lecture's lines or JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.commands.common import (
    Failures,
    add_model_options,
    load_model_from,
    warn_unfit,
)
from viewer.core.lecture.tta import TTA_RESIZES, tta_description
from viewer.core.options import PRESETS

if TYPE_CHECKING:
    from viewer.core.results.prediction import Prediction
    from viewer.engine.images import LoadedImage
    from viewer.engine.models.weights import LoadedModel

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    classify = subparsers.add_parser("classify", help="top-k classes of images")
    classify.add_argument(
        "images",
        nargs="+",
        metavar="IMAGE|FOLDER",
        help="image files, or folders (the images directly inside, as a drop on the app)",
    )
    add_model_options(classify)
    classify.add_argument("--topk", type=int, default=5)
    classify.add_argument("--preprocess", choices=PRESETS, default="weights")
    classify.add_argument(
        "--tta",
        action="store_true",
        help="Krizhevsky's ten views: corners and centre of the central square, and their mirrors",
    )
    classify.add_argument(
        "--tta-average",
        choices=("probs", "logits"),
        default="probs",
        help="with --tta: average the softmax outputs (the paper's, default) or the logits",
    )
    classify.add_argument(
        "--tta-resize",
        choices=TTA_RESIZES,
        default="paper",
        help="with --tta: rescale the shorter side to 256 for a 224 crop as the paper does (default), or to the "
        "weights' resize size (weights)",
    )
    classify.add_argument(
        "--format",
        choices=("text", "lecture", "json"),
        default="text",
        help="lecture: 'score name' lines with full WordNet names and no header, as the lecture's "
        "demo; json: as --json",
    )
    classify.add_argument("--json", action="store_true", help="print one JSON document (a list, one object per image)")
    classify.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.core.errors import ModelError, ViewerError
    from viewer.core.images.paths import expand_image_paths
    from viewer.engine.images import load_image

    if args.topk < 1:
        raise ModelError(f"--topk {args.topk}: ask for at least one class.")
    loaded = load_model_from(args)
    warn_unfit(loaded, args.preprocess, args.tta)
    expanded = expand_image_paths(args.images)  # folders as a drop on the app reads them
    failures = Failures()
    for error in expanded.errors:
        failures.report(error)
    images = []
    for path in expanded.files:
        try:
            images.append(load_image(path))
        except ViewerError as error:  # other images are still classified
            failures.report(error)
    predictions = _classify_each(images, loaded, failures, args)
    if args.json or args.format == "json":
        print(json.dumps([p.as_dict() for p in predictions], indent=2))
    elif args.format == "lecture":
        _print_lecture(predictions, loaded.categories)
    else:
        for number, prediction in enumerate(predictions):
            if number:
                print()
            extra = (
                f", ten-crop TTA ({tta_description(prediction.tta_geometry, prediction.tta_average)})"
                if prediction.tta
                else ""
            )
            recipe = _recipe_text(loaded) if prediction.preprocess == "weights" else ""
            print(
                f"{Path(prediction.image).name}: {prediction.model}, {prediction.weights}, {prediction.device}, "
                f"preprocess {prediction.preprocess}{recipe}{extra}"
            )
            for top in prediction.topk:
                print(f"{top.logit:.2f} {top.name}  (p={top.prob:.3f})")
    return failures.exit_status


def _recipe_text(loaded: LoadedModel) -> str:
    """`` (IMAGENET1K_V1: resize 256, crop 224, bilinear)``, and "assumed" when a weights file did not say it."""
    recipe = loaded.recipe
    assumed = "; assumed, the file does not say (--recipe)" if recipe.said_by.startswith("not said by the file") else ""
    return f" ({recipe.short_label}{assumed})"


def _classify_each(
    images: Sequence[LoadedImage], loaded: LoadedModel, failures: Failures, args: argparse.Namespace
) -> list[Prediction]:
    """The predictions of the images that can be classified, in order; the others reported to ``failures``.

    The engine classifies all the images in one call (those of one size as one batch), and an image refused
    while it is preprocessed (too elongated to resize, say) fails that whole call: then each image is classified
    alone, so that only the refused ones are missing.
    """
    from viewer.core.errors import ViewerError
    from viewer.engine.inference import classify

    def run_on(batch: Sequence[LoadedImage]) -> list[Prediction]:
        return classify(
            batch,
            loaded,
            topk=args.topk,
            preset=args.preprocess,
            tta=args.tta,
            tta_average=args.tta_average,
            tta_resize=args.tta_resize,
        )

    try:
        return run_on(images) if images else []
    except ViewerError as error:
        if len(images) == 1:
            failures.report(error)
            return []
    predictions, said = [], set()
    for image in images:
        try:
            predictions.extend(run_on([image]))
        except ViewerError as error:
            if str(error) not in said:  # a refusal of the model itself would read the same for every image
                said.add(str(error))
                failures.report(error)
    return predictions


def _print_lecture(predictions: Sequence[Prediction], categories: Sequence[str]) -> None:
    """The lecture's demo: one "score name" line per class, full WordNet names, no header; a blank line between
    images (a single image prints exactly the lecture's lines)."""
    from viewer.core.class_search import full_names

    names = full_names(categories)
    for number, prediction in enumerate(predictions):
        if number:
            print()
        for top in prediction.topk:
            print(f"{top.logit:.2f} {names[top.index]}")
