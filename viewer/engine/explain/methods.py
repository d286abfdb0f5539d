"""Explanation methods beside the dense map: Grad-CAM, occlusion, gradient saliency, integrated gradients.

Every method is a generator (:data:`viewer.core.progress.Job`): it yields :class:`~viewer.core.progress.Progress`
between steps, where the worker may cancel, and returns an :class:`Explanation`, a float32 map in the image's own
pixel coordinates. The gradient methods are Captum's (``LayerGradCam``, ``Saliency``, ``IntegratedGradients``);
occlusion is hand-written (:mod:`viewer.engine.explain.occlusion` says why); ``dense`` is the convolutionized map
of :mod:`viewer.engine.heatmap.dense`, offered here so that every view and the CLI treat all five alike.

Methods see the whole image (:mod:`viewer.engine.explain.input`). :func:`applicable_methods` says which methods
a network allows, and why not the others.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from viewer.core.errors import ModelError, UnsupportedModelError
from viewer.core.options import EXPLAIN_DEFAULTS, EXPLAIN_METHODS
from viewer.core.progress import Progress
from viewer.core.results.explain import METHOD_LABELS, Explanation
from viewer.engine.explain.input import ExplainInput, explain_input, to_image_pixels
from viewer.engine.explain.occlusion import check_occlusion, occlusion_sweep
from viewer.engine.images import LoadedImage, load_image
from viewer.engine.models.weights import LoadedModel
from viewer.engine.versions import library_versions

if TYPE_CHECKING:  # heatmap is imported when the dense method first runs
    from viewer.core.results.heatmap import ClassHeatmap

__all__ = [
    "METHODS",
    "METHOD_LABELS",
    "applicable_methods",
    "explain",
    "gradcam_layer",
    "run_explain",
]

METHODS = EXPLAIN_METHODS
_TRANSFORMERS = ("Vision Transformer", "Swin Transformer", "MaxViT")
_POOLS = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.AvgPool2d, nn.MaxPool2d)


# --- which methods apply ------------------------------------------------------------------------------------

_LAYERS: weakref.WeakKeyDictionary[nn.Module, tuple[str | None, str | None]] = weakref.WeakKeyDictionary()


def gradcam_layer(loaded: LoadedModel) -> tuple[str | None, str | None]:
    """(name of the last convolutional stage, None) or (None, why Grad-CAM does not apply).

    The stage is the last module, in the order modules finish, whose output is a (N, C, H, W) map with H, W > 1
    and which is not a pooling: ``features`` for VGG and MobileNet, ``layer4`` for ResNet, ``inception5b`` for
    GoogLeNet. Found once per model with a forward on fake tensors (no computation).
    """
    model = loaded.model
    if model in _LAYERS:
        return _LAYERS[model]
    if loaded.spec.family in _TRANSFORMERS:
        found: tuple[str | None, str | None] = (
            None,
            f"{loaded.name} is a transformer: its last stage attends over patch tokens; it has no convolutional "
            "stage whose feature maps feed the classifier",
        )
        _LAYERS[model] = found
        return found
    finished: list[tuple[str, tuple[int, ...]]] = []
    names = {module: name for name, module in model.named_modules() if name}

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        if isinstance(output, torch.Tensor) and not isinstance(module, _POOLS):
            finished.append((names[module], tuple(output.shape)))

    handles = [module.register_forward_hook(record) for module in names]
    from torch._subclasses.fake_tensor import FakeTensorMode

    from viewer.engine.quiet import quiet_torch_logs

    try:  # a network that refuses its own input size raises here, and torch would log it first
        with quiet_torch_logs(), FakeTensorMode(allow_non_fake_inputs=True), torch.no_grad():
            model(torch.empty(1, *loaded.input.shape, device=loaded.device))
    finally:
        for handle in handles:
            handle.remove()
    spatial = [name for name, shape in finished if len(shape) == 4 and shape[2] > 1 and shape[3] > 1]
    found = (
        (spatial[-1], None)
        if spatial
        else (None, f"{loaded.name} has no convolutional stage with a spatial map (H, W > 1) before its classifier")
    )
    _LAYERS[model] = found
    return found


def applicable_methods(loaded: LoadedModel) -> dict[str, str | None]:
    """Each method of :data:`METHODS` → None where it applies to ``loaded``, else the reason it does not."""
    reasons: dict[str, str | None] = dict.fromkeys(METHODS)
    try:
        from viewer.engine.heatmap.dense import dense_network

        dense_network(loaded)
    except (UnsupportedModelError, ModelError) as error:
        reasons["dense"] = str(error)
    except Exception as error:  # convolutionizing an unknown network may fail in any way
        reasons["dense"] = f"{loaded.name} cannot be convolutionized ({type(error).__name__}: {error})"
    reasons["gradcam"] = gradcam_layer(loaded)[1]
    return reasons


# --- the methods --------------------------------------------------------------------------------------------


# A method's result: the map in network-input pixels, and its raw grid where it has one (else None).
_MethodJob = Generator[Progress, None, tuple[np.ndarray, np.ndarray | None]]


def _forward(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """``model`` as Captum's forward: the logits tensor, the first item where the network returns a tuple."""

    def forward(x: torch.Tensor) -> torch.Tensor:
        output = model(x)
        logits = output[0] if isinstance(output, tuple) else output
        if not isinstance(logits, torch.Tensor):
            raise ModelError(f"the network returned {type(logits).__name__}, not a tensor of class scores")
        return logits

    return forward


