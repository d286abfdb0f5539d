"""Dense class heatmaps over images larger than the training size (OverFeat; Long et al.'s FCN).

The network is convolutionized once (:mod:`viewer.engine.heatmap.convolutionize`), the image is resized so that its
short side is ``base_size × scale`` for each scale, one dense pass gives a class map per scale, each map is
placed in the original image's pixel coordinates from the receptive-field geometry
(:mod:`viewer.engine.heatmap.geometry`), and the scales are fused.

:func:`dense_heatmap` is a generator, like napari's ``HistogramModel.compute()``: it yields
:class:`Progress` before each forward pass and returns the :class:`ClassHeatmap` (``StopIteration.value``,
or ``result = yield from dense_heatmap(...)``; ``run_heatmap`` drives it to the end). A consumer cancels by
no longer iterating (``gen.close()``): no work happens between two yields but one pass.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF

from viewer.core.errors import ImageError, ModelError
from viewer.core.network.input import InputSpec
from viewer.core.options import FUSIONS, MODES
from viewer.core.progress import Progress, run_job
from viewer.core.results.heatmap import ClassHeatmap
from viewer.engine.heatmap.convolutionize import ConvolutionizedLinear, conversion_of, convolutionize, propagate_shapes
from viewer.engine.heatmap.fold import FoldedNetwork, fold_batchnorm
from viewer.engine.heatmap.geometry import (
    GridGeometry,
    OffsetSplit,
    Tile,
    grid_geometry,
    place_on_image,
    plan_tiles,
    split_for_offsets,
)
from viewer.engine.images import MAX_IMAGE_PIXELS, LoadedImage, load_image
from viewer.engine.models.weights import LoadedModel
from viewer.engine.versions import library_versions

__all__ = ["FUSIONS", "MODES", "dense_heatmap", "dense_network", "run_heatmap"]


@dataclass
class DenseNetwork:
    """A convolutionized network with its geometry, cached per model.

    ``fcn`` is the convolutionized model as converted (its graph is what geometry, notes and summaries read);
    the heatmap's passes run ``folded.module``, the same network with its BatchNorms folded into the
    convolutions before them (:mod:`viewer.engine.heatmap.fold`), and the offset split is cut from that one.
    """

    fcn: torch.fx.GraphModule
    geometry: GridGeometry
    split: OffsetSplit | str  # the cut for OverFeat offsets, or why there is none
    device: torch.device
    folded: FoldedNetwork


_CACHE: weakref.WeakKeyDictionary[torch.nn.Module, DenseNetwork] = weakref.WeakKeyDictionary()


def dense_network(loaded: LoadedModel) -> DenseNetwork:
    """The convolutionized form of ``loaded.model`` (built once per model and device)."""
    cached = _CACHE.get(loaded.model)
    if cached is not None and cached.device == loaded.device:
        if not cached.folded.is_current():  # weights changed in place: fold again, no new trace
            cached.folded = fold_batchnorm(cached.fcn)
            cached.split = split_for_offsets(cached.folded.module)
        return cached
    shape = loaded.input.shape
    fcn = convolutionize(loaded.model, shape)
    # Geometry is read at twice the canonical size so that no layer sits at a degenerate 1×1 map.
    propagate_shapes(fcn, (1, shape[0], 2 * shape[1], 2 * shape[2]))
    folded = fold_batchnorm(fcn)
    dense = DenseNetwork(fcn, grid_geometry(fcn), split_for_offsets(folded.module), loaded.device, folded)
    _CACHE[loaded.model] = dense
    return dense


def _offset_runner(split: OffsetSplit) -> Callable[[torch.Tensor], torch.Tensor]:
    """OverFeat's offsets: the final max-pool applied at every shift (Δy, Δx) < stride, the classifier on
    each, and the outputs interleaved into a grid ``stride`` times finer (Sermanet et al., §3.3)."""
    stride_y, stride_x = split.stride
    kernel_h, kernel_w = next(
        (m.kernel_size for m in split.head.modules() if isinstance(m, ConvolutionizedLinear)), (1, 1)
    )

    def run(x: torch.Tensor) -> torch.Tensor:
        features = split.features(x)
        pooled = {(dy, dx): split.pool(features[:, :, dy:, dx:]) for dy in range(stride_y) for dx in range(stride_x)}
        # A shift may leave too few pooled cells for the classifier's window (small inputs): no row there.
        fits = {key: p.shape[2] >= kernel_h and p.shape[3] >= kernel_w for key, p in pooled.items()}
        if not fits[(0, 0)]:
            failing: torch.Tensor = split.head(pooled[(0, 0)])  # let the classifier raise its own size error
            return failing
        outputs: dict[tuple[int, int], torch.Tensor] = {key: split.head(p) for key, p in pooled.items() if fits[key]}
        reference = outputs[(0, 0)]
        rows_of = [
            next((outputs[(dy, dx)].shape[2] for dx in range(stride_x) if (dy, dx) in outputs), 0)
            for dy in range(stride_y)
        ]
        cols_of = [
            next((outputs[(dy, dx)].shape[3] for dy in range(stride_y) if (dy, dx) in outputs), 0)
            for dx in range(stride_x)
        ]
        combined = reference.new_empty((x.shape[0], reference.shape[1], sum(rows_of), sum(cols_of)))
        for (dy, dx), output in outputs.items():
            # A shift drops at most one pooled cell, so the valid fine cells form a prefix of each axis.
            combined[:, :, dy::stride_y, dx::stride_x] = output
        return combined

    return run


def _class_scores(class_map: torch.Tensor, class_index: int, mode: str) -> np.ndarray:
    if mode == "softmax":
        # Softmax over the class axis of a channels-last map runs strided and took 3-4 % of a MobileNetV2
        # heatmap; on (rows, cols, classes) rows it is contiguous (the permute is a free view when the map
        # is channels-last, as ConvolutionizedLinear returns it).
        cells = class_map[0].permute(1, 2, 0).float()
        return torch.softmax(cells, dim=-1)[:, :, class_index].cpu().numpy()
    return class_map[0, class_index].float().cpu().numpy()


def _grid_shape(
    runner: Callable[[torch.Tensor], torch.Tensor], shape: tuple[int, ...], device: torch.device
) -> tuple[int, int]:
    """The class-map size at an input shape, without arithmetic (fake tensors)."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    from viewer.engine.quiet import quiet_torch_logs

    mode = FakeTensorMode(allow_non_fake_inputs=True)
    with quiet_torch_logs(), mode, torch.no_grad():  # a too-small size raises; the caller says so in one sentence
        out = runner(torch.empty(shape, device=device))
    return int(out.shape[2]), int(out.shape[3])


