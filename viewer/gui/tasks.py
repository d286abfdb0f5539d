"""The job functions the GUI submits to the worker: one engine call each, engine imported lazily.

Every function here runs on the worker thread (see ``jobs.py``), so torch, torchvision and the engine are
imported there on first use and the window appears at once. They only adapt arguments and bundle what
the views need; all computation is the engine's.
"""

from __future__ import annotations

import gc
import platform
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from viewer.core.choice import ModelChoice
from viewer.core.progress import Job
from viewer.core.ranges import score_range
from viewer.core.recipe import Recipe

if TYPE_CHECKING:
    from viewer.core.activation_grid import ChannelGrid, GridOptions
    from viewer.core.graph import Graph
    from viewer.core.layout import Direction, Layout
    from viewer.engine.activations import Activation
    from viewer.engine.heatmap import ClassHeatmap
    from viewer.engine.weights import LoadedModel

__all__ = [
    "CaptureResult",
    "HeatmapOnScreen",
    "ImageEntry",
    "ModelInfo",
    "OpenResult",
    "Registry",
    "activation_grid",
    "activations",
    "activations_with_grid",
    "classify",
    "graph",
    "graph_groups",
    "graph_layout",
    "heatmap",
    "heatmap_for_screen",
    "load_registry",
    "model_info",
    "open_images",
    "summary",
]

THUMBNAIL_SIDE = 96
PREVIEW_SIDE = 400  # the Predictions tab's "Original" (about 200 px, twice for high-DPI screens)


@dataclass(frozen=True)
class Registry:
    """The model zoo and the machine, read once at start-up."""

    specs: list[Any]  # ModelSpec, in the lecture's family order
    family_order: tuple[str, ...]
    devices: list[str]  # "cuda:0", ..., "mps", "cpu"
    auto_device: str
    versions: dict[str, str]
    weights_dir: str = ""  # torch hub's checkpoints folder, where pretrained weights are (or would be) cached


@dataclass(frozen=True)
class ImageEntry:
    """A loaded image with what the panels show of it."""

    loaded: Any  # engine LoadedImage
    display: np.ndarray  # uint8 HxWx3
    thumbnail: np.ndarray  # uint8 hxwx3
    preview: np.ndarray | None = None  # uint8, longer side at most PREVIEW_SIDE (scaled here, not in the GUI)

    @property
    def path(self) -> str:
        return self.loaded.path

    @property
    def name(self) -> str:
        return self.loaded.name


@dataclass(frozen=True)
class OpenResult:
    images: list[ImageEntry]
    errors: list[str] = field(default_factory=list)  # one sentence per file that could not be opened


@dataclass(frozen=True)
class ModelInfo:
    """What the views need to know about the model now loaded (never the module itself)."""

    name: str
    label: str
    weights_label: str
    pretrained: bool
    device: str
    categories: tuple[str, ...]
    input_shape: tuple[int, int, int]
    resize_size: int  # the weights' resize before the centre crop (maps input boxes back onto the image)
    family: str
    paper: str
    weights: str = ""  # what was loaded: an enum name, "MNIST", "none" or a file (for the presets' fit)
    mean: tuple[float, ...] = ()  # the normalisation the weights were trained with
    std: tuple[float, ...] = ()
    key: ModelChoice | None = None  # the choice it was loaded (and cached) under, set by the state
    weights_sha256: str | None = None  # of a weights file (or the bundled weights)
    recipe: Recipe | None = None  # the evaluation recipe in use, and what said it (``Recipe.said_by``)
    own_recipe: Recipe | None = None  # the one without the choice's ``recipe``: the file's or the default
    recipe_choices: tuple[Recipe, ...] = ()  # the recipes of the architecture's torchvision weights, to offer


def load_registry() -> Registry:
    """Import torch and the engine (the first job), then read the zoo; see ``_quiet_collector``."""
    with _quiet_collector():
        return _load_registry()


