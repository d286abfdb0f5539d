"""AppState: what the app is looking at and the latest result of each kind; the only caller of jobs.

Data flows one way: a widget asks the state (``set_current``, ``set_model``...), the state submits a job with
the handler that stores its result, the worker runs it, the runner drops superseded and withdrawn jobs, the
handler keeps the result (with its on-screen form, as one object) and emits a signal, the widgets draw it.
Widgets never call the engine and never read each other.

AppState holds the runner, the one submission path (``_submit``), the job policy's one place (``input_changed``)
and the orchestration of what follows a change of model (``set_model`` and the model's jobs) or of image
(``image_switched``), and is composed of typed sub-states, each owning its data and its signals and reaching the
app through a narrow Protocol of what it uses:

- ``notices`` (``state.notices``): what the banner and the tabs say, until it no longer holds;
- ``images`` (``state.images``): the opened images and the one shown (a ``Sequence[ImageEntry]``);
- ``model`` (``state.model``): the registry, the model choice, the model loaded for it (or why not), its layer
  summary and the status bar's timings;
- ``predictions`` (``state.predictions``): the Predictions tab's top-k, its options (preset, TTA, k) and result;
- ``weights`` (``state.weights``): what a failed load of weights leaves chosen, and the notice's remedies;
- ``recipes`` (``state.recipe``): the preprocessing a weights file gets, asked once per file and remembered;
- ``architecture`` and ``lecture`` (``state.architecture``, ``state.lecture``): the Architecture tab's graph,
  layout and open blocks; ResNet's Table 1 and the convolutionized graph;
- ``activations`` and ``heatmap`` (``state.analysis``): those tabs' requests and results;
- ``exports`` (``state.exports``): Export all and each tab's Export…;
- ``compare`` and ``explain`` (``state.compare``): the Compare tab (and the chart) and the Explain tab;
- ``live`` (``state.live``): a camera or a video, the newest frame sent only, its top-k and the rates.

Notices are state too (:attr:`Notices.notice`): each belongs to a job kind or to the model choice ("model"),
and goes when that kind next succeeds or the choice changes (``Notices.cleared``). A job the state withdrew or a
newer one superseded says nothing; "cancelled" is only said for the user's Cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from viewer.core.job_names import JobName
from viewer.core.network.choice import ModelChoice
from viewer.core.progress import Progress
from viewer.core.results.session import ImageEntry, ModelInfo, Registry
from viewer.gui.jobs.engine_choice import engine_died, make_runner
from viewer.gui.jobs.policy import Change, withdrawn_on
from viewer.gui.jobs.runner import JobRunner
from viewer.gui.jobs.tickets import ErrorHandler, JobError, JobKind, Ticket
from viewer.gui.state.analysis import ActivationsState, HeatmapState
from viewer.gui.state.architecture import ArchitectureState
from viewer.gui.state.channel import ChannelState
from viewer.gui.state.compare import CompareState, ExplainState
from viewer.gui.state.exports import ExportState
from viewer.gui.state.images import Images
from viewer.gui.state.lecture import LectureState
from viewer.gui.state.live import LiveState
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import CHOICE_NOTICES, Notices
from viewer.gui.state.predictions import PredictionsState
from viewer.gui.state.recipe import WeightsRecipes
from viewer.gui.state.weights import WeightsFallbacks

if TYPE_CHECKING:
    from viewer.core.results.summary import Summary

__all__ = ["AppState"]

# Jobs the state cannot go on without: asked again, once, of the engine restarted after one died under them.
RESUBMITTED_AFTER_DEATH = frozenset({JobKind.REGISTRY, JobKind.MODEL, JobKind.SUMMARY, JobKind.GRAPH})
STEP_THROTTLE_MS = 60  # PgUp/PgDn held down: at most one round of analysis jobs per this many milliseconds


class AppState(QObject):
    """The runner, the job policy, what follows a change of model or image, and the sub-states; see the module
    docstring."""

    progress = Signal(object, str)  # Progress or None when idle; job kind
    job_started = Signal(str)  # kind of the job now running
    job_finished = Signal(str)  # kind of a job that ended (any outcome) with nothing more of its kind queued
    busy_changed = Signal(str)  # description of the running job, "" when idle

    def __init__(self, runner: JobRunner | None = None, parent: QObject | None = None) -> None:
        """``runner``: where jobs run (None: as ``VIEWER_ENGINE`` says, by default in an engine process)."""
        super().__init__(parent)
        self.jobs: JobRunner = runner or make_runner(parent=self)
        self.notices = Notices(parent=self)  # what the banner and the tabs say, until it no longer holds
        self.images = Images(self, self.notices, parent=self)  # the opened images and the one shown
        self.model = ModelState(self.notices, parent=self)  # the choice, the model loaded, its summary, timings
        self.weights = WeightsFallbacks(self, self.notices, parent=self)  # what a failed load leaves chosen
        self.recipes = WeightsRecipes(self, self.notices, parent=self)  # a weights file's preprocessing
        self.predictions = PredictionsState(self, parent=self)  # the top-k, its options
        self._delivering_ms: float | None = None  # how long the job whose result is being stored ran
        self.architecture = ArchitectureState(self, self.notices, parent=self)  # the data-flow graph on screen
        self.lecture = LectureState(self, self.architecture, self.notices, parent=self)  # Table 1, convolutionized
        self.activations = ActivationsState(self, self.notices, parent=self)  # the layers captured, their mosaic
        self.heatmap = HeatmapState(self, parent=self)  # the dense heatmap asked for and the one shown
        self.channel = ChannelState(self, self.notices, parent=self)  # what the selected channel looks for
        self.exports = ExportState(
            self,
            model=self.model,
            predictions=self.predictions,
            images=self.images,
            heatmap=self.heatmap,
            activations=self.activations,
            notices=self.notices,
            parent=self,
        )
        self.compare = CompareState(self, parent=self)  # the Compare tab and the chart
        self.explain = ExplainState(self, parent=self)  # the Explain tab
        self.live = LiveState(self, parent=self)  # a camera or a video: the newest frame's top-k
        self._stepped: Callable[[], object] | None = None  # see _analyse_stepped
        self.jobs.progress.connect(self._on_progress)
        self.jobs.finished.connect(self._on_finished)
        self.jobs.started.connect(self._on_started)
        self.jobs.idle.connect(self._on_idle)
        self.jobs.cancelled.connect(self.notices.cancelled)
        # "GPU out of memory, ran on the CPU": holds until the user chooses a model or device again.
        self.jobs.message.connect(lambda text: self.notices.notify(text, level="warning", kind="model"))

    def _analyse_stepped(self) -> object:
        """``_analyse_image`` throttled, for PgUp/PgDn held down; returns a Future.

        Built on the first step rather than at start-up: importing superqt loads all its widgets and qtpy,
        a tenth of the time to the first painted window.
        """
        if self._stepped is None:
            from superqt.utils import qthrottled

            self._stepped = qthrottled(self._analyse_image, STEP_THROTTLE_MS, leading=True, parent=self)
        return self._stepped()

    def image_switched(self, *, throttled: bool) -> None:
        """Another image is shown (``Images``): its previous results go, its analyses are asked for."""
        self._clear_results(summary=False)
        if throttled:
            self._analyse_stepped()
        else:
            self._analyse_image()

    def _analyse_image(self) -> None:
        if self.jobs.closed:  # a throttled call that fires after the window closed
            return
        self.predictions.request()
        self.activations.request()
        self.heatmap.refresh()

    def preset_switched(self) -> None:
        """Options were set with a preset (``PredictionsState.set_options``, which asks for the top-k again): the
        activations, prepared with it, are asked for again."""
        self.activations.request()

    # --- queries -----------------------------------------------------------------------------------
    @property
    def image(self) -> ImageEntry | None:
        """The image shown (``images.shown``)."""
        return self.images.shown

    def is_settled(self) -> bool:
        """Nothing queued or running, and everything asked for is shown (screenshot mode waits for it)."""
        return not self.jobs.is_busy() and (self.model.registry is not None or self.model.registry_error is not None)

    # --- requests from widgets ---------------------------------------------------------------------
    def start(self) -> None:
        """Read the registry on the worker (first torch import), then load the chosen model."""
        self._submit(
            JobKind.REGISTRY,
            JobName.LOAD_REGISTRY,
            on_result=self._registry_loaded,
            on_error=self._registry_failed,
            description="Loading torch and the model zoo",
        )

    def set_model(self, choice: ModelChoice) -> None:
        """Switch model, weights or device; results of the previous model are never shown afterwards.

        A network whose pretrained weights failed earlier keeps what the user chose instead (see
        ``state.weights``) when it is picked again with its default weights. The model is loaded and the image
        classified before the graph is traced: the top-k is what the user waits for (``viewer bench``).
        """
        choice = self.recipes.with_remembered(self.weights.with_sticky_weights(choice))
        previous = self.model.network_id()
        self.model.choose(choice)
        self.activations.network_switched(previous)
        for kind in CHOICE_NOTICES:
            self.notices.clear(kind)
        self.jobs.forget_gpu_fallbacks()
        self.input_changed(Change.MODEL)
        self._clear_results(summary=True)
        self.model.announce()
        if self.model.registry is not None:
            label = choice.model_file or choice.model
            self._submit(
                JobKind.MODEL,
                JobName.MODEL_INFO,
                model=choice,
                on_result=lambda info: self._model_loaded(choice, info),
                on_error=self._model_failed,
                description=f"Loading {label}",
            )
            self.predictions.request_with_model(choice)  # run by the engine right after the model's job
            self.architecture.request_graph(now=False)  # traced after the top-k (_model_loaded)

    def input_changed(self, change: Change) -> None:
        """The one place where the job policy's withdrawals happen (``job_policy.POLICY``): jobs computing for
        an input that is no longer shown stop at their next step, and the notices about them (a failure, the
        user's "cancelled") go with them."""
        for kind in withdrawn_on(change):
            self.jobs.withdraw(kind)
            self.notices.clear(kind)

    def cancel(self, kind: JobKind | None = None) -> None:
        """The user's Cancel (of one kind, or of everything)."""
        self.jobs.cancel(kind)

    # --- jobs --------------------------------------------------------------------------------------
    def _submit(
        self,
        kind: JobKind,
        job: JobName,
        *args: Any,
        on_result: Callable[[Any], None],
        on_error: ErrorHandler | None = None,
        description: str = "",
        low_memory: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Ticket:
        """Submit a job whose result goes to ``on_result``; a failure is a notice of its kind unless ``on_error``
        handles it. A new run of a kind clears what was said about its last run ("cancelled", a failure), and so
        does its success (a notice may come from elsewhere: a class name that is not known)."""
        self.notices.clear(kind)

        def delivered(result: Any) -> None:
            self._delivering_ms = ticket.elapsed_ms
            self.notices.clear(kind)
            on_result(result)

        handler = on_error or (lambda error: self.notices.job_failed(kind, error))

        def failed(error: JobError) -> None:
            if not engine_died(error):
                handler(error)
            elif kind in RESUBMITTED_AFTER_DEATH and not retried:
                # The state waits for these (the zoo, the model, its summary and graph): asked again of the
                # restarted engine, once. The runner's message said the death, once, whatever it took with it.
                self._submit(
                    kind, job, *args, on_result=on_result, on_error=on_error, description=description,
                    low_memory=low_memory, _retried=True, **kwargs,
                )  # fmt: skip
            elif kind in RESUBMITTED_AFTER_DEATH:  # no engine twice (a server that refuses the token, say)
                handler(error)
            # Any other job is not delivered: what the window shows stays, the user's next action asks again.

        retried = bool(kwargs.pop("_retried", False))
        ticket = self.jobs.submit(
            kind,
            job,
            *args,
            on_result=delivered,
            on_error=failed,
            description=description,
            low_memory=low_memory,
            **kwargs,
        )
        return ticket

    def _ready(self, kind: JobKind) -> tuple[ImageEntry, ModelChoice] | None:
        """The current image and model when both are there for ``kind``; otherwise withdraws what is pending."""
        image, info = self.image, self.model.info
        if info is None or info.key is None or image is None:
            self.jobs.withdraw(kind)
            return None
        return image, info.key

    def _clear_results(self, *, summary: bool) -> None:
        self.predictions.clear()
        self.activations.clear()
        self.heatmap.clear()
        self.channel.clear(model=summary)
        if summary:
            self.model.set_summary(None)

    def _record_time(self, name: str) -> None:
        """How long the job being delivered ran, shown in the status bar as ``name``."""
        if self._delivering_ms is not None:
            self.model.add_timings({name: self._delivering_ms})

    # --- results -----------------------------------------------------------------------------------
    def _registry_loaded(self, registry: Registry) -> None:
        self.model.set_registry(registry)
        self.set_model(self.model.choice)

    def _model_loaded(self, choice: ModelChoice, info: ModelInfo) -> None:
        instead = self.recipes.model_loaded(choice, replace(info, key=choice))
        if instead is not None:  # the file's content has another recipe remembered (state.recipe)
            self.set_model(instead)
            return
        self.weights.model_loaded(choice)
        # Later jobs name the model by the choice it was loaded (and cached) under.
        self.model.loaded(replace(info, key=choice), self._delivering_ms)
        self.predictions.request()  # first (unless asked with the model): the top-k is what the user waits for
        self.live.model_ready()
        self.heatmap.refresh()
        self.architecture.submit_waiting_graph()  # after the top-k: an idle engine would trace it first
        self._submit(
            JobKind.SUMMARY,
            JobName.SUMMARY,
            model=choice,
            on_result=self._summary_arrived,
            description=f"Summarising {info.name}",
        )

    def _registry_failed(self, error: JobError) -> None:
        self.model.registry_failed(error)
        self.notices.notify(
            "Could not load torch and the model zoo: " + error.message, error.details, kind=JobKind.REGISTRY
        )

    def _model_failed(self, error: JobError) -> None:
        self.model.failed(error)
        self.weights.model_failed(error)
        self.architecture.submit_waiting_graph()  # the network's diagram needs no weights

    def _summary_arrived(self, summary: Summary) -> None:
        self.activations.check_layers(summary)  # before the views see the summary: they select the layers
        self.model.set_summary(summary)
        self.activations.request()

    # --- the runner's signals ----------------------------------------------------------------------
    @Slot(object)
    def _on_started(self, ticket: Ticket) -> None:
        if ticket.kind is JobKind.LIVE:  # a frame every few tens of milliseconds: not a job to say "busy" about
            return
        self.busy_changed.emit(ticket.description)
        self.job_started.emit(ticket.kind)

    @Slot(object, object)
    def _on_progress(self, item: Progress, ticket: Ticket) -> None:
        self.progress.emit(item, ticket.kind)

    @Slot(object)
    def _on_finished(self, ticket: Ticket) -> None:
        if not self.jobs.pending(ticket.kind):
            self.job_finished.emit(ticket.kind)

    @Slot()
    def _on_idle(self) -> None:
        self.progress.emit(None, "")
        self.busy_changed.emit("")
