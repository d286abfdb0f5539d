"""Where each cell of a dense class map sits in the input: receptive-field geometry, tiles, OverFeat offsets.

Geometry per axis, in input pixel indices (pixel ``i`` covers ``[i - ½, i + ½]``): cell ``k`` of the output is
centred at ``start + k·jump`` and depends on the ``size`` pixels around that centre. It is read from the
convolutions and poolings of the convolutionized fx graph (the textbook recurrence
``jump' = jump·stride``, ``start' = start + ((k_eff − 1)/2 − padding)·jump``, ``size' = size + (k_eff − 1)·jump``),
merging branches (ResNet, Inception) that must agree on the jump.

Global poolings *inside* the network (squeeze-excitation gates of EfficientNet, MobileNetV3, RegNet-Y) are
allowed: each cell stays centred where the recurrence says, but it also sees the whole image through the
gates, so ``global_context`` is set (tiles then would not reproduce the untiled result exactly).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch.nn.functional as F
from torch import fx, nn

from viewer.core.errors import UnsupportedModelError
from viewer.engine.heatmap.convolutionize import ConvolutionizedLinear

__all__ = ["GridGeometry", "OffsetSplit", "grid_geometry", "place_on_image", "plan_tiles", "split_for_offsets"]

_Axis = tuple[float, float]  # (y, x)


@dataclass(frozen=True)
class GridGeometry:
    """Cell ``(i, j)`` is centred at ``(start[0] + i·jump[0], start[1] + j·jump[1])`` input pixels."""

    jump: tuple[float, float]
    start: tuple[float, float]
    size: tuple[float, float]  # receptive field, pixels
    global_context: bool = False

    def centres(self, grid_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = grid_shape
        return (
            self.start[0] + self.jump[0] * np.arange(rows, dtype=np.float64),
            self.start[1] + self.jump[1] * np.arange(cols, dtype=np.float64),
        )

    def refined(self, factors: tuple[int, int]) -> GridGeometry:
        """The geometry of a grid ``factors`` (y, x) times finer (OverFeat's interleaved offsets)."""
        jump = (self.jump[0] / factors[0], self.jump[1] / factors[1])
        return GridGeometry(jump, self.start, self.size, self.global_context)


@dataclass(frozen=True)
class _Geo:
    jump: _Axis
    start: _Axis
    size: _Axis


_GLOBAL = "global"
_SPATIAL_FUNCTIONS = {F.conv2d, F.max_pool2d, F.avg_pool2d}
_RESIZING = {F.interpolate, F.upsample, F.upsample_bilinear, F.upsample_nearest, F.pixel_shuffle}


Pair = tuple[int, int]
Window = tuple[Pair, Pair, Pair, Pair]
"""(kernel, stride, padding, dilation), each (height, width)."""


def _pair(value: int | Sequence[int]) -> Pair:
    """An int or a (height, width) sequence as a pair (a one-element sequence counts for both, as in torch)."""
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[-1])