@contextmanager
def _quiet_collector() -> Iterator[None]:
    """No garbage collection while torch is imported, then everything imported frozen out of later ones.

    Importing torch creates millions of long-lived objects, and each full collection on the way walks them
    all (up to 200 ms, holding the GIL, so the window froze). Module-level objects live as long as the
    process: ``gc.freeze`` keeps every later collection from walking them again. Frozen once per process
    only: a later call (a second window, tests) would also freeze whatever garbage is waiting then.
    """
    global _FROZEN
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        if not _FROZEN:
            _FROZEN = True
            gc.freeze()


_FROZEN = False


def collect_closed_window() -> None:
    """A window was deleted: collect what of it the freeze above kept out of the collector's sight.

    The freeze also froze whatever the first window held when torch was imported (its Python wrappers and the
    cycles between them), so a closed window would never be freed. The objects are unfrozen for good: freezing
    again would also freeze the models another window holds now, and a model evicted later is freed only by the
    collector (torch.fx leaves cycles), which never looks at frozen objects (a soak of close-and-reopen cycles
    kept 50 MB more that way). Later full collections walk torch's objects again: longer pauses, after a window
    closed, rather than a leak.
    """
    if _FROZEN:
        gc.unfreeze()  # nothing left to unfreeze after the first close: then a plain collection
        gc.collect()


def _load_registry() -> Registry:
    import torch
    import torchvision
    from PySide6 import __version__ as qt_version

    from viewer import __version__
    from viewer.engine import registry
    from viewer.engine.weights import resolve_device

    devices = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    devices.append("cpu")
    auto = resolve_device("auto")
    versions = {
        "viewer": __version__,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "PySide6 (Qt)": qt_version,
        "Python": platform.python_version(),
    }
    if auto.type == "cuda":
        versions["GPU"] = torch.cuda.get_device_name(auto.index or 0)
    # Importing a module holds the GIL in long stretches (unmarshalling, class creation) that the GUI thread
    # feels as stalls; the analysis modules are imported now, while the user waits for start-up anyway,
    # rather than in the middle of the first heatmap. About 40 ms. Captum (with matplotlib, which it imports)
    # and grandalf are imported here too, in the collector's freeze (about 0.35 s on a 2-core machine): imported
    # at the first Explain tab or diagram they left 50 thousand objects that every later full collection
    # walked, holding the GIL, which made the longest stalls of ``viewer bench``'s 200-switch soak.
    import captum.attr  # noqa: F401

    import viewer.engine.activations
    import viewer.engine.explain
    import viewer.engine.heatmap
    import viewer.engine.inference
    import viewer.engine.layout
    import viewer.engine.summary  # noqa: F401
    from viewer.engine.download import cache_dir

    return Registry(registry.list_specs(), registry.FAMILY_ORDER, devices, str(auto), versions, str(cache_dir()))


def open_images(paths: Sequence[str]) -> OpenResult:
    """Load every image file of ``paths`` (folders expand to the images inside, sorted)."""
    from PIL import Image

    from viewer.engine.errors import ImageError
    from viewer.engine.images import is_image_path, load_image, to_display_array

    files: list[Path] = []
    errors: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            try:
                found = sorted(p for p in path.iterdir() if p.is_file() and is_image_path(p))
            except OSError as error:  # an unreadable folder is one refusal, not a failed drop
                reason = "permission denied" if isinstance(error, PermissionError) else (error.strerror or str(error))
                errors.append(f"{path.name}: the folder cannot be read ({reason}).")
                continue
            if not found:
                errors.append(f"{path.name}: the folder holds no image files.")
            files.extend(found)
        else:
            files.append(path)
    entries = []
    for path in files:
        try:
            loaded = load_image(path)
        except ImageError as error:
            errors.append(str(error))
            continue
        preview = loaded.image.copy()
        preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.BILINEAR)
        thumb = preview.copy()
        thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.BILINEAR)
        entries.append(
            ImageEntry(
                loaded, to_display_array(loaded), np.asarray(thumb.convert("RGB")), np.asarray(preview.convert("RGB"))
            )
        )
    return OpenResult(entries, errors)


