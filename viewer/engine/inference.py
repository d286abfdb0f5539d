"""Classification: top-k classes with logits and probabilities, batched over images."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from viewer.core.errors import ImageError, ModelError
from viewer.core.lecture.tta import AVERAGES, TTA_RESIZES, CropBox, tta_resize_size
from viewer.core.network.recipe import recipe_used
from viewer.core.results.prediction import Prediction, TopClass
from viewer.engine.images import (
    LoadedImage,
    denormalize,
    load_image,
    preprocess,
    ten_crop_views,
)
from viewer.engine.models.weights import LoadedModel

__all__ = ["average_views", "classify", "forward_logits"]


def forward_logits(loaded: LoadedModel, batch: torch.Tensor) -> torch.Tensor:
    """Logits of a batch on the model's device, returned on the CPU as float32."""
    with torch.inference_mode():
        output: torch.Tensor | tuple[torch.Tensor, ...] = loaded.model(batch.to(loaded.device, non_blocking=True))
        if isinstance(output, tuple):  # torchvision's Inception/GoogLeNet outputs in training mode
            output = output[0]
        return output.float().cpu()


def _views(
    image: LoadedImage, loaded: LoadedModel, preset: str, tta_short_side: int | None
) -> tuple[torch.Tensor, tuple[CropBox, ...]]:
    if tta_short_side is not None:
        return ten_crop_views(image, loaded.input, preset, resize=tta_short_side)
    return preprocess(image, loaded.input, preset).unsqueeze(0), ()


def average_views(logits: torch.Tensor, average: str = "probs") -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, probabilities) of one image from its views' logits (views, classes).

    ``probs``: the mean of the views' softmax outputs, as Krizhevsky et al. average "the predictions made by
    the network's softmax layer"; ``logits``: the softmax of the mean logits. The logits returned are the mean
    logits either way (the score the lecture prints).
    """
    if average not in AVERAGES:
        raise ModelError(f"TTA average {average!r}: use {' or '.join(AVERAGES)}.")
    mean_logits = logits.mean(dim=0)
    if average == "probs":
        return mean_logits, torch.softmax(logits, dim=1).mean(dim=0)
    return mean_logits, torch.softmax(mean_logits, dim=0)


def classify(
    images: Sequence[LoadedImage | str],
    loaded: LoadedModel,
    *,
    topk: int = 5,
    preset: str = "weights",
    tta: bool = False,
    tta_average: str = "probs",
    tta_resize: str = "paper",
    for_display: bool = False,
) -> list[Prediction]:
    """Top-k for each image. Images of one size are run as one batch; with ``tta`` each image's ten
    views (Krizhevsky et al., ``viewer.core.lecture.tta``) are one batch, and their softmax outputs are averaged
    (``tta_average="logits"``: the softmax of their averaged logits; see ``average_views``), cut after rescaling the
    shorter side to the paper's 256 (for a 224 crop; ``tta_resize="weights"``: the weights' resize). ``for_display``
    makes ``seen`` (and with TTA ``tta_seen``) now and drops the float ``network_input`` (with the
    ``standardize`` preset it is the whole image in float32), for a GUI that keeps predictions.
    """
    if tta and tta_average not in AVERAGES:
        raise ModelError(f"TTA average {tta_average!r}: use {' or '.join(AVERAGES)}.")
    if tta and tta_resize not in TTA_RESIZES:
        raise ModelError(f"TTA resize {tta_resize!r}: use {' or '.join(TTA_RESIZES)}.")
    spec = loaded.input
    short_side = tta_resize_size(tta_resize, spec.resize_size, spec.crop_size) if tta else None
    used = recipe_used(loaded.recipe, preset)
    geometry: dict[str, object] | None = None
    if short_side is not None:
        square = max(short_side, spec.crop_size)
        geometry = {"resize": tta_resize, "short_side": short_side, "square": square, "crop": spec.crop_size}
        # Every preset's views are cut from the rescaled image: the recipe's resize gives way to the TTA's.
        used.update(resize=short_side, crop=spec.crop_size, interpolation=spec.interpolation)
    started = time.perf_counter()
    loaded_images = [image if isinstance(image, LoadedImage) else load_image(image) for image in images]
    load_ms = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    cut = [_views(image, loaded, preset, short_side) for image in loaded_images]
    views = [image_views for image_views, _ in cut]
    preprocess_ms = (time.perf_counter() - started) * 1e3

    started = time.perf_counter()
    logits = _run_batched(loaded, views, [image.name for image in loaded_images], preset)
    forward_ms = (time.perf_counter() - started) * 1e3

    k = max(1, min(topk, len(loaded.categories)))
    predictions = []
    for image, (image_views, boxes), image_logits in zip(loaded_images, cut, logits, strict=True):
        mean_logits, probs = average_views(image_logits, tta_average)
        top_probs, top_indices = probs.topk(k)
        top = [
            TopClass(int(i), _category(loaded, int(i)), float(mean_logits[i]), float(p))
            for p, i in zip(top_probs, top_indices, strict=True)
        ]
        prediction = Prediction(
            image=image.path,
            model=loaded.name,
            weights=loaded.weights_label,
            weights_sha256=loaded.weights_sha256,
            pretrained=loaded.pretrained,
            device=str(loaded.device),
            preprocess=preset,
            tta=tta,
            topk=top,
            logits=mean_logits.numpy().astype(np.float32),
            probs=probs.numpy().astype(np.float32),
            # With TTA the centre view (the plain preprocessing's input), copied, so that the other nine views are
            # not kept alive with the prediction.
            network_input=(image_views[4].clone() if tta else image_views[0]).numpy(),
            input_spec=loaded.input,
            timings_ms={
                "read image": load_ms / len(loaded_images),
                "preprocess": preprocess_ms / len(loaded_images),
                "forward": forward_ms / len(loaded_images),
            },
            tta_average=tta_average if tta else None,
            tta_crops=boxes,
            recipe=dict(used),
            tta_geometry=geometry,
        )
        if for_display:
            _ = prediction.seen  # made now, on the caller's (worker) thread, and cached
            if tta:
                prediction.tta_seen = [denormalize(view, loaded.input, preset) for view in image_views]
            prediction.network_input = None
        predictions.append(prediction)
    return predictions


def _category(loaded: LoadedModel, index: int) -> str:
    return loaded.categories[index] if index < len(loaded.categories) else str(index)


def _run_batched(loaded: LoadedModel, views: list[torch.Tensor], names: list[str], preset: str) -> list[torch.Tensor]:
    """Logits per image, each (views, classes); images of the same input shape share one forward."""
    results: list[torch.Tensor | None] = [None] * len(views)
    groups: dict[tuple[int, ...], list[int]] = {}
    for index, image_views in enumerate(views):
        groups.setdefault(tuple(image_views.shape[1:]), []).append(index)
    for indices in groups.values():
        batch = torch.cat([views[i] for i in indices])
        try:
            logits = forward_logits(loaded, batch)
        except torch.OutOfMemoryError:
            raise  # the caller may retry elsewhere (the GUI falls back to the CPU)
        except RuntimeError as error:
            height, width = batch.shape[-2:]
            raise ImageError(
                f"{names[indices[0]]}: a {width}x{height} input is too small or the wrong shape for {loaded.name} "
                f"with the {preset} preset ({str(error).splitlines()[0][:100]}); the weights preset resizes it."
            ) from None
        offset = 0
        for i in indices:
            count = views[i].shape[0]
            results[i] = logits[offset : offset + count]
            offset += count
    return [r for r in results if r is not None]