def _image_tensor(image: LoadedImage, channels: int, device: torch.device) -> torch.Tensor:
    """The image as a (1, C, H, W) uint8 channels-last tensor on ``device`` (a quarter of float32's bytes)."""
    picture = image.image.convert("L") if channels == 1 else image.image
    tensor: torch.Tensor = TF.pil_to_tensor(picture)
    return tensor.unsqueeze(0).to(device).contiguous(memory_format=torch.channels_last)


def _network_input(source: torch.Tensor, size: tuple[int, int], spec: InputSpec) -> torch.Tensor:
    """``source`` resized to ``size`` (width, height) and normalised: the (1, C, h, w) float32 input.

    Resized in uint8, as the weights' own ``transforms()`` resize a PIL image: torch has AVX2 kernels for
    antialiased uint8 channels-last resizing, 3-4× faster than the float path (which also needs the float
    image first). Scaling to [0, 1] and normalising are one multiply-add per element. The result stays
    channels-last: oneDNN follows the input's layout and runs the early convolutions and the poolings up to
    4× faster on CPU (bench/dense.py), with the model's weights untouched; elsewhere it is made contiguous.
    """
    resized = TF.resize(
        source, [size[1], size[0]], interpolation=TF.InterpolationMode(spec.interpolation), antialias=True
    )
    std = torch.tensor(spec.std, dtype=torch.float32, device=source.device).view(1, -1, 1, 1)
    mean = torch.tensor(spec.mean, dtype=torch.float32, device=source.device).view(1, -1, 1, 1)
    scale, shift = 1 / (255 * std), -mean / std
    batch = torch.addcmul(shift, resized.to(torch.float32), scale)
    layout = torch.channels_last if source.device.type == "cpu" else torch.contiguous_format
    return batch.contiguous(memory_format=layout)


# A scale to run: the multiple of the base size, the resized image's (width, height), its tiles (None: whole).
_Plan = tuple[float, tuple[int, int], list[Tile] | None]


def _check_options(loaded: LoadedModel, class_index: int | None, mode: str, fuse: str, scales: Sequence[float]) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if fuse not in FUSIONS:
        raise ValueError(f"fuse must be one of {FUSIONS}, not {fuse!r}")
    if not scales or any(s <= 0 for s in scales):
        raise ValueError("scales must be positive numbers")
    if class_index is not None and not 0 <= class_index < len(loaded.categories):
        raise ModelError(
            f"{loaded.name} has {len(loaded.categories)} classes (0..{len(loaded.categories) - 1}); "
            f"there is no class {class_index}."
        )


