"""Deconvolution and guided backpropagation from one unit back to the image (issue 23).

A unit is one cell (row, col) of one channel's map in one layer. Its two maps are Captum's
``NeuronDeconvolution`` and ``NeuronGuidedBackprop`` over the whole image, made the network's input as the Explain
tab's maps are (:func:`~viewer.engine.explain.input.explain_input`: short side = the weights' crop size, aspect
kept, the recipe's mean and std) and resized back to the image's pixels the same way. The cell indexes the
channel's map *over that input*; left out, it is the cell where the channel is strongest on this image.

:mod:`~viewer.engine.explain.relu_rules` says which ReLUs the rules reach: ``nn.ReLU`` modules (in place or not,
called once or several times) and ``nn.ReLU6``; a network that rectifies with ``F.relu`` before the unit's layer
(GoogLeNet, Inception v3) is refused with that reason, other nonlinearities before it are named in the notes.

The receptive field is the summary's (``LayerNode.receptive_field``, :mod:`viewer.core.graph.receptive`): the cell's
box, clipped to the input, and the same box in the image's pixels. For a network whose layers up to the unit are
all local (convolutions, pooling, element-wise), every non-zero gradient lies inside that box.
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING

import numpy as np
import torch

from viewer.core.errors import ModelError, UnsupportedModelError
from viewer.core.progress import Job, Progress
from viewer.core.results.unit import (
    UNIT_METHOD_LABELS,
    UNIT_METHODS,
    Box,
    Unit,
    UnitAttribution,
    UnitMap,
    box_slices,
)
from viewer.engine.explain.input import explain_input, to_image_pixels
from viewer.engine.explain.relu_rules import ForwardAudit, audit_forward, relu6_as_relu
from viewer.engine.images import LoadedImage, load_image
from viewer.engine.versions import library_versions

if TYPE_CHECKING:
    from viewer.core.graph.receptive import ReceptiveField
    from viewer.core.results.summary import LayerNode, Summary
    from viewer.engine.models.weights import LoadedModel

__all__ = ["UNIT_METHODS", "picture_scale", "run_unit_attribution", "unit_attribution", "unit_pictures"]

_CAPTUM_HOOK_WARNING = "Setting backward hooks on ReLU activations"  # Captum's, at every call: said once in notes


def unit_attribution(
    loaded: LoadedModel,
    image: LoadedImage | str,
    layer: str,
    channel: int,
    row: int | None = None,
    col: int | None = None,
    *,
    summary: Summary | None = None,
) -> Job[UnitAttribution]:
    """Yield progress, return both methods' maps of the unit (``layer``, ``channel``, ``row``, ``col``).

    ``row`` and ``col`` index ``channel``'s map over the whole-image input; both None: the channel's strongest cell
    on this image. ``summary`` (the model's, at any input size): the layer's receptive field; made when None.

    Raises:
        ModelError: no such layer, channel or cell (one sentence, with close names for a typo).
        UnsupportedModelError: the layer is not a map of channels, runs more than once, or a functional ReLU runs
            before it.
    """
    started = time.perf_counter()
    image = image if isinstance(image, LoadedImage) else load_image(image)
    yield Progress(0, 3, f"{layer}: forward to the layer")
    node = _layer_node(loaded, layer, summary)
    prepared = explain_input(loaded, image)
    audit = audit_forward(loaded.model, layer, prepared.tensor)
    _refuse_functional(loaded, layer, audit)
    channel_map = _channel_map(loaded, layer, audit.output, channel)
    default_cell = row is None and col is None
    row, col = _cell(layer, channel, channel_map, row, col)
    field = node.receptive_field if audit.output.dim() == 4 else None
    width, height = prepared.size
    whole: Box = (0.0, 0.0, float(width), float(height))
    input_box = field.box(row, col, clip=(height, width)) if field is not None else whole
    scale_x, scale_y = image.size[0] / width, image.size[1] / height
    image_box: Box = (input_box[0] * scale_x, input_box[1] * scale_y, input_box[2] * scale_x, input_box[3] * scale_y)
    timings = {"forward": (time.perf_counter() - started) * 1e3}

    selector = (channel, row, col) if audit.output.dim() == 4 else (channel,)
    maps: dict[str, UnitMap] = {}
    for step, method in enumerate(UNIT_METHODS, 1):
        yield Progress(step, 3, f"{layer} channel {channel} ({row}, {col}): {UNIT_METHOD_LABELS[method].lower()}")
        begun = time.perf_counter()
        attribution = _captum(loaded, layer, method, prepared.tensor, selector)
        maps[method] = unit_pictures(method, attribution, image.size, input_box)
        timings[method] = (time.perf_counter() - begun) * 1e3
    timings["total"] = (time.perf_counter() - started) * 1e3
    return UnitAttribution(
        unit=Unit(layer, int(channel), int(row), int(col)),
        activation=float(channel_map[row, col]),
        channel_map=channel_map,
        default_cell=default_cell,
        maps=maps,
        receptive_field=field,
        input_box=input_box,
        image_box=image_box,
        input_size=prepared.size,
        image_size=image.size,
        image_path=image.path,
        model=loaded.name,
        weights=loaded.weights_label,
        weights_sha256=loaded.weights_sha256,
        parameters={
            "input": prepared.fit,
            "cell": "the channel's strongest on this image" if default_cell else "given",
            "relu_rules": _rules(audit),
            "picture": "0.5 + 0.5 · clip(gradient / s) per colour channel, s the 99th percentile of the non-zero "
            "|gradient|; magnitude: max over channels",
            "library": "captum.attr.NeuronDeconvolution, captum.attr.NeuronGuidedBackprop",
        },
        notes=prepared.notes + list(image.notes) + _notes(loaded, layer, audit, field),
        device=str(loaded.device),
        timings_ms=timings,
        recipe=loaded.recipe.as_dict(),
        versions=library_versions(captum=True),
    )


def run_unit_attribution(
    loaded: LoadedModel,
    image: LoadedImage | str,
    layer: str,
    channel: int,
    row: int | None = None,
    col: int | None = None,
    *,
    summary: Summary | None = None,
) -> UnitAttribution:
    """:func:`unit_attribution` run to its end."""
    from viewer.core.progress import run_job

    return run_job(unit_attribution(loaded, image, layer, channel, row, col, summary=summary))


def unit_pictures(
    method: str, attribution: np.ndarray, image_size: tuple[int, int], input_box: Box | None = None
) -> UnitMap:
    """The usual pictures of a (C, h, w) gradient: signed RGB around mid-grey and the magnitude, both scaled by the
    largest |gradient|, over the input and resized to ``image_size`` (width, height); with the unit's field box
    (input pixels), the share of the gradient's energy outside it."""
    data = np.asarray(attribution, dtype=np.float32)
    energy = np.square(data, dtype=np.float64).sum(axis=0)
    total = float(energy.sum())
    if input_box is not None and total > 0:
        rows, cols = box_slices(input_box, energy.shape)
        outside = max(0.0, (total - float(energy[rows, cols].sum())) / total)
    else:
        outside = 0.0
    peak = float(np.abs(data).max()) if data.size else 0.0
    scale = picture_scale(data)
    signed = np.clip(data / (scale or 1.0), -1.0, 1.0)
    # A grey input's gradient is shown grey; an input of other than 1 or 3 channels by its mean (no colour order).
    colour = signed if signed.shape[0] == 3 else np.repeat(signed.mean(axis=0, keepdims=True), 3, axis=0)
    rgb = np.ascontiguousarray(0.5 + 0.5 * colour.transpose(1, 2, 0), dtype=np.float32)
    magnitude = np.abs(signed).max(axis=0).astype(np.float32)
    resized = np.stack([to_image_pixels(rgb[..., index], image_size) for index in range(3)], axis=-1)
    return UnitMap(
        method=method,
        attribution=data,
        rgb=rgb,
        magnitude=magnitude,
        image_rgb=np.round(np.clip(resized, 0.0, 1.0) * 255.0).astype(np.uint8),
        image_magnitude=np.clip(to_image_pixels(magnitude, image_size), 0.0, 1.0),
        peak=peak,
        outside_energy=outside,
        scale=scale,
    )


# --- the steps ------------------------------------------------------------------------------------------------


def picture_scale(attribution: np.ndarray) -> float:
    """The magnitude that the pictures show at full strength: the 99th percentile of the non-zero |attribution|
    (most of a map is zero outside the unit's field; its very largest values are a few pixels)."""
    magnitudes = np.abs(attribution[attribution != 0])
    return float(np.percentile(magnitudes, 99)) if magnitudes.size else 0.0


def _layer_node(loaded: LoadedModel, layer: str, summary: Summary | None) -> LayerNode:
    if summary is None:
        from viewer.engine.summary import summarize

        summary = summarize(loaded)
    node = summary.find(layer)  # a ModelError with close names for a typo
    if node.output_shape is None or node.training_only:
        raise ModelError(f"{loaded.name} layer {layer!r} does not run at inference, so it has no units.")
    if node.calls > 1:
        raise UnsupportedModelError(
            f"{loaded.name} layer {layer!r} runs {node.calls} times in one forward pass, so a unit of it is not "
            "one activation; pick a layer that runs once (the module before or after it)."
        )
    return node


def _refuse_functional(loaded: LoadedModel, layer: str, audit: ForwardAudit) -> None:
    if not audit.functional:
        return
    name, where = audit.functional[0]
    raise UnsupportedModelError(
        f"{loaded.name} rectifies with {name} inside its forward ({len(audit.functional)} call(s) before {layer}, "
        f"the first in {where}), not with nn.ReLU modules: deconvolution and guided backpropagation can change only "
        "the modules' backward, so these maps would be wrong. Pick a layer before the first one, or another network."
    )


def _channel_map(loaded: LoadedModel, layer: str, output: torch.Tensor, channel: int) -> np.ndarray:
    if output.dim() not in (2, 4):
        shape = "x".join(str(size) for size in output.shape[1:])
        raise UnsupportedModelError(
            f"{loaded.name} layer {layer!r} gives a {shape} output, not channel maps (C x H x W) or a vector: it "
            "has no unit to deconvolve."
        )
    channels = int(output.shape[1])
    if not 0 <= channel < channels:
        raise ModelError(f"{layer} has {channels} channels (0..{channels - 1}); there is no channel {channel}.")
    values = output[0, channel] if output.dim() == 4 else output[0, channel].reshape(1, 1)
    return np.ascontiguousarray(values.float().cpu().numpy(), dtype=np.float32)


def _cell(layer: str, channel: int, channel_map: np.ndarray, row: int | None, col: int | None) -> tuple[int, int]:
    height, width = channel_map.shape
    if row is None and col is None:
        found = np.unravel_index(int(np.argmax(channel_map)), channel_map.shape)
        return int(found[0]), int(found[1])
    if row is None or col is None:
        raise ModelError("Give both the row and the column of the cell, or neither (the strongest cell).")
    if not (0 <= row < height and 0 <= col < width):
        raise ModelError(
            f"{layer} channel {channel}'s map is {height}x{width} on this image (rows 0..{height - 1}, columns "
            f"0..{width - 1}); there is no cell ({row}, {col})."
        )
    return row, col


def _captum(
    loaded: LoadedModel, layer: str, method: str, tensor: torch.Tensor, selector: tuple[int, ...]
) -> np.ndarray:
    from captum.attr import NeuronDeconvolution, NeuronGuidedBackprop

    kind = NeuronDeconvolution if method == "deconvolution" else NeuronGuidedBackprop
    model = loaded.model
    leaf = tensor.detach().clone().requires_grad_(True)  # Captum warns when it has to set that itself
    with torch.enable_grad(), relu6_as_relu(model), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_CAPTUM_HOOK_WARNING)
        attribution = kind(model, model.get_submodule(layer)).attribute(leaf, neuron_selector=selector)
    return np.ascontiguousarray(attribution.detach()[0].float().cpu().numpy(), dtype=np.float32)