def model_info(loaded: LoadedModel) -> ModelInfo:
    """Summarise the loaded model (the worker's cache keeps the module); the state adds the choice as ``key``."""
    from viewer.engine.recipes import enum_recipes

    channels, height, width = loaded.input.shape
    return ModelInfo(
        name=loaded.name,
        label=loaded.spec.label(),
        weights_label=loaded.weights_label,
        pretrained=loaded.pretrained,
        device=str(loaded.device),
        categories=tuple(loaded.categories),
        input_shape=(int(channels), int(height), int(width)),
        resize_size=int(loaded.input.resize_size),
        family=loaded.spec.family,
        paper=loaded.spec.paper,
        weights=str(loaded.weights),
        mean=tuple(float(v) for v in loaded.input.mean),
        std=tuple(float(v) for v in loaded.input.std),
        weights_sha256=loaded.weights_sha256,
        recipe=loaded.recipe,
        own_recipe=loaded.own_recipe,
        recipe_choices=enum_recipes(loaded.spec),
    )


def classify(image: ImageEntry, loaded: Any, *, topk: int, preset: str, tta: bool) -> Any:
    from viewer.engine.inference import classify as engine_classify

    # for_display: `seen` made here on the worker, and the float input (a whole image with "standardize") dropped
    return engine_classify([image.loaded], loaded, topk=topk, preset=preset, tta=tta, for_display=True)[0]


def summary(loaded: Any) -> Any:
    """The layer tree of the loaded model at its input size (shapes only: the meta device)."""
    from viewer.engine.summary import summarize

    return summarize(loaded)


def graph(model: str | None, model_file: str | None = None, model_file_sha256: str | None = None) -> Graph:
    """The data-flow graph of a registry network or a custom model file, built without weights.

    Registry networks come from ``graph_of_name`` (meta device, cached for the last few). A custom model file
    is run the way the app loads it (``custom_spec``: the content the user agreed to run, checked) and built
    on the meta device when its builder allows, on the CPU with random weights otherwise.
    """
    from viewer.engine.graph import build_graph, graph_of_name

    if not model_file:
        return graph_of_name(model or "")
    import torch

    from viewer.core.errors import ModelError
    from viewer.engine.weights import custom_spec

    spec = custom_spec(model_file, model_file_sha256)
    assert spec.builder is not None
    try:
        with torch.device("meta"):
            module = spec.builder()
    # A builder that computes with tensors (``.item()``) cannot run on the meta device: then on the CPU.
    except Exception:
        try:
            module = spec.builder()
        except Exception as error:
            raise ModelError(f"{spec.name}: the builder failed ({type(error).__name__}: {error}).") from None
    return build_graph(module, spec.input.shape, model_name=spec.name)


def graph_layout(graph: Graph, expanded: frozenset[str], direction: Direction = "TB") -> Layout:
    """The drawing of ``graph`` with the blocks of ``expanded`` open, flowing in ``direction`` (grandalf, pure
    Python)."""
    from viewer.core.graph import collapse
    from viewer.engine.layout import layout_view

    return layout_view(collapse(graph, expanded), direction)


def graph_groups(graph: Graph, block: str, direction: Direction = "TB") -> Layout:
    """``block``'s grouped convolution drawn as its pathways merged by a sum (ResNeXt's Fig. 3a)."""
    from viewer.core.graph import collapse
    from viewer.core.graph_groups import expand_groups
    from viewer.engine.layout import layout_view

    return layout_view(collapse(expand_groups(graph, block), frozenset()), direction)


def activations(image: ImageEntry, loaded: Any, layers: Sequence[str], *, preset: str, summary: Any = None) -> Any:
    """Captured activations of ``layers`` for ``image`` (the engine refuses over-budget captures)."""
    from viewer.engine.activations import capture
    from viewer.engine.images import preprocess

    tensor = preprocess(image.loaded, loaded.input, preset).unsqueeze(0)
    # The summary is at the weights' crop size; other presets feed the whole image (other shapes).
    return capture(loaded, tensor, list(layers), summary=summary if preset == "weights" else None)