def _runner(
    loaded: LoadedModel, dense: DenseNetwork, offsets: bool, notes: list[str]
) -> tuple[Callable[[torch.Tensor], torch.Tensor], GridGeometry, bool]:
    """The dense pass to run (with OverFeat's offsets where they apply), its grid's geometry, and whether the
    offsets are used; what the user should know goes into ``notes``."""
    geometry = dense.geometry
    runner: Callable[[torch.Tensor], torch.Tensor] = dense.folded.module
    if offsets and isinstance(dense.split, str):
        notes.append(
            f"offsets ignored: {loaded.name}: {dense.split}; OverFeat's offsets need a final max-pool "
            "right before the classifier (AlexNet, VGG)"
        )
        offsets = False
    elif offsets and isinstance(dense.split, OffsetSplit):
        runner = _offset_runner(dense.split)
        geometry = geometry.refined(dense.split.stride)
    if geometry.global_context:
        notes.append("squeeze-excitation gates pool the whole image: every cell also sees global context")
    return runner, geometry, offsets


def _plans(
    loaded: LoadedModel,
    runner: Callable[[torch.Tensor], torch.Tensor],
    geometry: GridGeometry,
    image_size: tuple[int, int],
    scales: Sequence[float],
    base: int,
    max_tile_pixels: int | None,
    notes: list[str],
) -> tuple[list[_Plan], float]:
    """The scales that fit (the others said in ``notes``), and the smallest short side the network takes."""
    spec = loaded.input
    width, height = image_size
    minimum = min(geometry.size[0], spec.crop_size)
    align = (int(geometry.jump[0]), int(geometry.jump[1]))
    plans: list[_Plan] = []
    for scale in scales:
        short = round(base * scale)
        if short < minimum:
            notes.append(
                f"scale {scale:g} skipped: a short side of {short} px is below the network's window "
                f"({minimum:.0f} px, the smaller of its receptive field and crop size)"
            )
            continue
        if width <= height:
            size = (short, max(1, round(height * short / width)))
        else:
            size = (max(1, round(width * short / height)), short)
        pixels = size[0] * size[1]
        if pixels > MAX_IMAGE_PIXELS:  # a long thin strip scaled to the base size would need gigabytes
            notes.append(
                f"scale {scale:g} skipped: {size[0]}x{size[1]} is over the {MAX_IMAGE_PIXELS / 1e6:.0f} MP limit"
            )
            continue
        tiles = None
        if max_tile_pixels is not None and pixels > max_tile_pixels:
            shape = (1, spec.channels, size[1], size[0])
            grid = _grid_shape(runner, shape, loaded.device)
            tiles = plan_tiles(geometry, grid, (size[1], size[0]), align, max_tile_pixels)
            if geometry.global_context:
                notes.append(f"scale {scale:g}: tiled, approximate (global context differs per tile)")
        plans.append((scale, size, tiles))
    return plans, minimum


def _scale_scores(
    runner: Callable[[torch.Tensor], torch.Tensor],
    batch: torch.Tensor,
    tiles: list[Tile] | None,
    class_index: int,
    mode: str,
    label: str,
    step: int,
    total: int,
) -> Generator[Progress, None, np.ndarray]:
    """One scale's class scores: one dense pass, or its tiles (a progress step each)."""
    if not tiles:
        yield Progress(step, total, f"{label}: dense pass")
        with torch.inference_mode():
            return _class_scores(runner(batch), class_index, mode)
    rows = max(t.place[0].stop for t in tiles)
    cols = max(t.place[1].stop for t in tiles)
    scores = np.zeros((rows, cols), dtype=np.float32)
    for number, tile in enumerate(tiles, 1):
        yield Progress(step + number - 1, total, f"{label}: tile {number}/{len(tiles)}")
        y0, y1, x0, x1 = tile.window
        with torch.inference_mode():
            part = _class_scores(runner(batch[:, :, y0:y1, x0:x1]), class_index, mode)
        scores[tile.place] = part[tile.take]
    return scores


def _fused(per_scale: list[np.ndarray], fuse: str) -> np.ndarray:
    fused = per_scale[0].copy()
    for placed in per_scale[1:]:  # in place: no (scales, H, W) stack of a large photo
        np.add(fused, placed, out=fused) if fuse == "mean" else np.maximum(fused, placed, out=fused)
    if fuse == "mean":
        fused /= len(per_scale)
    return fused


def _preprocessing(spec: InputSpec) -> dict[str, Any]:
    return {
        "resize": "short side = base_size × scale, in uint8",
        "interpolation": spec.interpolation,
        "antialias": True,
        "mean": list(spec.mean),
        "std": list(spec.std),
        "channels": spec.channels,
    }


