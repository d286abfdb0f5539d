"""The Compare and Explain tabs' state (and the chart's): sub-states of :class:`~viewer.gui.state.AppState`.

They follow the app's image and model through its signals, submit their jobs through the app's one submission
path (``AppState._submit``: notices of their kinds, said on their own tab, see ``state.notices``) and obey the
job policy (``job_policy``):

- Compare runs only when asked. Each network is built when its turn comes, through the worker's model cache
  (``models=``), so no more models are held than the cache holds; one that cannot be had is a row with its
  reason and the tab's remedies, and the others run. A new image withdraws a running comparison and clears the
  one shown (it was of the previous image).
- Explain runs the cheap methods (dense map, Grad-CAM, saliency) by itself for the shown image and class while
  its tab is shown; occlusion and integrated gradients only when asked, with their cost said beforehand
  (:mod:`viewer.core.explain_cost`). A change of image or model withdraws both and clears what is shown.

A result is kept with the image entry it was computed for, and is delivered only while that image and model are
still the ones shown: a late result never lands over another image, and an export writes that image's files.
Views only call the ``request_*`` methods and draw what the signals carry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.explain_cost import COSTLY_METHODS
from viewer.core.job_names import JobName
from viewer.core.lecture.zoo import LECTURE_NETWORKS, ZooPoint
from viewer.core.network.choice import ModelChoice
from viewer.core.options import EXPLAIN_METHODS, ExplainOptions
from viewer.core.results.explain import ExplainSet
from viewer.core.results.session import ImageEntry
from viewer.gui.jobs.runner import JobRunner
from viewer.gui.jobs.tickets import JobKind, Ticket
from viewer.gui.state.images import Images
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices
from viewer.gui.state.weights import RANDOM, WeightsFallbacks, gui_wording

if TYPE_CHECKING:
    from viewer.core.results.compare import Comparison
    from viewer.gui.state.recipe import WeightsRecipes

__all__ = ["CHEAP_METHODS", "DEFAULT_COMPARE", "EXPLAIN_METHODS", "CompareState", "ExplainState"]

# The lecture's families, one network each, with their default (ImageNet) weights.
DEFAULT_COMPARE: tuple[tuple[str, str], ...] = (
    ("alexnet", "default"),
    ("vgg16", "default"),
    ("googlenet", "default"),
    ("resnet50", "default"),
    ("resnext50_32x4d", "default"),
)
MIN_NETWORKS, MAX_NETWORKS = 2, 6
CHEAP_METHODS = tuple(method for method in EXPLAIN_METHODS if method not in COSTLY_METHODS)
# An occlusion sweep's steps last about this long, so that it yields as often to more urgent jobs (a new model's
# top-k runs between two of its steps) and to Cancel.
OCCLUSION_STEP_S = 0.05


class AppLike(Protocol):
    """What the sub-states use of :class:`viewer.gui.state.AppState` (which owns them; named here rather than
    imported, which would be an import circle)."""

    jobs: JobRunner
    notices: Notices
    images: Images
    model: ModelState
    weights: WeightsFallbacks
    recipes: WeightsRecipes

    @property
    def image(self) -> ImageEntry | None: ...
    def cancel(self, kind: JobKind | None = None) -> None: ...
    def _submit(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], **kwargs: Any
    ) -> Ticket: ...


class CompareState(QObject):
    """Compare and the chart; ``app`` is the app's state (see the module docstring).

    Signals:
        comparison_changed(object): the engine Comparison, or None when the image changed or a new one runs.
        networks_changed(list): the (name, weights) pairs to compare.
        points_changed(list): the chart's ZooPoints (with measured latency where measured).
        picked(str): a network picked on the chart.
    """

    comparison_changed = Signal(object)
    networks_changed = Signal(list)
    points_changed = Signal(list)
    picked = Signal(str)

    def __init__(self, app: AppLike, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.networks: list[tuple[str, str]] = list(DEFAULT_COMPARE)
        self.comparison: Comparison | None = None
        self.compared_image: ImageEntry | None = None  # the image the shown comparison is of
        self.points: list[ZooPoint] = []
        self.runs, self.topk = 5, 5
        self.heatmap_class: int | None = None
        app.images.image_changed.connect(self._image_changed)

    # --- Compare -------------------------------------------------------------------------------------
    def request_compare(self, networks: Sequence[tuple[str, str]], heatmap_class: int | None = None) -> None:
        """Compare ``networks`` ((name, weights) pairs, 2 to 6) on the current image; with ``heatmap_class``, each
        network's dense map of that class too. The user asked: nothing else starts a comparison."""
        if not MIN_NETWORKS <= len(networks) <= MAX_NETWORKS:
            self.app.notices.notify(
                f"Compare takes {MIN_NETWORKS} to {MAX_NETWORKS} networks, not {len(networks)}.",
                level="warning",
                kind=JobKind.COMPARE,
            )
            return
        self.heatmap_class = heatmap_class
        self.set_networks(networks)
        self._compare()

    def set_networks(self, networks: Sequence[tuple[str, str]]) -> None:
        """The networks to compare next (shown in the pickers); nothing runs."""
        self.networks = [(str(name), str(weights)) for name, weights in networks][:MAX_NETWORKS]
        self.networks_changed.emit(list(self.networks))

    def pick(self, name: str) -> None:
        """A network picked on the chart joins the list (replacing the last one when six are chosen)."""
        if name not in [n for n, _ in self.networks]:
            kept = self.networks if len(self.networks) < MAX_NETWORKS else self.networks[: MAX_NETWORKS - 1]
            self.set_networks([*kept, (name, "default")])
        self.picked.emit(name)

    def use_weights(self, index: int, weights: str) -> None:
        """A failed row's remedy: network ``index`` with other weights (random init, a file), compared again."""
        if 0 <= index < len(self.networks):
            name, _old = self.networks[index]
            networks = list(self.networks)
            networks[index] = (name, weights)
            self.request_compare(networks, self.heatmap_class)

    def use_random_weights(self, index: int) -> None:
        self.use_weights(index, RANDOM)

    def cancel(self) -> None:
        self.app.cancel(JobKind.COMPARE)

    def _image_changed(self, _entry: ImageEntry | None) -> None:
        if self.comparison is not None:
            self.comparison, self.compared_image = None, None
            self.comparison_changed.emit(None)

    def _compare(self) -> None:
        app, image = self.app, self.app.image
        if image is None:
            app.notices.notify("Open an image to compare the networks on.", level="info", kind=JobKind.COMPARE)
            return
        device = app.model.choice.device or "auto"
        keys = [
            app.recipes.remembered_for(app.weights.with_sticky_weights(ModelChoice(name, weights, None, device)))
            for name, weights in self.networks
        ]
        if self.comparison is not None:
            self.comparison, self.compared_image = None, None
            self.comparison_changed.emit(None)
        app._submit(
            JobKind.COMPARE,
            JobName.COMPARE_NETWORKS,
            image,
            keys,
            models=keys,
            topk=self.topk,
            runs=self.runs,
            heatmap_class=self.heatmap_class,
            on_result=lambda comparison: self._compared(comparison, image),
            description=f"Comparing {len(keys)} networks on {image.name}",
        )

    def _compared(self, comparison: Comparison, image: ImageEntry) -> None:
        if image is not self.app.image:  # withdrawn on an image change; kept as a guard all the same
            return
        # The engine's sentences advise command-line flags; the tab has buttons for the same things.
        comparison.networks = [
            replace(network, error=gui_wording(network.error)) if network.error else network
            for network in comparison.networks
        ]
        self.comparison, self.compared_image = comparison, image
        self.comparison_changed.emit(comparison)

    # --- the chart ------------------------------------------------------------------------------------
    def request_points(self, device: str = "cpu") -> None:
        self.app._submit(JobKind.ZOO, JobName.ZOO, device, on_result=self._points, description="Reading the model zoo")

    def measure_latency(self, device: str = "cpu", names: Sequence[str] | None = None) -> None:
        """Measure each chart network's latency on ``device`` (on the worker; cached per device and torch)."""
        self.app._submit(
            JobKind.ZOO_LATENCY,
            JobName.MEASURE_ZOO,
            device,
            None if names is None else list(names),
            on_result=self._points,
            description=f"Measuring latency on {device}",
        )

    def _points(self, points: list[ZooPoint]) -> None:
        self.points = list(points)
        self.points_changed.emit(self.points)

    def lecture_points(self) -> list[ZooPoint]:
        return [point for point in self.points if point.name in LECTURE_NETWORKS]