@dataclass(frozen=True)
class CaptureResult:
    """Captured activations and the mosaic of the first layer, drawn with the view's options."""

    activations: dict[str, Activation]  # layer -> engine Activation, exactly what ``activations`` returned
    grid: ChannelGrid | None = None  # the mosaic of the first layer, or None

    def grid_matches(self, layer: str, options: GridOptions) -> bool:
        """True when the mosaic held is ``layer``'s, drawn with ``options``."""
        return self.grid is not None and self.grid.layer == layer and self.grid.options == options


def activations_with_grid(
    image: ImageEntry, loaded: Any, layers: Sequence[str], *, preset: str, summary: Any = None, grid_options: Any = None
) -> CaptureResult:
    """``activations`` plus the first layer's channel mosaic, so that the GUI thread only has to show it."""
    captured = activations(image, loaded, layers, preset=preset, summary=summary)
    first = captured.get(layers[0]) if layers else None
    grid = None if first is None or grid_options is None else activation_grid(first, grid_options)
    return CaptureResult(captured, grid)


def activation_grid(activation: Any, options: Any) -> Any:
    """The channel mosaic of ``activation`` drawn with ``options`` (a ``GridOptions``)."""
    from viewer.core.activation_grid import render_grid

    return render_grid(activation, options)


def heatmap(image: ImageEntry, loaded: LoadedModel, **options: Any) -> Job[ClassHeatmap]:
    """The dense class heatmap: progress, then the ``ClassHeatmap`` returned (a generator).

    Out of GPU memory the worker runs it again with ``max_tile_pixels=SMALL_TILE_PIXELS`` (same result, the
    engine overlaps the tiles), then on the CPU: that policy is the worker's (``jobs.py``), submitted with it.
    """
    from viewer.engine.heatmap import dense_heatmap

    return (yield from dense_heatmap(loaded, image.loaded, **options))


SMALL_TILE_PIXELS = 512 * 512
SCREEN_HEATMAP_SIDE = 1024  # a heatmap is smooth: more pixels than this add nothing on screen


@dataclass(frozen=True)
class HeatmapOnScreen:
    """A ``ClassHeatmap`` and the copy of its scores the screen shows, made on the worker.

    Scores come at the original image's size (tens of megapixels for a phone photo); colouring them at each
    render would hold the GUI thread for a fraction of a second, so the views get at most
    ``SCREEN_HEATMAP_SIDE`` pixels a side and the range precomputed. Exports use ``heatmap.scores``.
    """

    heatmap: Any  # engine ClassHeatmap
    scores: np.ndarray  # float32, NaN-free, longer side <= SCREEN_HEATMAP_SIDE
    levels: tuple[float, float]  # (low, high) of the full scores, high > low


def screen_copy(heatmap: Any, max_side: int = SCREEN_HEATMAP_SIDE) -> HeatmapOnScreen:
    """The scores made small for the screen (NaN shown as the lowest score), with their range."""
    from PIL import Image

    full = np.asarray(heatmap.scores, dtype=np.float32)
    finite = np.isfinite(full)
    low, high = score_range(full)  # a flat map still draws (one colour)
    filled = np.where(finite, full, low)
    height, width = filled.shape
    scale = max_side / max(height, width)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        filled = np.asarray(Image.fromarray(filled).resize(size, Image.Resampling.BOX), dtype=np.float32)
    return HeatmapOnScreen(heatmap, np.ascontiguousarray(filled), (low, high))


def heatmap_for_screen(image: ImageEntry, loaded: LoadedModel, **options: Any) -> Job[HeatmapOnScreen]:
    """``heatmap``'s progress, then a ``HeatmapOnScreen`` (the ClassHeatmap and its screen copy) returned."""
    return screen_copy((yield from heatmap(image, loaded, **options)))