def _window(gm: fx.GraphModule, node: fx.Node) -> Window | None:
    """(kernel, stride, padding, dilation) pairs of a convolution or pooling node, else None."""
    if node.op == "call_module":
        module = gm.get_submodule(str(node.target))  # a call_module's target is the module's name
        if isinstance(module, nn.Conv2d):
            kernel, dilation = _pair(module.kernel_size), _pair(module.dilation)
            if module.padding == "valid":
                padding: Pair = (0, 0)
            elif isinstance(module.padding, str):  # "same"
                padding = (dilation[0] * (kernel[0] - 1) // 2, dilation[1] * (kernel[1] - 1) // 2)
            else:
                padding = _pair(module.padding)
            return kernel, _pair(module.stride), padding, dilation
        if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            kernel = _pair(module.kernel_size)
            stride = _pair(module.stride or module.kernel_size)
            return kernel, stride, _pair(module.padding), _pair(getattr(module, "dilation", 1))
        if isinstance(module, (nn.Upsample, nn.PixelShuffle, nn.ConvTranspose2d)):
            raise UnsupportedModelError(f"{node.target} resizes the map; dense heatmap geometry needs strides ≥ 1.")
        return None
    if node.op == "call_function" and node.target in _RESIZING:
        raise UnsupportedModelError(f"{node.name} resizes the map; dense heatmap geometry needs strides ≥ 1.")
    if node.op == "call_function" and node.target is F.pad:
        return _pad_window(node)
    if node.op == "call_function" and node.target is operator.getitem:
        return _slice_window(node)
    if node.op == "call_function" and node.target in _SPATIAL_FUNCTIONS:
        arguments = node.normalized_arguments(gm, normalize_to_only_use_kwargs=True)
        kwargs = dict(arguments.kwargs) if arguments is not None else {}
        if node.target is F.conv2d:
            kernel_size = node.all_input_nodes[1].meta["shape"][-2:]  # the weight's (kH, kW)
            stride_arg = kwargs.get("stride", 1)
        else:
            kernel_size = kwargs.get("kernel_size")
            stride_arg = kwargs.get("stride") or kernel_size
        return _pair(kernel_size), _pair(stride_arg), _pair(kwargs.get("padding", 0)), _pair(kwargs.get("dilation", 1))
    return None


def _pad_window(node: fx.Node) -> Window | None:
    """``F.pad`` as a window: channel-only padding (CIFAR ResNets' option-A shortcut) leaves the map where it is;
    constant spatial padding shifts it as a convolution's padding does (kernel 1, stride 1)."""
    raw = node.args[1] if len(node.args) > 1 else node.kwargs.get("pad", ())
    mode = node.args[2] if len(node.args) > 2 else node.kwargs.get("mode", "constant")
    pad = [v for v in raw if isinstance(v, int)] if isinstance(raw, (tuple, list)) else []
    if not isinstance(raw, (tuple, list)) or len(pad) != len(raw):
        raise UnsupportedModelError(f"{node.name} pads by amounts computed at run time; cells have no fixed position.")
    # F.pad lists (before, after) pairs from the last axis backwards: W, then H, then channels.
    left, right, top, bottom = ((*pad, 0, 0, 0, 0))[:4]
    if (left, right, top, bottom) == (0, 0, 0, 0):
        return None  # channels (or batch) only: the map is not moved, each cell keeps its place
    if mode != "constant":
        raise UnsupportedModelError(
            f"{node.name} pads the map in {mode!r} mode; dense heatmap geometry follows only constant padding."
        )
    return (1, 1), (1, 1), (top, left), (1, 1)


def _slice_window(node: fx.Node) -> Window | None:
    """``x[..., a::s, b::t]`` on a 4-D map as a window: kernel 1, stride (s, t), starting at (a, b).

    CIFAR ResNets' option-A shortcut subsamples with ``x[:, :, ::2, ::2]``. Any other indexing (a tuple
    element of a multi-output call, channel selection) does not move the map and is left alone.
    """
    source = node.args[0] if node.args else None
    index = node.args[1] if len(node.args) > 1 else None
    shape = source.meta.get("shape") if isinstance(source, fx.Node) else None
    if shape is None or len(shape) != 4 or not isinstance(index, tuple):
        return None
    if not all(isinstance(item, slice) or item is Ellipsis for item in index):
        return None
    items = list(index)
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at : at + 1] = [slice(None)] * (4 - len(items) + 1)
    items += [slice(None)] * (4 - len(items))
    spatial = items[2:4]
    steps: list[int] = []
    starts: list[int] = []
    for item in spatial:
        start, step = item.start or 0, item.step or 1
        if not isinstance(start, int) or not isinstance(step, int) or start < 0 or step < 1:
            raise UnsupportedModelError(
                f"{node.name} slices the map from its far end or by a computed amount; cells have no fixed position."
            )
        steps.append(step)
        starts.append(start)
    if steps == [1, 1] and starts == [0, 0]:
        return None
    # Skipping the first `start` pixels is a negative padding of the recurrence.
    return (1, 1), (steps[0], steps[1]), (-starts[0], -starts[1]), (1, 1)