def _leaf(tensor: torch.Tensor) -> torch.Tensor:
    """A copy that requires gradients (Captum warns when it has to set that itself)."""
    return tensor.detach().clone().requires_grad_(True)


def _gradcam(loaded: LoadedModel, prepared: ExplainInput, class_index: int, params: dict[str, Any]) -> _MethodJob:
    from captum.attr import LayerGradCam

    layer, reason = gradcam_layer(loaded)
    if layer is None:
        raise UnsupportedModelError(f"Grad-CAM: {reason}.")
    params["layer"] = layer
    yield Progress(1, 2, f"Grad-CAM on {layer}: forward and backward")
    cam = LayerGradCam(_forward(loaded.model), loaded.model.get_submodule(layer))
    with torch.enable_grad():
        attribution = cam.attribute(_leaf(prepared.tensor), target=class_index, relu_attributions=True)
    raw = attribution.detach()[0, 0].float().cpu().numpy()
    return raw, raw


def _saliency(loaded: LoadedModel, prepared: ExplainInput, class_index: int, params: dict[str, Any]) -> _MethodJob:
    from captum.attr import Saliency

    params["reduce"] = "max |gradient| over channels (Simonyan et al. 2014)"
    yield Progress(1, 2, "saliency: forward and backward")
    with torch.enable_grad():
        attribution = Saliency(_forward(loaded.model)).attribute(_leaf(prepared.tensor), target=class_index, abs=True)
    return attribution.detach()[0].amax(dim=0).float().cpu().numpy(), None


def _integrated_gradients(
    loaded: LoadedModel, prepared: ExplainInput, class_index: int, params: dict[str, Any]
) -> _MethodJob:
    """Captum's IG quadrature over exactly ``steps`` points, in ``chunks`` groups so that the worker may cancel
    between them (``viewer.engine.explain.ig``)."""
    from viewer.engine.explain.ig import QUADRATURE, chunk_sizes, integrated_gradients

    ig = EXPLAIN_DEFAULTS["ig"]
    steps, chunks = int(params.setdefault("steps", ig["steps"])), int(params.setdefault("chunks", ig["chunks"]))
    internal = int(params.setdefault("internal_batch_size", 8))
    if steps < 1 or chunks < 1 or internal < 1:
        raise ModelError("integrated gradients: steps, chunks and internal_batch_size must be at least 1.")
    params["baseline"] = "the training mean colour (0 after normalisation)"
    params["reduce"] = "sum of |attribution| over channels"
    params["method"] = QUADRATURE
    params["chunk_steps"] = chunk_sizes(steps, chunks)  # they add up to ``steps``: the number used is the one asked
    x = prepared.tensor
    attribution = yield from integrated_gradients(
        _forward(loaded.model), x, torch.zeros_like(x), class_index, steps=steps, chunks=chunks,
        internal_batch_size=internal,
    )  # fmt: skip
    return attribution[0].abs().sum(dim=0).float().cpu().numpy(), None


def _occlusion(loaded: LoadedModel, prepared: ExplainInput, class_index: int, params: dict[str, Any]) -> _MethodJob:
    occlusion = EXPLAIN_DEFAULTS["occlusion"]
    patch, stride = (
        int(params.setdefault("patch", occlusion["patch"])),
        int(params.setdefault("stride", occlusion["stride"])),
    )
    score = str(params.setdefault("score", "prob"))
    batch = int(params.setdefault("batch_size", 32))
    check_occlusion(prepared.size, patch, stride)
    params["fill"] = "the training mean colour (0 after normalisation)"
    params["units"] = "patch and stride in network-input pixels"
    sweep = yield from occlusion_sweep(
        loaded.model,
        prepared.tensor,
        class_index,
        patch=patch,
        stride=stride,
        score=score,
        batch_size=batch,
        step_seconds=params.get("step_seconds"),
    )
    params["patches"] = sweep.patches
    params["base_score"] = sweep.base_score
    return sweep.scores, sweep.grid


