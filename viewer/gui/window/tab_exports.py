"""Each tab's Export… button: ask where, ask before overwriting, then hand the writing to the worker.

Predictions: ``<name>.csv`` + ``.json`` + ``.png`` (the chart); Activations: ``<name>.png`` (the channel grid) +
``.npy`` (the layer, all channels). The Architecture and Heatmap tabs export through their own views. The
dialogs go through ``ask_save_path`` and ``ask_overwrite`` so that tests (and scripts) can answer them;
``confirm`` / ``confirm_paths`` are the one way any tab asks before replacing files. What the user can cause (a
read-only or missing folder, a full disk, a folder in the way) is one sentence on the tab, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from viewer.core.errors import ExportError, ViewerError
from viewer.core.file_export import bundle_paths, check_targets
from viewer.gui.jobs.tickets import ErrorHandler, JobError, JobKind, Ticket
from viewer.gui.runtime.settings import Settings
from viewer.gui.state import AppState
from viewer.gui.widgets.activations.view import ActivationsView
from viewer.gui.widgets.predictions import PredictionsView

__all__ = ["TabExports", "said_on_tab"]

PREDICTION_SUFFIXES = (".csv", ".json", ".png")
ACTIVATION_SUFFIXES = (".png", ".npy")


def said_on_tab(state: AppState, say: Callable[[str], None], kind: JobKind) -> ErrorHandler:
    """An export job's ``on_error``: the user's error is ``say``'s one sentence on its tab; a bug stays a
    notice of ``kind`` in the banner, with its traceback as details."""

    def failed(error: JobError) -> None:
        if error.is_bug:
            state.notices.notify(error.message, error.details, kind=kind)
        else:
            say(error.message)

    return failed


class TabExports(QtCore.QObject):
    """Wires the Predictions and Activations tabs' Export buttons to the state's export jobs."""

    def __init__(
        self,
        window: QtWidgets.QWidget,
        state: AppState,
        settings: Settings,
        predictions: PredictionsView,
        activations: ActivationsView,
    ) -> None:
        """``window`` is the dialogs' parent; the buttons are the two views' ``exportRequested``."""
        super().__init__(window)
        self._window = window
        self._state = state
        self._settings = settings
        self._predictions = predictions
        self._activations = activations
        self.ask_save_path: Callable[[str, str, str], str] = self._ask_save_path
        self.ask_overwrite: Callable[[list[Path]], bool] = self._ask_overwrite
        predictions.exportRequested.connect(lambda: self.export_predictions())
        activations.exportRequested.connect(lambda: self.export_activations())

    def export_predictions(self, base: str | None = None) -> bool:
        """Export the shown prediction; False when there is none, the user declined, or it was refused (said on
        the tab). The chart is drawn first even if the tab was never shown."""
        state = self._state
        prediction = state.predictions.prediction
        if prediction is None:
            return False
        view = self._predictions
        view.show_export_message("")
        suggested = f"{Path(prediction.image).stem}_{prediction.model}_top{len(prediction.topk)}.csv"
        chosen = base or self.ask_save_path(
            "Export predictions (CSV + JSON + chart PNG)", suggested, "Top-k table (*.csv)"
        )

        def submit(force: bool) -> Ticket | None:
            chart = view.chart_png()
            if not chart:
                raise ExportError("The chart could not be drawn, so nothing was exported.")
            on_error = said_on_tab(state, view.show_export_message, JobKind.EXPORT_PREDICTIONS)
            return state.exports.prediction(chosen, chart, force=force, on_error=on_error)

        return self.export_set(chosen, PREDICTION_SUFFIXES, view.show_export_message, submit)

    def export_activations(self, base: str | None = None) -> bool:
        """Export the shown layer's grid and values; False when there is none, the user declined, or it was
        refused (said on the tab)."""
        state = self._state
        grid = state.activations.grid
        if grid is None or state.image is None:
            return False
        view = self._activations
        view.show_export_message("")
        suggested = f"{Path(state.image.path).stem}_{grid.layer}.png"
        chosen = base or self.ask_save_path("Export activations (grid PNG + NPY)", suggested, "Channel grid (*.png)")

        def submit(force: bool) -> Ticket | None:
            on_error = said_on_tab(state, view.show_export_message, JobKind.EXPORT_ACTIVATIONS)
            return state.exports.activation(chosen, force=force, on_error=on_error)

        return self.export_set(chosen, ACTIVATION_SUFFIXES, view.show_export_message, submit)

    def confirm(self, base: str, suffixes: Sequence[str]) -> bool | None:
        """May an export to ``base`` (each of ``suffixes``, see ``bundle_paths``) go ahead, and with ``force``?

        None: no path (the dialog was cancelled) or the user declined to replace files. Otherwise the ``force``
        to pass to the writer: True only when some of the files exist and the user agreed to replace them
        (asked once for the whole set, through ``ask_overwrite``).
        """
        if not base:
            return None
        return self.confirm_paths(bundle_paths(base, suffixes))

    def confirm_paths(self, paths: Sequence[Path]) -> bool | None:
        """``confirm`` for files named by the caller (an export whose names are not ``base`` + suffixes)."""
        existing = [path for path in paths if path.exists()]
        if existing and not self.ask_overwrite(existing):
            return None
        return bool(existing)

    def export_set(
        self, base: str, suffixes: Sequence[str], say: Callable[[str], None], submit: Callable[[bool], Ticket | None]
    ) -> bool:
        """Ask before overwriting, then ``submit(force)``; a refusal on the way is ``say``'s sentence (a slot
        must not raise: the exception would reach sys.excepthook as a traceback)."""
        try:
            force = self.confirm(base, suffixes)
            if force is None:
                return False
            check_targets(bundle_paths(base, suffixes), force=force)  # a missing folder is said now, not later
            return submit(force) is not None
        except ViewerError as error:
            say(str(error))
        except OSError as error:  # a path the system refuses even to look at
            say(f"Cannot export to {base}: {error.strerror or error}.")
        return False

    def _ask_save_path(self, title: str, suggested: str, filters: str) -> str:
        folder = Path(self._settings.last_folder() or ".")
        # Overwriting is asked once for all the files of the bundle (below), not by the dialog for one of them.
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self._window,
            title,
            str(folder / suggested),
            filters,
            options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite,
        )
        return path

    def _ask_overwrite(self, existing: list[Path]) -> bool:
        names = "\n".join(str(path) for path in existing)
        answer = QtWidgets.QMessageBox.question(
            self._window, "Replace files?", f"These files exist:\n{names}\nReplace them?"
        )
        return answer == QtWidgets.QMessageBox.StandardButton.Yes
