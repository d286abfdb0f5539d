"""One image through several networks in turn: top-k, warm inference time, parameters, GMACs, ImageNet accuracy.

:func:`compare` is a generator (:data:`viewer.core.progress.Job`): it yields progress before each network's load
and each network's runs, and returns a :class:`Comparison`. The timing is the *median* of ``runs`` warm forward
passes of the one preprocessed image (batch 1) on the network's device, after one untimed warm-up pass; the
classification's logits are those of the last timed pass, so no forward is spent twice. Accuracy comes from
torchvision's weights metadata (``Weights.meta["_metrics"]``), for the weights actually loaded, and only then.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Generator, Sequence

import torch

from viewer.core.errors import ModelError, ViewerError
from viewer.core.network.recipe import recipe_used
from viewer.core.progress import Progress
from viewer.core.results.compare import Comparison, NetworkResult
from viewer.core.results.prediction import TopClass
from viewer.engine.images import LoadedImage, load_image, preprocess
from viewer.engine.models.weights import LoadedModel, load_model

__all__ = ["MAX_NETWORKS", "MIN_NETWORKS", "compare", "weights_accuracy"]

MIN_NETWORKS, MAX_NETWORKS = 2, 6


def weights_accuracy(loaded: LoadedModel) -> tuple[dict[str, float], str]:
    """(accuracy, dataset) published for the weights ``loaded`` runs: torchvision's metadata of that enum member,
    the training record of the bundled LeNet-5; nothing for random init, files or He et al.'s v1 variants."""
    spec = loaded.spec
    if not loaded.pretrained or (loaded.weights_sha256 and spec.source != "seed"):
        return {}, ""
    if spec.source == "seed":
        return dict(spec.accuracy), "MNIST" if spec.accuracy else ""
    if spec.source != "torchvision" or spec.weights_of:
        return {}, ""
    from viewer.engine.models.registry import torchvision_weights

    metrics = torchvision_weights(spec.name, loaded.weights).meta.get("_metrics", {})
    for dataset, values in metrics.items():
        return {key: float(value) for key, value in values.items() if key.startswith("acc@")}, dataset
    return {}, ""


# A loaded model, (name, weights) or (name, weights, recipe): ``recipe`` as ``load_model`` takes it (None: default).
Network = LoadedModel | tuple[str, str] | tuple[str, str, str | None]


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed_forwards(loaded: LoadedModel, batch: torch.Tensor, runs: int) -> tuple[torch.Tensor, list[float]]:
    model = loaded.model
    times = []
    with torch.inference_mode():
        output = model(batch)  # warm-up: lazy initialisation, allocator, oneDNN primitive caches
        _synchronise(loaded.device)
        for _ in range(runs):
            started = time.perf_counter()
            output = model(batch)
            _synchronise(loaded.device)
            times.append((time.perf_counter() - started) * 1e3)
    if isinstance(output, tuple):
        output = output[0]
    return output.float().cpu(), times


def compare(
    networks: Sequence[Network],
    image: LoadedImage | str,
    *,
    topk: int = 5,
    runs: int = 5,
    device: str | torch.device = "auto",
    loader: Callable[[str, str], LoadedModel] | None = None,
    heatmap_class: int | None = None,
) -> Generator[Progress, None, Comparison]:
    """Yield progress; return the :class:`Comparison` of ``networks`` (2–6 loaded models or (name, weights)).

    ``loader`` builds a (name, weights) pair (default :func:`load_model` on ``device``); the GUI passes its
    model cache's. Networks run one after the other; a cancel between two yields stops before the next step.
    ``heatmap_class``: also each network's dense map of that class (one scale), where the network has that class
    and can be convolutionized (a note says why not otherwise); the views draw them on one colour scale.
    """
    if not MIN_NETWORKS <= len(networks) <= MAX_NETWORKS:
        raise ModelError(f"Compare takes {MIN_NETWORKS} to {MAX_NETWORKS} networks, not {len(networks)}.")
    if runs < 1 or topk < 1:
        raise ModelError("compare: runs and top-k must be at least 1.")
    image = image if isinstance(image, LoadedImage) else load_image(image)

    def load(name: str, weights: str, recipe: str | None = None) -> LoadedModel:
        if loader and recipe is None:
            return loader(name, weights)
        return load_model(name, weights, device=device, recipe=recipe)

    total = 2 * len(networks)
    results = []
    for number, network in enumerate(networks):
        label = network.name if isinstance(network, LoadedModel) else network[0]
        yield Progress(2 * number, total, f"compare: loading {label} ({number + 1} of {len(networks)})")
        try:
            loaded = network if isinstance(network, LoadedModel) else load(*network)
        except ViewerError as error:  # one network's weights missing (offline, say): the others still run
            results.append(_failed(label, str(error), device))
            continue
        yield Progress(2 * number + 1, total, f"compare: {loaded.name}, {runs} warm runs")
        try:
            results.append(_run_one(loaded, image, topk, runs))
        except ViewerError as error:  # this network refuses the image (too elongated for its resize, say)
            results.append(_failed(loaded.name, str(error), loaded.device))
            continue
        if heatmap_class is not None:
            yield Progress(2 * number + 1, total, f"compare: {loaded.name}, dense map of class {heatmap_class}")
            _add_heatmap(results[-1], loaded, image, heatmap_class)
    return Comparison(image.path, image.size, results)