_GRADIENT_METHODS = {"gradcam": _gradcam, "saliency": _saliency, "ig": _integrated_gradients, "occlusion": _occlusion}


def _dense(
    loaded: LoadedModel, image: LoadedImage, class_index: int, params: dict[str, Any]
) -> Generator[Progress, None, ClassHeatmap]:
    """The convolutionized map; accepts the heatmap generator's protocol of either kind (a final yielded
    result, or a ``return``\\ ed one)."""
    from viewer.core.results.heatmap import ClassHeatmap
    from viewer.engine.heatmap.dense import dense_heatmap

    params.setdefault("scales", [1.0, 1.4, 2.0])
    params.setdefault("mode", "softmax")
    job = dense_heatmap(loaded, image, class_index=class_index, scales=tuple(params["scales"]), mode=params["mode"])
    result: ClassHeatmap | None = None
    while True:
        try:
            item = next(job)
        except StopIteration as stop:
            result = stop.value if isinstance(stop.value, ClassHeatmap) else result
            break
        if isinstance(item, ClassHeatmap):
            result = item
        else:
            yield Progress(int(item.step), int(item.total), f"dense map: {item.message}")
    if result is None:  # pragma: no cover - the heatmap job always ends with its map
        raise UnsupportedModelError("the dense heatmap ended without a map")
    return result


def explain(
    loaded: LoadedModel,
    image: LoadedImage | str,
    method: str,
    *,
    class_index: int | None = None,
    **options: Any,
) -> Generator[Progress, None, Explanation]:
    """Yield progress, return the :class:`Explanation` of ``method`` for ``class_index`` (None: the top class
    of the centre crop, as the Predictions tab shows it).

    Options: ``occlusion``: patch (32), stride (8), score ("prob" or "logit"), batch_size (32); ``ig``: steps
    (32), chunks (4), internal_batch_size (8); ``dense``: scales ((1, 1.4, 2)), mode ("softmax"/"logit").
    """
    if method not in METHODS:
        raise ModelError(f"Unknown explanation method {method!r}; use one of {', '.join(METHODS)}.")
    if class_index is not None and not 0 <= class_index < len(loaded.categories):
        raise ModelError(
            f"{loaded.name} has {len(loaded.categories)} classes (0..{len(loaded.categories) - 1}); "
            f"there is no class {class_index}."
        )
    image = image if isinstance(image, LoadedImage) else load_image(image)
    started = time.perf_counter()
    params: dict[str, Any] = dict(options)
    if class_index is None:
        yield Progress(0, 1, "classifying the image")
        from viewer.engine.inference import classify

        class_index = classify([image], loaded, topk=1)[0].topk[0].index
    common: dict[str, Any] = {
        "class_index": int(class_index),
        "class_name": loaded.categories[class_index],
        "image_path": image.path,
        "image_size": image.size,
        "model": loaded.name,
        "weights": loaded.weights_label,
        "weights_sha256": loaded.weights_sha256,
        "device": str(loaded.device),
        "recipe": loaded.recipe.as_dict(),
        "versions": library_versions(captum=True),
    }
    if method == "dense":
        heat = yield from _dense(loaded, image, class_index, params)
        return Explanation(
            method=method,
            scores=heat.scores.astype(np.float32),
            parameters={**params, "scales": list(heat.scales)},
            input_size=heat.input_sizes[0],
            raw=heat.grids[0] if heat.grids else None,
            notes=list(heat.notes),
            timings_ms={"total": (time.perf_counter() - started) * 1e3},
            **common,
        )
    if method == "gradcam" and gradcam_layer(loaded)[0] is None:
        raise UnsupportedModelError(f"Grad-CAM: {gradcam_layer(loaded)[1]}.")
    prepared = explain_input(loaded, image)
    params["input"] = prepared.fit
    values, raw = yield from _GRADIENT_METHODS[method](loaded, prepared, class_index, params)
    return Explanation(
        method=method,
        scores=to_image_pixels(values, image.size),
        parameters=params,
        input_size=prepared.size,
        raw=None if raw is None else np.asarray(raw, dtype=np.float32),
        notes=prepared.notes + list(image.notes),
        timings_ms={"total": (time.perf_counter() - started) * 1e3},
        **common,
    )


def run_explain(loaded: LoadedModel, image: LoadedImage | str, method: str, **options: Any) -> Explanation:
    """:func:`explain` run to its end."""
    from viewer.core.progress import run_job

    return run_job(explain(loaded, image, method, **options))


def option_names(method: str) -> Mapping[str, Any]:
    """The options a method takes, with their defaults (for pickers and the CLI)."""
    defaults = {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in EXPLAIN_DEFAULTS.get(method, {}).items()
    }
    return defaults