class ExplainState(QObject):
    """Explain (see the module docstring); ``app`` is the app's state.

    Signals:
        explanations_changed(object): the ExplainSet shown, or None when the image, model or class changed.
        exported(list): the paths an export wrote.
    """

    explanations_changed = Signal(object)
    exported = Signal(list)

    def __init__(self, app: AppLike, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.shown = False  # the Explain tab is shown: the cheap methods follow the image and model
        self.class_wanted: int | str | None = None  # None: the top class
        self.options: ExplainOptions = {}
        self.explanations: ExplainSet | None = None
        self.explained_image: ImageEntry | None = None  # the image the shown set is of
        self.costly_asked: list[str] = []  # costly methods asked for the shown set, not delivered yet
        app.images.image_changed.connect(lambda _entry: self._input_changed())
        app.model.info_changed.connect(lambda _info: self._input_changed())
        app.jobs.cancelled.connect(self._cancelled)

    def set_shown(self, shown: bool) -> None:
        """The Explain tab was shown (or hidden): the cheap methods are computed for what is shown."""
        self.shown = shown
        if shown and self.explanations is None:
            self._explain()

    def request(self, class_wanted: int | str | None = None, options: ExplainOptions | None = None) -> None:
        """Explain ``class_wanted`` (None: the top class; an index or a name) with ``options`` per method."""
        if class_wanted != self.class_wanted:
            self.app.jobs.withdraw(JobKind.EXPLAIN_COSTLY)  # of the previous class: its maps would be dropped
            self._clear()
        self.class_wanted = class_wanted
        self.options = dict(options or {})
        self._explain(force=True)

    def request_costly(self, method: str, options: ExplainOptions | None = None) -> None:
        """Run ``method`` (occlusion, integrated gradients) for the shown set's image, model and class."""
        if method not in COSTLY_METHODS:
            raise ValueError(f"{method!r} is not a costly method")
        found, image, info = self.explanations, self.explained_image, self.app.model.info
        if found is None or image is None or info is None or info.key is None:
            self.app.notices.notify(
                "Wait for the cheap methods' maps: the costly ones explain the same class.",
                level="info",
                kind=JobKind.EXPLAIN_COSTLY,
            )
            return
        if options is not None:
            self.options = {**self.options, **options}
        self.costly_asked = [m for m in COSTLY_METHODS if m in {*self.costly_asked, method}]
        self.app._submit(
            JobKind.EXPLAIN_COSTLY,
            JobName.EXPLAIN_METHODS,
            image,
            list(self.costly_asked),
            model=info.key,
            class_index=found.class_index,
            options={
                **self.options,
                "occlusion": {**self.options.get("occlusion", {}), "step_seconds": OCCLUSION_STEP_S},
            },
            on_result=lambda later: self._costly_explained(later, image, info.key),
            description=f"{' and '.join(self.costly_asked)} of {image.name}",
        )

    def cancel(self) -> None:
        self.app.cancel(JobKind.EXPLAIN)
        self.app.cancel(JobKind.EXPLAIN_COSTLY)

    def _cancelled(self, ticket: Ticket) -> None:
        """The user's Cancel (this tab's or the window's): what was asked is no longer asked, so a later request
        for the other costly method does not run this one again."""
        if ticket.kind == JobKind.EXPLAIN_COSTLY:
            self.costly_asked = []

    def export(self, method: str, path: str, *, colormap: str, alpha: float, force: bool = False) -> Ticket | None:
        """Write the shown ``method`` map with the image it was computed for (PNG, NPY, JSON as one set)."""
        result = (self.explanations.results if self.explanations else {}).get(method)
        image = self.explained_image
        if result is None or image is None:
            self.app.notices.notify(f"There is no {method} map to export yet.", level="warning", kind=JobKind.EXPLAIN)
            return None
        return self.app._submit(
            JobKind.EXPORT_EXPLANATION,
            JobName.EXPORT_EXPLANATION,
            result,
            image,
            path,
            colormap=colormap,
            alpha=alpha,
            force=force,
            on_result=self.exported.emit,
            description=f"Exporting the {method} map",
        )

    # --- internals -----------------------------------------------------------------------------------
    def _clear(self) -> None:
        self.costly_asked = []
        if self.explanations is not None:
            self.explanations, self.explained_image = None, None
            self.explanations_changed.emit(None)

    def _input_changed(self) -> None:
        # The policy already withdrew the jobs of the old input (AppState.input_changed).
        self._clear()
        if self.shown:
            self._explain()

    def _explain(self, *, force: bool = False) -> None:
        app = self.app
        image, info = app.image, app.model.info
        if image is None or info is None or info.key is None or not (self.shown or force):
            return
        key = info.key
        app._submit(
            JobKind.EXPLAIN,
            JobName.EXPLAIN_METHODS,
            image,
            list(CHEAP_METHODS),
            model=key,
            class_index=self.class_wanted,
            options=self.options,
            measure=True,
            on_result=lambda found: self._explained(found, image, key),
            description=f"Explaining {image.name}",
        )

    def _current(self, image: ImageEntry, key: ModelChoice | None) -> bool:
        info = self.app.model.info
        return image is self.app.image and info is not None and info.key == key

    def _explained(self, found: ExplainSet, image: ImageEntry, key: ModelChoice) -> None:
        if not self._current(image, key):  # withdrawn on a change; a guard all the same
            return
        self.costly_asked = []
        self.explanations, self.explained_image = found, image
        self.explanations_changed.emit(found)

    def _costly_explained(self, later: ExplainSet, image: ImageEntry, key: ModelChoice | None) -> None:
        shown = self.explanations
        if shown is None or image is not self.explained_image or not self._current(image, key):
            return  # another image or model meanwhile (the job was withdrawn; a guard all the same)
        if shown.class_index != later.class_index:
            return  # another class meanwhile: these maps are not of it
        self.costly_asked = [m for m in self.costly_asked if m not in later.results and m not in later.reasons]
        self.explanations = shown.merged(later)  # the cheap maps shown now (new options keep the costly ones)
        self.explanations_changed.emit(self.explanations)
