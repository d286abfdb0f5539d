"""Turning a classifier into a fully convolutional network (Long et al.; Sermanet et al., OverFeat).

The lecture's routine replaces every ``nn.Linear`` of a ``Sequential`` by a convolution. Real networks are
not Sequentials, so the rewrite works on the ``torch.fx`` graph of the model instead, which makes it one
mechanism for every architecture rather than code per model:

1. trace the model (in eval mode) and propagate shapes at the canonical input size, on meta tensors so that
   no arithmetic is done;
2. find the *flatten point*: the last node that turns an (N, C, H, W) map into an (N, C·H·W) vector
   (``torch.flatten``, ``nn.Flatten``, ``view``/``reshape``, or ``mean`` over the spatial axes);
3. look upstream of it for the pooling that only exists to fix the size of that vector and remove it:
   an adaptive pooling that is the identity at the canonical size (AlexNet/VGG's ``AdaptiveAvgPool2d``), or
   a *global* pooling (ResNet, GoogLeNet, MobileNet, DenseNet, EfficientNet, NiN...), whose removal leaves
   one feature vector per position, so that the classifier becomes dense (a class activation map);
4. downstream, the first ``Linear`` becomes a C→N H×W convolution holding the same weights (a reshape), the
   later ones 1×1 convolutions; dropout and activations stay (they act per position);
5. shape-propagate again at a larger input to prove that the result really is an (N, classes, h, w) map.

Networks where it cannot hold raise :class:`UnsupportedModelError` with the reason (attention over a fixed
token grid, an operation after the flatten that mixes the vector's entries, an untraceable forward...).

This module changes the graph; what it asks of the graph (shapes, which node flattens, pools globally or acts
per position) is answered by :mod:`viewer.engine.heatmap.traced`.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx, nn

from viewer.core.errors import UnsupportedModelError
from viewer.engine.fx_tracers import symbolic_trace
from viewer.engine.heatmap.convolutionized_linear import ConvolutionizedLinear
from viewer.engine.heatmap.traced import (
    ADAPTIVE_POOL_FUNCTIONS,
    ADAPTIVE_POOLS,
    PER_POSITION_FUNCTIONS,
    PER_POSITION_MODULES,
    descendants,
    first_tensor_input,
    global_pool_kind,
    is_flatten_point,
    module_of,
    node_label,
    propagate_shapes,
    reject_attention,
    shape_if_tensor,
    shape_of,
)

__all__ = [
    "ConversionInfo",
    "ConvolutionizedLinear",
    "conversion_of",
    "convolutionize",
    "propagate_shapes",
    "reduce_to_logits",
]


@dataclass
class ConversionInfo:
    """What :func:`convolutionize` did, for notes, tests and the heatmap's reduction at the canonical size.

    ``head``: ``"window"`` when the class map at the canonical size is 1×1 and equals the original logits
    (AlexNet, VGG, LeNet); ``"global-average"``/``"global-max"`` when a global pooling was removed, so the
    map at the canonical size is h×w and its spatial mean (max) gives the original logits — exactly when
    ``exact_reduction`` (the head after the pool is affine).
    """

    head: str
    input_shape: tuple[int, int, int]
    canonical_grid: tuple[int, int]
    exact_reduction: bool
    converted: list[str] = field(default_factory=list)  # "classifier.1: Linear(9216→4096) → Conv2d 6×6"
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def convolutionize(model: nn.Module, input_shape: tuple[int, int, int]) -> fx.GraphModule:
    """A fully convolutional copy of ``model`` whose output is (N, classes, h, w).

    Parameters are shared with ``model`` (no copy). The copy is traced in eval mode; dropout modules keep
    following ``.train()``. ``result.conversion`` is a :class:`ConversionInfo`.

    Args:
        model: a classifier returning (N, classes) logits at ``input_shape``.
        input_shape: its canonical input (C, H, W), e.g. (3, 224, 224).

    Raises:
        UnsupportedModelError: the model cannot be converted (the message says why).
    """
    reject_attention(model)
    was_training = model.training
    model.eval()
    try:
        gm = symbolic_trace(model)  # fx.symbolic_trace, with nothing left holding the model (fx_tracers)
    except Exception as error:
        raise UnsupportedModelError(
            f"{type(model).__name__} cannot be traced by torch.fx ({type(error).__name__}: {str(error)[:160]})."
        ) from None
    finally:
        model.train(was_training)
    canonical = (1, *input_shape)
    try:
        out = propagate_shapes(gm, canonical)
    except Exception as error:
        raise UnsupportedModelError(
            f"{type(model).__name__} fails on a {tuple(input_shape)} input ({str(error).splitlines()[0][:160]})."
        ) from None
    if len(out) == 4:
        raise UnsupportedModelError(f"{type(model).__name__} already outputs a {tuple(out)} map: it is convolutional.")

    nodes = list(gm.graph.nodes)
    flatten = next((n for n in reversed(nodes) if is_flatten_point(gm, n)), None)
    if flatten is None:
        raise UnsupportedModelError(
            f"{type(model).__name__} never flattens a C×H×W feature map into its classifier, so there is no "
            "linear layer to turn into a convolution."
        )
    c, h, w = input_shape
    info = ConversionInfo(head="window", input_shape=(c, h, w), canonical_grid=(1, 1), exact_reduction=True)
    order = {node: index for index, node in enumerate(nodes)}
    downstream = sorted(descendants(flatten), key=order.__getitem__)  # what consumed the vector
    feature_node, pool_kind, affine = _remove_upstream_pooling(gm, flatten, info)
    flattened = first_tensor_input(flatten)
    if flatten.users and flattened is not None:
        flatten.replace_all_uses_with(flattened)
    channels, height, width = shape_of(feature_node)[1:]
    if pool_kind is not None:
        info.head = f"global-{pool_kind}"
        height = width = 1  # a vector per position: the linears become 1×1 convolutions
    affine = _rewrite_downstream(gm, downstream, channels, (height, width), info, type(model).__name__) and affine
    if pool_kind is not None and not affine:
        info.exact_reduction = False
        info.notes.append(
            "the classifier after the removed pooling is not affine, so the class map's spatial "
            "mean only approximates the original logits"
        )
    gm.graph.eliminate_dead_code()
    gm.graph.lint()
    gm.recompile()
    gm.delete_all_unused_submodules()

    grid_height, grid_width = shape_of(feature_node)[2:]
    info.canonical_grid = (1, 1) if pool_kind is None else (grid_height, grid_width)
    _check_dense(gm, canonical, type(model).__name__)
    vars(gm)["conversion"] = info  # a plain attribute (as ``gm.conversion = info``); see conversion_of
    gm.training = was_training  # its own flag only: .train()/.eval() would recurse into the shared layers
    return gm


def _remove_upstream_pooling(
    gm: fx.GraphModule, flatten: fx.Node, info: ConversionInfo
) -> tuple[fx.Node, str | None, bool]:
    """Remove the size-fixing pooling above the flatten.

    Returns the node that now feeds the classifier, the kind of global pooling removed (or None) and
    whether everything between that pooling and the flatten is affine (so that averaging commutes with it).
    """
    source = first_tensor_input(flatten)
    if source is None:  # a flatten point has a tensor input (_is_flatten_point)
        raise UnsupportedModelError(f"{flatten.name} flattens no tensor.")
    # The flatten may itself be the global pooling (``x.mean([2, 3])`` in ShuffleNet, MnasNet).
    kind = global_pool_kind(gm, flatten)
    if kind is not None:
        info.removed.append(f"{flatten.name}: global {kind} pooling and flatten")
        flatten.replace_all_uses_with(source)
        return source, kind, True
    features = shape_of(flatten)[1]
    # Walk up through nodes that hold just the vector (dropout, ConvNeXt's LayerNorm2d...) to a global pool.
    node: fx.Node | None = source
    affine = True
    while node is not None and node.op != "placeholder" and math.prod(shape_of(node)[1:]) == features:
        kind = global_pool_kind(gm, node)
        below = first_tensor_input(node)
        if kind is not None and below is not None:  # a global pool has a tensor input (_is_global_pool)
            info.removed.append(f"{node_label(node)}: global {kind} pooling")
            node.replace_all_uses_with(below)
            return (below if source is node else source), kind, affine
        if not isinstance(module_of(gm, node), (nn.Dropout, nn.Identity)):
            affine = False
        node = first_tensor_input(node)
    # Otherwise drop adaptive poolings that are the identity at the canonical size (AlexNet, VGG).
    node = source
    while node is not None:
        module = module_of(gm, node)
        is_adaptive = isinstance(module, ADAPTIVE_POOLS) or (
            node.op == "call_function" and node.target in ADAPTIVE_POOL_FUNCTIONS
        )
        below = first_tensor_input(node)
        if is_adaptive and below is not None and shape_if_tensor(below) == shape_if_tensor(node):
            info.removed.append(
                f"{node_label(node)}: adaptive pooling, the identity at the canonical size "
                f"(it only forces the {shape_of(node)[2]}×{shape_of(node)[3]} size)"
            )
            node.replace_all_uses_with(below)
            source = below if node is source else source
        if isinstance(module, (nn.Dropout, nn.Identity)) and below is not None:
            node = below
            continue
        break
    return source, None, True


def _rewrite_downstream(
    gm: fx.GraphModule,
    downstream: list[fx.Node],
    channels: int,
    kernel: tuple[int, int],
    info: ConversionInfo,
    model_name: str,
) -> bool:
    """Turn every Linear after the flatten into a convolution; reject what has no per-position form.

    Returns whether the whole head is affine (only linears and dropout), i.e. commutes with averaging.
    """
    converted_any = False
    affine = True
    for node in downstream:
        if node.op in ("output", "get_attr") or (node.op == "call_function" and node.target is operator.getitem):
            continue
        module = module_of(gm, node)
        if isinstance(module, nn.Linear):
            conv = ConvolutionizedLinear(module, channels, kernel)
            gm.add_submodule(str(node.target), conv)
            info.converted.append(
                f"{node.target}: Linear({module.in_features}→{module.out_features}) → Conv2d "
                f"{conv.in_channels}→{conv.out_channels} {conv.kernel_size[0]}×{conv.kernel_size[1]}"
            )
            converted_any = True
            channels, kernel = module.out_features, (1, 1)
        elif isinstance(module, nn.BatchNorm1d):
            norm = nn.BatchNorm2d(
                module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats
            ).to(next(module.buffers()).device)
            norm.load_state_dict(module.state_dict())
            gm.add_submodule(str(node.target), norm.train(module.training))
            info.converted.append(f"{node.target}: BatchNorm1d → BatchNorm2d")
        elif isinstance(module, PER_POSITION_MODULES) or (
            node.op == "call_function" and node.target in PER_POSITION_FUNCTIONS
        ):
            if not isinstance(module, (nn.Dropout, nn.Identity)) and node.target is not F.dropout:
                affine = False
        else:
            what = node.target if node.op == "call_module" else getattr(node.target, "__name__", str(node.target))
            raise UnsupportedModelError(
                f"{model_name}: {what} after the flatten acts on the whole feature vector, which has no "
                "per-position (convolutional) equivalent."
            )
    if not converted_any and kernel != (1, 1):
        raise UnsupportedModelError(f"{model_name}: the flattened {kernel[0]}×{kernel[1]} map feeds no Linear layer.")
    return affine


def _check_dense(gm: fx.GraphModule, canonical: tuple[int, ...], name: str) -> None:
    """Prove the result is an (N, classes, h, w) map that grows with the input (one meta pass, no arithmetic)."""
    larger = (*canonical[:2], canonical[2] + canonical[2] // 2, canonical[3] + canonical[3] // 2)
    try:
        bigger = propagate_shapes(gm, larger)
    except Exception as error:
        raise UnsupportedModelError(
            f"{name}: the convolutionized network fails on a larger input ({str(error).splitlines()[0][:160]})."
        ) from None
    if len(bigger) != 4 or bigger[2] * bigger[3] <= 1:
        raise UnsupportedModelError(
            f"{name}: the rewritten network does not output a growing class map ({tuple(bigger)})."
        )


def conversion_of(network: nn.Module) -> ConversionInfo:
    """The :class:`ConversionInfo` that :func:`convolutionize` attached to ``network`` as ``.conversion``."""
    info = vars(network).get("conversion")
    if not isinstance(info, ConversionInfo):
        raise UnsupportedModelError(f"{type(network).__name__} was not made by convolutionize().")
    return info


def reduce_to_logits(fcn: fx.GraphModule, class_map: torch.Tensor) -> torch.Tensor:
    """(N, classes, h, w) → (N, classes) the way the original network reduces its canonical input."""
    head = conversion_of(fcn).head
    if head == "global-average":
        return class_map.mean(dim=(2, 3))
    if head == "global-max":
        return class_map.amax(dim=(2, 3))
    return class_map.flatten(2).mean(dim=2) if class_map.shape[-2:] != (1, 1) else class_map[:, :, 0, 0]
