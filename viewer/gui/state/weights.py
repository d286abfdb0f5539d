"""What the state does when weights cannot be loaded: one honest notice, a choice that sticks, the old model kept.

``AppState.weights``, a sub-state of :class:`viewer.gui.state.AppState`:

- a pretrained download that fails (offline, first run) leaves the chosen network (its Architecture tab
  needs no weights) and offers, in one notice: Retry, Use random weights, Choose a weights file…, Open the
  weights folder. What the user picks there sticks for that network for the session: picking the network again
  (its "default" weights) keeps random weights or the file instead of failing again;
- a weights *file* that fails keeps the previous working model: the choice goes back to it (the worker still
  holds it, so its results come back at once) and the notice says which file failed and why;
- messages of the engine, written for the command line, name the app's actions instead of CLI flags.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from viewer.core.errors import DownloadError
from viewer.core.network.choice import ModelChoice
from viewer.gui.state.model import ModelState
from viewer.gui.state.notices import Notices

if TYPE_CHECKING:
    from viewer.gui.jobs.tickets import JobError

__all__ = ["WeightsFallbacks", "WeightsHost", "gui_wording", "is_weights_file"]

RANDOM = "none"

# The engine's sentences end with advice for the command line; the app has buttons for the same things.
_CLI_ADVICE = (
    (
        re.compile(r"Work offline with random weights \(--weights none\) or a local file \(--weights FILE\), or copy"),
        "Use random weights or a weights file below, or copy",
    ),
    (re.compile(r"use --weights none or a file"), "choose Random init or a weights file"),
    (re.compile(r"\(--weights none\)"), "(Weights › Random init)"),
    (re.compile(r"--weights FILE"), "Weights › From file…"),
    (re.compile(r"--weights-dir"), "the weights folder"),
)


def gui_wording(text: str) -> str:
    """``text`` with its command-line advice (``--weights none``...) said as the app's actions."""
    for pattern, replacement in _CLI_ADVICE:
        text = pattern.sub(replacement, text)
    return text


def is_weights_file(choice: ModelChoice, specs: dict[str, Any]) -> bool:
    """True when ``choice.weights`` names a file (not "default", not random init, not a torchvision enum)."""
    if choice.weights in ("default", RANDOM):
        return False
    spec = specs.get(choice.model or "")
    return choice.model_file is not None or spec is None or choice.weights not in spec.weights


class WeightsHost(Protocol):
    """What :class:`WeightsFallbacks` uses of the app: the model (the registry, the choice), and choosing again."""

    model: ModelState

    def set_model(self, choice: ModelChoice) -> None: ...


class WeightsFallbacks(QObject):
    """The model-failure handling (``AppState.weights``; see the module docstring).

    Holds ``sticky_weights`` (network name -> the weights the user chose after its default failed),
    ``last_loaded_choice`` (the last choice whose model loaded: what a failed file returns to) and the networks
    whose pretrained weights could not be had this session.

    Signals:
        file_requested(): a notice's "Choose a weights file…" was clicked.
        folder_requested(str): a notice's "Open the weights folder" was clicked: that folder.
    """

    file_requested = Signal()
    folder_requested = Signal(str)

    def __init__(self, app: WeightsHost, notices: Notices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._notices = notices
        self.sticky_weights: dict[str, str] = {}
        self.last_loaded_choice: ModelChoice | None = None
        self._unavailable: set[str] = set()

    def _specs(self) -> dict[str, Any]:
        registry = self._app.model.registry
        return {} if registry is None else {spec.name: spec for spec in registry.specs}

    def with_sticky_weights(self, choice: ModelChoice) -> ModelChoice:
        """``choice`` with the weights chosen earlier for its network when it asks for the default ones."""
        sticky = self.sticky_weights.get(choice.model or "")
        if choice.weights == "default" and sticky is not None and not choice.model_file:
            return replace(choice, weights=sticky)
        return choice

    # --- called by AppState --------------------------------------------------------------------------
    def model_loaded(self, choice: ModelChoice) -> None:
        self.last_loaded_choice = choice
        if choice.model in self._unavailable and choice.weights not in ("default",) and not choice.model_file:
            spec = self._specs().get(choice.model or "")
            if spec is None or choice.weights not in spec.weights:  # random init or a file, not a retried enum
                self.sticky_weights[choice.model] = choice.weights
        self._notices.clear("model")

    def model_failed(self, error: JobError) -> None:
        choice = self._app.model.choice
        text = gui_wording(error.message)
        if is_weights_file(choice, self._specs()) and not error.is_bug:
            previous = self.last_loaded_choice
            name = Path(choice.weights).name
            if previous is not None and previous != choice:
                label = previous.model_file or previous.model
                weights = "random init" if previous.weights == RANDOM else Path(previous.weights).name
                self._app.set_model(previous)  # first: a change of choice clears the notices about the choice
                self._notices.notify(
                    f"Weights file {name} was not loaded: {text} Kept {label} ({weights}).",
                    error.details,
                    kind="weights-file",
                )
                return
            self._notices.notify(
                f"Weights file {name} was not loaded: {text}",
                error.details,
                kind="model",
                actions=self._fallback_actions(choice),
            )
            return
        if isinstance(error.error, DownloadError) and choice.model and not choice.model_file:
            self._unavailable.add(choice.model)
            self._notices.notify(
                f"{choice.model}: its pretrained weights are not on this computer. {text}",
                error.details,
                level="warning",
                kind="model",
                actions=self._fallback_actions(choice, offline=True),
            )
            return
        self._notices.notify(text, error.details, kind="model", actions=self._fallback_actions(choice))

    # --- the notice's actions --------------------------------------------------------------------------
    def _fallback_actions(
        self, failed: ModelChoice, *, offline: bool = False
    ) -> tuple[tuple[str, Callable[[], None]], ...]:
        actions: list[tuple[str, Callable[[], None]]] = []
        if offline:
            actions.append(("Retry", lambda: self.retry_weights(failed)))
        if failed.weights != RANDOM:
            actions.append(("Use random weights", lambda: self.use_random_weights(failed)))
        actions.append(("Choose a weights file…", self.file_requested.emit))
        if offline:
            actions.append(("Open the weights folder", self.open_weights_folder))
        return tuple(actions)

    def retry_weights(self, failed: ModelChoice) -> None:
        """Try the failed pretrained weights again (the network may be back)."""
        if failed.model:
            self.sticky_weights.pop(failed.model, None)
            self._unavailable.discard(failed.model)
        self._app.set_model(failed)

    def use_random_weights(self, failed: ModelChoice) -> None:
        """Random init for the failed network, kept for it for the rest of the session."""
        if failed.model and not failed.model_file:
            self.sticky_weights[failed.model] = RANDOM
        self._app.set_model(replace(failed, weights=RANDOM, recipe=None))

    def open_weights_folder(self) -> None:
        """Ask the window to show torch hub's checkpoints folder (created, so that a file can be copied in)."""
        registry = self._app.model.registry
        folder = registry.weights_dir if registry is not None else ""
        if folder:
            with contextlib.suppress(OSError):  # shown anyway: the file manager says what is wrong with it
                Path(folder).mkdir(parents=True, exist_ok=True)
            self.folder_requested.emit(folder)
