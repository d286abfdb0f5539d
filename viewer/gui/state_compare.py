"""State of the Compare tab, the Explain tab and the accuracy-versus-cost chart, beside :class:`AppState`.

It follows the app's image and model (signals of ``AppState``), submits its jobs to the app's one worker, and
keeps the latest result of each: a :class:`~viewer.engine.compare.Comparison`, an
:class:`~viewer.gui.compare_tasks.ExplainSet`, the chart's points. A new image supersedes a running comparison
(the worker's supersede-by-kind). Views only call the ``request_*`` methods and draw what the signals carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from viewer.core.choice import ModelChoice
from viewer.core.options import EXPLAIN_METHODS, ExplainOptions
from viewer.core.progress import Progress
from viewer.core.zoo import LECTURE_NETWORKS, ZooPoint
from viewer.gui import compare_tasks
from viewer.gui.jobs import JobError, JobKind, Ticket
from viewer.gui.state import AppState
from viewer.gui.tasks import ImageEntry

if TYPE_CHECKING:
    from viewer.engine.compare import Comparison

__all__ = ["DEFAULT_COMPARE", "EXPLAIN_METHODS", "CompareState", "ExplainRequest"]

# The lecture's families, one network each, with their default (ImageNet) weights.
DEFAULT_COMPARE: tuple[tuple[str, str], ...] = (
    ("alexnet", "default"),
    ("vgg16", "default"),
    ("googlenet", "default"),
    ("resnet50", "default"),
    ("resnext50_32x4d", "default"),
)
KINDS = {
    "compare": JobKind.COMPARE,
    "explain": JobKind.EXPLAIN,
    "zoo": JobKind.ZOO,
    "latency": JobKind.ZOO_LATENCY,
    "export": JobKind.EXPORT_EXPLANATION,
}


@dataclass(frozen=True)
class ExplainRequest:
    """The explanations asked for last; they are computed again for each new image and model."""

    methods: list[str]
    class_index: int | None  # None: the top class
    options: ExplainOptions = field(default_factory=dict)


class CompareState(QObject):
    """Compare, Explain and chart state; ``app`` is the app's :class:`AppState`.

    Signals:
        comparison_changed(object): the engine Comparison, or None when the image or the networks changed.
        explanations_changed(object): an ExplainSet, or None while a new one is computed.
        points_changed(list): the chart's ZooPoints (with measured latency where measured).
        picked(str): a network picked on the chart.
        progress(object, str): a Progress of one of these jobs and its kind ("compare", "explain", …).
        exported(list): the paths an export wrote.
        failed(str): one sentence about a job that failed.
    """

    comparison_changed = Signal(object)
    explanations_changed = Signal(object)
    points_changed = Signal(list)
    networks_changed = Signal(list)
    picked = Signal(str)
    progress = Signal(object, str)
    exported = Signal(list)
    failed = Signal(str)

    def __init__(self, app: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.jobs = app.jobs
        self.networks: list[tuple[str, str]] = list(DEFAULT_COMPARE)
        self.active = False  # the Compare tab has been shown: comparisons follow the image from then on
        self.comparison: Comparison | None = None
        self.explanations: compare_tasks.ExplainSet | None = None
        self.explain_request: ExplainRequest | None = None
        self.points: list[ZooPoint] = []
        self.runs, self.topk = 5, 5
        self.heatmap_class: int | None = None
        app.image_changed.connect(self._image_changed)
        app.model_changed.connect(lambda _info: self._explain())
        app.jobs.progress.connect(self._progress)

    # --- Compare -------------------------------------------------------------------------------------
    def set_networks(self, networks: Sequence[tuple[str, str]], heatmap_class: int | None = None) -> None:
        """Compare ``networks`` ((name, weights) pairs, 2 to 6) on the current image; with ``heatmap_class``, each
        network's dense map of that class too."""
        self.heatmap_class = heatmap_class
        if not 2 <= len(networks) <= 6:
            self.failed.emit(f"Compare takes 2 to 6 networks, not {len(networks)}.")
            return
        self.networks = [(str(name), str(weights)) for name, weights in networks]
        self.networks_changed.emit(list(self.networks))
        self.active = True
        self._compare()

    def pick(self, name: str) -> None:
        """A network picked on the chart joins the comparison (replacing the last one when six are chosen)."""
        if name not in [n for n, _ in self.networks]:
            self.networks = (self.networks if len(self.networks) < 6 else self.networks[:5]) + [(name, "default")]
            self.networks_changed.emit(list(self.networks))
        self.picked.emit(name)
        if self.active:
            self._compare()

    def activate(self) -> None:
        if not self.active:
            self.active = True
            self._compare()

    def cancel(self, kind: str = "compare") -> None:
        self.jobs.cancel(KINDS[kind])

    def _device(self) -> str:
        return self.app.choice.device or "auto"

    def _image_changed(self, _entry: ImageEntry | None) -> None:
        self.comparison = None
        self.comparison_changed.emit(None)
        self._compare()
        self._explain()

    def _compare(self) -> None:
        image = self.app.image
        if not self.active or image is None:
            return
        keys = [ModelChoice(model=name, weights=weights, device=self._device()) for name, weights in self.networks]
        self.jobs.submit(
            KINDS["compare"],
            compare_tasks.compare_networks,
            image,
            *keys,
            topk=self.topk,
            runs=self.runs,
            heatmap_class=self.heatmap_class,
            on_result=self._compared,
            on_error=self._failed,
            description=f"Comparing {len(keys)} networks on {image.name}",
        )

    def _compared(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.comparison_changed.emit(comparison)

    # --- Explain -------------------------------------------------------------------------------------
    def request_explanations(
        self,
        methods: Sequence[str] = EXPLAIN_METHODS,
        class_index: int | None = None,
        options: ExplainOptions | None = None,
    ) -> None:
        """Compute ``methods`` for ``class_index`` (None: the top class) and keep them current."""
        self.explain_request = ExplainRequest(list(methods), class_index, options or {})
        self._explain()

    def _explain(self) -> None:
        image, choice = self.app.image, self.app.choice
        if self.explain_request is None or image is None or choice is None or self.app.model_info is None:
            return
        self.explanations = None
        self.explanations_changed.emit(None)
        request = self.explain_request
        self.jobs.submit(
            KINDS["explain"],
            compare_tasks.explain_methods,
            image,
            choice.key(),
            request.methods,
            class_index=request.class_index,
            options=request.options,
            on_result=self._explained,
            on_error=self._failed,
            description=f"Explaining {image.name}",
        )

    def _explained(self, found: compare_tasks.ExplainSet) -> None:
        self.explanations = found
        self.explanations_changed.emit(found)

    def export_explanation(self, method: str, path: str, *, colormap: str, alpha: float, force: bool = False) -> None:
        result = (self.explanations.results if self.explanations else {}).get(method)
        if result is None or self.app.image is None:
            self.failed.emit(f"There is no {method} map to export yet.")
            return
        self.jobs.submit(
            KINDS["export"],
            compare_tasks.export_explanation,
            result,
            self.app.image,
            path,
            colormap=colormap,
            alpha=alpha,
            force=force,
            on_result=self.exported.emit,
            on_error=self._failed,
            description=f"Exporting the {method} map",
        )

    # --- the chart ------------------------------------------------------------------------------------
    def request_points(self, device: str = "cpu") -> None:
        self.jobs.submit(
            KINDS["zoo"], compare_tasks.zoo, device, on_result=self._points, description="Reading the model zoo"
        )

    def measure_latency(self, device: str = "cpu", names: Sequence[str] | None = None) -> None:
        """Measure each chart network's latency on ``device`` (on the worker; cached per device and torch)."""
        self.jobs.submit(
            KINDS["latency"],
            compare_tasks.measure_zoo,
            device,
            None if names is None else list(names),
            on_result=self._points,
            on_error=self._failed,
            description=f"Measuring latency on {device}",
        )

    def _points(self, points: list[ZooPoint]) -> None:
        self.points = list(points)
        self.points_changed.emit(self.points)

    def lecture_points(self) -> list[ZooPoint]:
        return [point for point in self.points if point.name in LECTURE_NETWORKS]

    # --- shared ---------------------------------------------------------------------------------------
    def _progress(self, item: object, ticket: Ticket) -> None:
        if ticket.kind in KINDS.values() and isinstance(item, Progress):
            self.progress.emit(item, str(ticket.kind))

    def _failed(self, error: JobError) -> None:
        self.failed.emit(error.message)
