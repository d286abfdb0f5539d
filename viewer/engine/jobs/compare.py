"""The jobs of Compare, Explain (with one unit's deconvolution) and the accuracy-versus-cost chart.

Long ones are generators of the engine's protocol: they yield ``Progress`` and ``return`` their result
(:mod:`viewer.core.progress`). The engine is imported when a job first runs.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING

from viewer.core.class_search import find_class
from viewer.core.network.choice import ModelChoice
from viewer.core.options import ExplainOptions
from viewer.core.progress import Progress
from viewer.core.results.explain import ExplainSet
from viewer.core.results.session import ImageEntry
from viewer.engine.jobs.images import loaded_image

if TYPE_CHECKING:
    from viewer.core.lecture.zoo import ZooPoint
    from viewer.core.results.compare import Comparison
    from viewer.core.results.explain import Explanation
    from viewer.core.results.unit import UnitAttribution
    from viewer.engine.jobs.models import ModelLoader
    from viewer.engine.models.weights import LoadedModel

__all__ = ["compare_networks", "explain_methods", "export_explanation", "measure_zoo", "unit_attribution", "zoo"]


def compare_networks(
    image: ImageEntry,
    networks: Sequence[ModelChoice],
    *,
    load: ModelLoader,
    topk: int = 5,
    runs: int = 5,
    heatmap_class: int | None = None,
) -> Generator[Progress, None, Comparison]:
    """The engine's :func:`~viewer.engine.compare.compare` of ``networks`` on the image entry; each network is
    built through the runner's cache when its turn comes (``load``), and one that fails is a row with its reason."""
    from viewer.engine.compare import compare

    by_pair = {(choice.model or "", choice.weights): choice for choice in networks}
    pairs = [(choice.model or "", choice.weights) for choice in networks]
    return (
        yield from compare(
            pairs,
            loaded_image(image),
            topk=topk,
            runs=runs,
            loader=lambda name, weights: load(by_pair[(name, weights)]),
            heatmap_class=heatmap_class,
        )
    )


def explain_methods(
    image: ImageEntry,
    methods: Sequence[str],
    *,
    loaded: LoadedModel,
    class_index: int | None = None,
    options: ExplainOptions | None = None,
    measure: bool = False,
) -> Generator[Progress, None, ExplainSet]:
    """Each applicable method of ``methods`` in turn; the others get their reason instead of a map. With
    ``measure``, also one forward pass timed, for the costly methods' estimates."""
    from viewer.core.errors import ViewerError
    from viewer.engine.explain.methods import applicable_methods, explain
    from viewer.engine.inference import classify

    yield Progress(0, len(methods) + 1, "explain: which methods apply")
    reasons = {method: reason for method, reason in applicable_methods(loaded).items() if reason}
    if class_index is None:
        class_index = classify([loaded_image(image)], loaded, topk=1)[0].topk[0].index
    class_index = find_class(loaded.categories, class_index, loaded.name)  # a sentence for a class it lacks
    found = ExplainSet(
        class_index,
        loaded.categories[class_index],
        model=loaded.name,
        image_path=image.path,
        pretrained=loaded.pretrained,
    )
    found.reasons = {method: reasons[method] for method in methods if method in reasons}
    for number, method in enumerate(methods):
        if method in found.reasons:
            continue
        yield Progress(number + 1, len(methods) + 1, f"explain: {method}")
        try:
            found.results[method] = yield from explain(
                loaded, loaded_image(image), method, class_index=class_index, **(options or {}).get(method, {})
            )
        except ViewerError as error:  # this method fails here; the others still run
            found.reasons[method] = str(error)
    if measure:
        from viewer.engine.explain.timing import forward_time

        found.input_size, found.forward_ms = forward_time(loaded, loaded_image(image))
    return found


def export_explanation(
    result: Explanation, image: ImageEntry, path: str, *, colormap: str, alpha: float, force: bool = False
) -> list[str]:
    """Write one method's map like a heatmap: PNG overlay, float32 NPY, JSON provenance."""
    from viewer.engine.explain.export import write_explanation

    written = write_explanation(path, image.pixels, result, colormap=colormap, alpha=alpha, force=force)
    return [str(p) for p in written]


def unit_attribution(
    image: ImageEntry,
    loaded: LoadedModel,
    layer: str,
    channel: int,
    row: int | None = None,
    col: int | None = None,
) -> Generator[Progress, None, UnitAttribution]:
    """Deconvolution and guided backpropagation of one unit (``layer``, ``channel``, cell ``row``, ``col`` of the
    channel's map over the whole image; both None: its strongest cell) back to the image entry."""
    from viewer.engine.explain.unit import unit_attribution as engine_unit
    from viewer.engine.jobs.analysis import summary_of

    summary = summary_of(loaded)  # the layer tree the window asked for, kept with the model: not traced again
    return (yield from engine_unit(loaded, loaded_image(image), layer, channel, row, col, summary=summary))


def zoo(device: str = "cpu") -> list[ZooPoint]:
    """The chart's points, with the latencies measured earlier on ``device`` (if any)."""
    from viewer.engine.models.weights import resolve_device
    from viewer.engine.zoo_chart import load_latency_cache, zoo_points

    return zoo_points(load_latency_cache(str(resolve_device(device))))


def measure_zoo(device: str = "cpu", names: Sequence[str] | None = None) -> Generator[Progress, None, list[ZooPoint]]:
    """Measure the latency of the chart's networks on ``device`` (cached), then return the points with it."""
    from viewer.engine.models.weights import resolve_device
    from viewer.engine.zoo_chart import measure_latency, zoo_points

    latency = yield from measure_latency(names, device=str(resolve_device(device)))
    return zoo_points(latency)
