"""The live view's state (``AppState.live``): the newest frame only, one frame in the engine, the rates.

A camera or a video shows frames at its own rate; the network takes what it takes. So there is a one-slot mailbox,
never a queue: :meth:`LiveState.offer` sends a frame at once when no frame is in the engine, and otherwise puts it
in the slot, replacing the one waiting there (dropped unseen by the network). When a frame's top-k comes back the
waiting frame, if any, goes. The engine thus always works on a frame at most one network pass old, and the frames
analysed are never more than the frames shown.

A frame is offered as a function that makes it (``Callable[[], LiveFrame]``): the window converts a shown frame to
pixels only when it is sent, not for each of the frames that the slot drops.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.job_names import JobName
from viewer.gui.jobs.tickets import JobError, JobKind, Stop, Ticket
from viewer.gui.state.analysis import ActivationsState
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices

if TYPE_CHECKING:
    from viewer.core.results.live import FrameResult, LiveFrame

__all__ = ["RATE_WINDOW_S", "LiveHost", "LiveState"]

RATE_EVENTS = 10  # the rates are over the last ten frames: steady to read, quick to follow a change
RATE_WINDOW_S = 10.0  # and none older than this (a network slower than one frame in ten seconds reads 0)


class LiveHost(Protocol):
    """What :class:`LiveState` uses of the app: the loaded model, the Activations tab's layers, the notices, the
    one submission path."""

    model: ModelState
    activations: ActivationsState
    notices: Notices

    def _submit(
        self, kind: JobKind, job: JobName, *args: Any, on_result: Callable[[Any], None], **kwargs: Any
    ) -> Ticket: ...


class Rate:
    """Events a second over the last :data:`RATE_EVENTS` of them within :data:`RATE_WINDOW_S` (0 until two)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._times: deque[float] = deque()
        self._clock = clock

    def tick(self) -> None:
        now = self._clock()
        self._times.append(now)
        while self._times and (now - self._times[0] > RATE_WINDOW_S or len(self._times) > RATE_EVENTS):
            self._times.popleft()

    def per_second(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def clear(self) -> None:
        self._times.clear()


class LiveState(QObject):
    """The frames shown and analysed of the live source, and the latest top-k; see the module docstring.

    Signals:
        result_changed(object): the newest frame's ``FrameResult``, or None when live stops.
        rates_changed(float, float): frames analysed a second, frames shown a second.
        active_changed(bool): a source started or stopped.
    """

    result_changed = Signal(object)
    rates_changed = Signal(float, float)
    active_changed = Signal(bool)

    def __init__(self, app: LiveHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self.active = False
        self.source = ""  # the video's name or the camera's description
        self.topk = 5
        self.preset = "weights"
        self.heatmap = False  # a single-scale dense heatmap with each top-k
        self.heatmap_class: int | None = None  # of this class; None: each frame's top-1
        self.show_layer = False  # the mosaic of the Activations tab's layer with each top-k
        self.result: FrameResult | None = None
        self.shown = 0  # frames offered (shown) since the source started
        self.analysed = 0  # frames whose top-k came back
        self.newest = -1  # the number of the newest frame offered
        self.sent_numbers: list[int] = []  # the frames sent to the engine, in order (the tests read it)
        self._waiting: Callable[[], LiveFrame] | None = None
        self._ticket: Ticket | None = None
        self._sent_newest = -1  # the newest frame's number when the frame in the engine was sent
        self.shown_rate = Rate()
        self.analysed_rate = Rate()

    # --- requests --------------------------------------------------------------------------------
    def start(self, source: str) -> None:
        """A camera or a video starts: counts and rates from zero."""
        self.stop()
        self.active, self.source = True, source
        self.shown = self.analysed = 0
        self.newest = -1
        self.sent_numbers = []
        self.shown_rate.clear()
        self.analysed_rate.clear()
        self.active_changed.emit(True)

    def stop(self) -> None:
        """The source stopped: nothing more is sent, and the frame in the engine is not delivered."""
        self._waiting = None
        ticket, self._ticket = self._ticket, None
        if ticket is not None and not ticket.done():
            ticket.stop(Stop.WITHDRAWN)
        if self.active:
            self.active = False
            self.result = None
            self.result_changed.emit(None)
            self.active_changed.emit(False)

    def offer(self, number: int, make: Callable[[], LiveFrame]) -> None:
        """Frame ``number`` is shown: sent now if the engine is free, else it waits in the slot (replacing one)."""
        if not self.active:
            return
        self.shown += 1
        self.newest = number
        self.shown_rate.tick()
        self._waiting = make
        self._send_waiting()

    def _in_flight(self) -> bool:
        ticket = self._ticket
        return ticket is not None and not ticket.done() and not ticket.stop_requested

    def _send_waiting(self) -> None:
        if self._waiting is None or self._in_flight():
            return
        info = self._app.model.info
        if info is None or info.key is None:  # no model yet: the newest frame waits for it
            return
        make, self._waiting = self._waiting, None
        frame = make()
        self.sent_numbers.append(frame.number)
        self._sent_newest = self.newest
        self._ticket = self._app._submit(
            JobKind.LIVE,
            JobName.LIVE_FRAME,
            frame,
            model=info.key,
            topk=self.topk,
            preset=self.preset,
            heatmap=self.heatmap,
            heatmap_class=self.heatmap_class,
            layer=self.layer() if self.show_layer else None,
            on_result=self._arrived,
            on_error=self._failed,
            description="Live",
        )

    def resumed(self) -> None:
        """The source goes on after a pause (Unfreeze): the rates start again, not averaged over the pause."""
        self.shown_rate.clear()
        self.analysed_rate.clear()

    def model_ready(self) -> None:
        """A model is loaded: the frame waiting for one goes."""
        self._send_waiting()

    # --- results ---------------------------------------------------------------------------------
    def _arrived(self, result: FrameResult) -> None:
        self._ticket = None
        if not self.active:
            return
        self.analysed += 1
        self.analysed_rate.tick()
        self.result = result
        # The waiting frame goes before this result is drawn: the engine works on it while the window paints.
        self._send_waiting()
        self.result_changed.emit(result)
        self.rates_changed.emit(self.analysed_rate.per_second(), self.shown_rate.per_second())

    def _failed(self, error: JobError) -> None:
        self._ticket = None
        self._app.notices.job_failed(JobKind.LIVE, error)
        # The next frame shown tries again (a model that failed to load says so once, through its notice).

    def layer(self) -> str | None:
        """The layer whose mosaic comes with each frame: the Activations tab's (its first convolution until one is
        picked there), followed as the user picks another."""
        layers = self._app.activations.layers
        if layers:
            return layers[0]
        summary = self._app.model.summary
        return None if summary is None else summary.first_convolution()

    @property
    def rates(self) -> tuple[float, float]:
        """(frames analysed a second, frames shown a second) now."""
        return self.analysed_rate.per_second(), self.shown_rate.per_second()