def dense_heatmap(
    loaded: LoadedModel,
    image: LoadedImage | str,
    *,
    class_index: int | None = None,
    mode: str = "softmax",
    scales: Sequence[float] = (1.0, 1.4, 2.0),
    base_size: int | None = None,
    offsets: bool = False,
    fuse: str = "mean",
    max_tile_pixels: int | None = None,
) -> Generator[Progress, None, ClassHeatmap]:
    """Yield :class:`Progress` items, then return the :class:`ClassHeatmap` of ``class_index``.

    Args:
        loaded: the network and its weights; it runs on ``loaded.device``.
        image: a loaded image or a path.
        class_index: the class to map; None takes the top class of the whole image (weights preset).
        mode: ``softmax`` (per-cell probability) or ``logit``.
        scales: multiples of ``base_size`` for the image's short side.
        base_size: short side at scale 1; default the weights' resize size (256 for ImageNet), so that
            objects appear about as large as in training.
        offsets: OverFeat's shifted final max-pool, for a grid twice as fine (AlexNet/VGG-like networks).
        fuse: how scales combine, ``mean`` or ``max``.
        max_tile_pixels: largest input tile; tiles overlap by one receptive field so that the result equals
            the untiled one (except where squeeze-excitation gates see the whole image; noted).

    Raises:
        UnsupportedModelError: the network cannot be convolutionized. ImageError: no scale fits.
    """
    _check_options(loaded, class_index, mode, fuse, scales)
    image = image if isinstance(image, LoadedImage) else load_image(image)
    started = time.perf_counter()
    dense = dense_network(loaded)
    timings = {"convolutionize": (time.perf_counter() - started) * 1e3}
    conversion = conversion_of(dense.fcn)
    notes = list(conversion.notes)
    if conversion.head.startswith("global"):
        notes.append(
            "the global pooling was removed: each cell is the classifier applied to one position's "
            "features (a class activation map)"
        )
    runner, geometry, offsets = _runner(loaded, dense, offsets, notes)
    spec = loaded.input
    base = int(base_size or spec.resize_size or spec.crop_size)
    plans, minimum = _plans(loaded, runner, geometry, image.size, scales, base, max_tile_pixels, notes)
    if not plans:
        raise ImageError(
            f"{image.name}: no scale fits {loaded.name}: every resized image is smaller than its {minimum:.0f} px "
            "window; use larger scales or base size."
        )

    total = sum(len(tiles) if tiles else 1 for _, _, tiles in plans) + (class_index is None) + 1
    step = 0
    if class_index is None:
        yield Progress(step, total, "classifying the whole image")
        from viewer.engine.inference import classify

        class_index = classify([image], loaded, topk=1)[0].topk[0].index
        step += 1
    source = _image_tensor(image, spec.channels, loaded.device)
    per_scale, grids = [], []
    forward_ms = 0.0
    for scale, size, tiles in plans:
        batch = _network_input(source, size, spec)
        label = f"scale {scale:g} ({size[0]}×{size[1]})"
        tick = time.perf_counter()
        scores = yield from _scale_scores(runner, batch, tiles, class_index, mode, label, step, total)
        step += len(tiles) if tiles else 1
        forward_ms += (time.perf_counter() - tick) * 1e3
        per_scale.append(place_on_image(scores, geometry.centres(scores.shape), size, image.size))
        grids.append(scores)

    yield Progress(step, total, "fusing scales")
    used = [scale for scale, _, _ in plans]
    upscale = base * max(used) / min(image.size)
    if upscale > 2:
        notes.append(f"the image was enlarged up to {upscale:.1f}× (its short side is {min(image.size)} px)")
    timings["forward"] = forward_ms
    return ClassHeatmap(
        scores=_fused(per_scale, fuse).astype(np.float32),
        per_scale=per_scale,
        class_index=int(class_index),
        class_name=loaded.categories[class_index],
        mode=mode,
        scales=tuple(used),
        offsets=offsets,
        fuse=fuse,
        image_path=image.path,
        image_size=image.size,
        model=loaded.name,
        weights=loaded.weights_label,
        weights_sha256=loaded.weights_sha256,
        grid_shapes=[tuple(grid.shape) for grid in grids],
        grids=grids,
        tiles=[len(tiles) if tiles else 1 for _, _, tiles in plans],
        notes=notes + list(image.notes),
        requested_scales=tuple(scales),
        base_size=base,
        input_sizes=[size for _, size, _ in plans],
        geometry={
            "jump": list(geometry.jump),
            "start": list(geometry.start),
            "receptive_field": list(geometry.size),
            "global_context": geometry.global_context,
        },
        preprocessing=_preprocessing(spec),
        recipe=loaded.recipe.as_dict(),
        device=str(loaded.device),
        timings_ms=timings,
        versions=library_versions(),
    )


def run_heatmap(loaded: LoadedModel, image: LoadedImage | str, **options: Any) -> ClassHeatmap:
    """:func:`dense_heatmap` run to the end; returns its :class:`ClassHeatmap`."""
    return run_job(dense_heatmap(loaded, image, **options))