def _through(geo: _Geo, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> _Geo:
    effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    jump = [j * s for j, s in zip(geo.jump, stride, strict=True)]
    start = [c + ((e - 1) / 2 - p) * j for c, e, p, j in zip(geo.start, effective, padding, geo.jump, strict=True)]
    size = [z + (e - 1) * j for z, e, j in zip(geo.size, effective, geo.jump, strict=True)]
    return _Geo((jump[0], jump[1]), (start[0], start[1]), (size[0], size[1]))


def _is_global_reduction(node: fx.Node) -> bool:
    """An adaptive pooling/mean that collapses an h×w map (to 1×1 or no spatial axes at all)."""
    shape, source = node.meta.get("shape"), next(iter(node.all_input_nodes), None)
    if shape is None or source is None or source.meta.get("shape") is None:
        return False
    before = source.meta["shape"]
    return len(before) == 4 and before[-2:] != (1, 1) and (len(shape) < 4 or tuple(shape[-2:]) == (1, 1))


def grid_geometry(fcn: fx.GraphModule) -> GridGeometry:
    """The geometry of the class map of a convolutionized network (shapes must be in ``node.meta``)."""
    geos: dict[fx.Node, _Geo | str | None] = {}
    global_context = False
    result: _Geo | str | None = None
    for node in fcn.graph.nodes:
        if node.op == "placeholder":
            geos[node] = _Geo((1.0, 1.0), (0.0, 0.0), (1.0, 1.0))
            continue
        if node.op == "output":
            result = geos.get(node.all_input_nodes[0]) if node.all_input_nodes else None
            break
        inputs = [geos.get(arg) for arg in node.all_input_nodes if geos.get(arg) is not None]
        local = [geo for geo in inputs if isinstance(geo, _Geo)]
        if not inputs:
            geos[node] = None
            continue
        window = _window(fcn, node)
        if window is not None and local:
            geos[node] = _through(local[0], *window)
        elif _is_global_reduction(node) or not local:
            geos[node] = _GLOBAL
        else:
            if len({geo.jump for geo in local}) > 1:
                raise UnsupportedModelError(
                    f"{node.name} merges branches of different strides; cells have no single position."
                )
            global_context = global_context or len(local) < len(inputs)
            size = (max(geo.size[0] for geo in local), max(geo.size[1] for geo in local))
            geos[node] = _Geo(local[0].jump, local[0].start, size)
    if not isinstance(result, _Geo):
        raise UnsupportedModelError("the class map does not come from a sliding window (it sees the whole image).")
    return GridGeometry(result.jump, result.start, result.size, global_context)


def place_on_image(
    scores: np.ndarray,
    centres: tuple[np.ndarray, np.ndarray],
    input_size: tuple[int, int],
    image_size: tuple[int, int],
) -> np.ndarray:
    """Bilinear interpolation of a cell grid onto every pixel of the original image.

    Args:
        scores: (rows, cols) values of the cells.
        centres: the cells' centres (ys, xs) in the resized input's pixel indices.
        input_size: (width, height) of the resized input the network saw.
        image_size: (width, height) of the original image.
    Returns:
        (height, width) float32: beyond the outermost centres the edge value is held.
    """
    out_width, out_height = image_size
    axes = []
    for centre, resized, original, length in (
        (centres[0], input_size[1], out_height, scores.shape[0]),
        (centres[1], input_size[0], out_width, scores.shape[1]),
    ):
        # A cell centre c (resized pixel index) lies at (c + ½)·original/resized − ½ in the original image.
        in_image = (centre + 0.5) * (original / resized) - 0.5
        pixels = np.arange(original, dtype=np.float64)
        position = (
            np.interp(pixels, in_image, np.arange(length, dtype=np.float64)) if length > 1 else np.zeros(original)
        )
        low = np.clip(np.floor(position).astype(np.int64), 0, length - 1)
        high = np.minimum(low + 1, length - 1)
        axes.append((low, high, (position - low).astype(np.float32)))
    (y0, y1, wy), (x0, x1, wx) = axes
    grid = scores.astype(np.float32)
    # Separable: along x on the few cell rows first, then along y, so only two full-size gathers are made
    # (four corner images before). No BLAS: its threads stall for a time slice on a busy machine.
    across = grid[:, x0] * (1 - wx) + grid[:, x1] * wx  # (rows, width)
    out = across[y0]
    out *= (1 - wy)[:, None]
    out += across[y1] * wy[:, None]
    return out


@dataclass(frozen=True)
class Tile:
    """Input window ``[y0:y1, x0:x1]`` whose output rows/cols ``take`` fill grid block ``place``."""

    window: tuple[int, int, int, int]  # y0, y1, x0, x1
    take: tuple[slice, slice]
    place: tuple[slice, slice]


def plan_tiles(
    geometry: GridGeometry,
    grid_shape: tuple[int, int],
    input_shape: tuple[int, int],
    align: tuple[int, int],
    max_tile_pixels: int,
) -> list[Tile]:
    """Tiles whose kept cells see exactly what they see in the untiled pass.

    A kept cell's whole receptive field lies inside its tile or is cut by the image's own border (as in the
    untiled pass), and every tile starts at a multiple of ``align`` (the network's total stride), so the
    tile's inner grids coincide with the full image's. Tiles therefore overlap by one receptive field.
    """
    half = [(size - 1) / 2 for size in geometry.size]
    tiling = max_tile_pixels < input_shape[0] * input_shape[1]
    budget = float(max_tile_pixels)
    per_axis = []
    for axis in range(2):
        jump, length, cells = geometry.jump[axis], input_shape[axis], grid_shape[axis]
        # Rows first (as square as the budget allows), then as many columns as the rows leave room for.
        side = min(length, math.sqrt(budget)) if axis == 0 else budget
        count = cells if not tiling or side >= length else int((side - geometry.size[axis] - align[axis]) // jump) + 1
        # A budget below one receptive field still gets the smallest exact tile (one cell along this axis):
        # the caller asked for less memory (e.g. after a GPU out-of-memory), and that is the least there is.
        count = max(count, 1)
        if axis == 0:
            budget /= min(length, (count - 1) * jump + geometry.size[axis] + align[axis])
        ranges = []
        for first in range(0, cells, count):
            last = min(first + count, cells) - 1
            low = geometry.start[axis] + first * jump - half[axis]
            high = geometry.start[axis] + last * jump + half[axis]
            begin = 0 if low <= 0 else int(low // align[axis]) * align[axis]
            end = length if high >= length - 1 else min(length, math.ceil(high) + 1)
            offset = round(begin / jump)
            ranges.append(((begin, end), slice(first - offset, last + 1 - offset), slice(first, last + 1)))
        per_axis.append(ranges)
    return [
        Tile((ys[0][0], ys[0][1], xs[0][0], xs[0][1]), (ys[1], xs[1]), (ys[2], xs[2]))
        for ys in per_axis[0]
        for xs in per_axis[1]
    ]


@dataclass
class OffsetSplit:
    """A network cut at its final max-pool: ``head(pool(features(x)))`` is the whole network."""

    features: fx.GraphModule
    pool: nn.MaxPool2d
    head: fx.GraphModule
    stride: tuple[int, int]


def split_for_offsets(fcn: fx.GraphModule) -> OffsetSplit | str:
    """Cut ``fcn`` at its last max-pool if nothing spatial but the classifier follows it; else the reason."""
    nodes = list(fcn.graph.nodes)
    pools = [n for n in nodes if n.op == "call_module" and isinstance(fcn.get_submodule(str(n.target)), nn.MaxPool2d)]
    if not pools:
        return "it has no max-pooling layer before its classifier"
    pool_node = pools[-1]
    after = nodes[nodes.index(pool_node) + 1 :]
    allowed = {pool_node} | set(after)
    for node in after:
        window = _window(fcn, node) if node.op != "output" else None
        module = fcn.get_submodule(str(node.target)) if node.op == "call_module" else None
        if window is not None and not (isinstance(module, ConvolutionizedLinear) and tuple(module.stride) == (1, 1)):
            return f"its last max-pool is followed by another spatial layer ({node.name})"
        if any(arg not in allowed and arg.op != "get_attr" for arg in node.all_input_nodes):
            return "its last max-pool does not carry all the information to the classifier (a skip connection)"
    pool = fcn.get_submodule(str(pool_node.target))
    if not isinstance(pool, nn.MaxPool2d):  # found as one above
        return "its last max-pool is not a max-pool module"
    if pool.padding not in (0, (0, 0)) or pool.ceil_mode:
        return "its last max-pool pads its input, so shifted poolings would not line up"

    features_graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    for node in nodes[: nodes.index(pool_node)]:
        env[node] = features_graph.node_copy(node, lambda arg: env[arg])
    features_graph.output(env[pool_node.all_input_nodes[0]])
    features = fx.GraphModule(fcn, features_graph)
    features.graph.eliminate_dead_code()
    features.recompile()

    head_graph = fx.Graph()
    env = {pool_node: head_graph.placeholder("pooled")}
    for node in after:
        for arg in node.all_input_nodes:
            if arg not in env:  # a parameter fetched before the pool
                env[arg] = head_graph.node_copy(arg, lambda a: env[a])
        env[node] = head_graph.node_copy(node, lambda arg: env[arg])
    return OffsetSplit(features, pool, fx.GraphModule(fcn, head_graph), _pair(pool.stride or pool.kernel_size))
