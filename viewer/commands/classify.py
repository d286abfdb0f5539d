"""``viewer classify``: the top-k classes of images, as text, the lecture's lines or JSON; of a video's frames,
one line per analysed frame (``--every N`` or ``--fps F``)."""

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
from viewer.core.images.paths import VIDEO_SUFFIXES, is_video_path
from viewer.core.lecture.tta import TTA_RESIZES, tta_description
from viewer.core.options import PRESETS

if TYPE_CHECKING:
    from viewer.core.results.prediction import Prediction
    from viewer.engine.images import LoadedImage
    from viewer.engine.models.weights import LoadedModel

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    classify = subparsers.add_parser("classify", help="top-k classes of images, or of a video's frames")
    classify.add_argument(
        "images",
        nargs="+",
        metavar="IMAGE|FOLDER|VIDEO",
        help="image files, or folders (the images directly inside, as a drop on the app), or video files (by "
        f"suffix: {' '.join(VIDEO_SUFFIXES)}): one line per analysed frame",
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
    sampling = classify.add_mutually_exclusive_group()
    sampling.add_argument("--every", type=int, metavar="N", help="videos: analyse every N-th frame (default: all)")
    sampling.add_argument("--fps", type=float, metavar="F", help="videos: analyse F frames per second of video")
    classify.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from viewer.core.errors import ModelError, ViewerError
    from viewer.core.images.paths import expand_image_paths
    from viewer.engine.images import load_image

    if args.topk < 1:
        raise ModelError(f"--topk {args.topk}: ask for at least one class.")
    videos = [path for path in args.images if is_video_path(path)]
    if videos and args.tta:
        raise ModelError("--tta is for images: a video's frames are classified with the plain preprocessing.")
    if not videos and (args.every is not None or args.fps is not None):
        raise ModelError("--every and --fps are for videos: name a video file (" + " ".join(VIDEO_SUFFIXES) + ").")
    loaded = load_model_from(args)
    warn_unfit(loaded, args.preprocess, args.tta)
    expanded = expand_image_paths([path for path in args.images if not is_video_path(path)])
    failures = Failures()
    for error in expanded.errors:
        failures.report(error)
    images = []
    for path in expanded.files:
        try:
            images.append(load_image(path))
        except ViewerError as error:  # other images are still classified
            failures.report(error)
    predictions = _classify_each(images, loaded, failures, args) if images else []
    if args.json or args.format == "json":
        video_docs = [_classify_video(video, loaded, failures, args, as_json=True) for video in videos]
        print(json.dumps([p.as_dict() for p in predictions] + [doc for doc in video_docs if doc], indent=2))
        return failures.exit_status
    if args.format == "lecture":
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
    for number, video in enumerate(videos):  # after the images, each frame's line as it is analysed
        if number or predictions:
            print()
        _classify_video(video, loaded, failures, args, as_json=False)
    return failures.exit_status


def _classify_video(
    path: str, loaded: LoadedModel, failures: Failures, args: argparse.Namespace, *, as_json: bool
) -> dict[str, object] | None:
    """One line per analysed frame as it comes (time, top-1, its probability), after a header line; with
    ``as_json`` nothing is printed and the video's JSON object is returned (None when it could not be read)."""
    from viewer.core.errors import ViewerError
    from viewer.engine.live.frames import classify_video

    frames = []
    try:
        for number, result in enumerate(
            classify_video(path, loaded, every=args.every, fps=args.fps, topk=args.topk, preset=args.preprocess)
        ):
            if as_json:
                frames.append(result.as_dict())
                continue
            if number == 0:
                print(f"{Path(path).name}: {loaded.name}, {loaded.weights_label}, {loaded.device}, "
                      f"preprocess {args.preprocess}; time, top-1, probability")  # fmt: skip
            top = result.top1
            print(f"{result.time_s:9.3f} s  {top.name}  (p={top.prob:.3f})", flush=True)
    except ViewerError as error:
        failures.report(error)
        if not frames:
            return None
    return {
        "video": path,
        "model": loaded.name,
        "weights": loaded.weights_label,
        "device": str(loaded.device),
        "preprocess": args.preprocess,
        "every": args.every,
        "fps": args.fps,
        "frames": frames,
    }


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