def _rules(audit: ForwardAudit) -> str:
    if not audit.rectifier_modules:
        return "none: no ReLU runs before the unit"
    relu6 = f", {audit.relu6_modules} of them nn.ReLU6 treated as ReLUs" if audit.relu6_modules else ""
    return f"Captum's, at the {audit.rectifier_modules} ReLU module call(s) before the unit{relu6}"


def _notes(loaded: LoadedModel, layer: str, audit: ForwardAudit, field: ReceptiveField | None) -> list[str]:
    notes = []
    if not loaded.pretrained:
        notes.append("the network has random weights: its units detect nothing yet")
    if not audit.rectifier_modules:
        notes.append(f"no ReLU runs before {layer}: deconvolution and guided backpropagation are both the gradient")
    if audit.relu6_modules:
        notes.append(
            f"{audit.relu6_modules} ReLU6 before {layer} are treated as ReLUs (guided backpropagation also stops "
            "where the forward clipped at 6)"
        )
    if audit.others:
        named = ", ".join(f"{count} {name}" for name, count in sorted(audit.others.items()))
        notes.append(f"{named} before {layer} pass the plain gradient: only ReLUs have a deconvolution rule")
    if field is None:
        notes.append(f"a unit of {layer} sees the whole input: its field is the whole image")
    return notes