def _add_heatmap(result: NetworkResult, loaded: LoadedModel, image: LoadedImage, class_index: int) -> None:
    from viewer.engine.heatmap.dense import run_heatmap

    if not 0 <= class_index < len(loaded.categories):
        result.notes.append(f"no dense map: {loaded.name} has no class {class_index}")
        return
    try:
        result.heatmap = run_heatmap(loaded, image, class_index=class_index, scales=(1.0,)).scores
    except ViewerError as error:
        result.notes.append(f"no dense map: {error}")
    except Exception as error:  # convolutionizing an unknown network may fail in any way; the comparison stands
        result.notes.append(f"no dense map: {loaded.name} cannot be convolutionized ({type(error).__name__})")


def _failed(name: str, error: str, device: str | torch.device) -> NetworkResult:
    from viewer.engine.models.registry import get_spec

    try:
        spec = get_spec(name)
        family, params, gmacs, shape = spec.family, spec.num_params or 0, spec.gmacs, spec.input.shape
    except ViewerError:
        family, params, gmacs, shape = "", 0, None, (0, 0, 0)
    return NetworkResult(name, family, "not loaded", False, [], float("nan"), 0, params, gmacs, {}, "", shape,
                         str(device), [], error)  # fmt: skip


def _parameters(loaded: LoadedModel) -> tuple[int, int]:
    """(parameters of the network that predicts, of its training-only heads), as ``viewer summary`` counts them.

    Only networks with training-only heads need the graph (a meta trace, cached per network and size).
    """
    from viewer.engine.graph.build import AUX_MODELS, graph_of_name
    from viewer.engine.summary import parameter_split

    if loaded.name not in AUX_MODELS:
        return sum(p.numel() for p in loaded.model.parameters()), 0
    predicting, _, heads = parameter_split(loaded.model, graph_of_name(loaded.name, loaded.input.shape))
    return predicting, heads


def _run_one(loaded: LoadedModel, image: LoadedImage, topk: int, runs: int) -> NetworkResult:
    batch = preprocess(image, loaded.input, "weights").unsqueeze(0).to(loaded.device)
    logits, times = _timed_forwards(loaded, batch, runs)
    probs = torch.softmax(logits[0], dim=0)
    k = max(1, min(topk, probs.numel()))
    top_probs, top_indices = probs.topk(k)
    categories = loaded.categories
    accuracy, dataset = weights_accuracy(loaded)
    params, heads = _parameters(loaded)
    notes = []
    if not loaded.pretrained:
        notes.append("random init: its classes mean nothing")
    if loaded.spec.weights_note:
        notes.append(loaded.spec.weights_note)
    return NetworkResult(
        model=loaded.name,
        family=loaded.spec.family,
        weights=loaded.weights_label,
        pretrained=loaded.pretrained,
        topk=[
            TopClass(
                int(i), categories[int(i)] if int(i) < len(categories) else str(int(i)), float(logits[0, i]), float(p)
            )
            for p, i in zip(top_probs, top_indices, strict=True)
        ],
        time_ms=float(statistics.median(times)),
        runs=runs,
        params=params,
        training_only_params=heads,
        gmacs=loaded.spec.gmacs,
        accuracy=accuracy,
        accuracy_dataset=dataset,
        input_size=loaded.input.shape,
        device=str(loaded.device),
        notes=notes,
        recipe=recipe_used(loaded.recipe, "weights"),
    )
