"""Each tab's Export… button: ask where, ask before overwriting, then hand the writing to the worker.

Predictions: ``<name>.csv`` + ``.json`` + ``.png`` (the chart); Activations: ``<name>.png`` (the channel grid) +
``.npy`` (the layer, all channels). The Architecture and Heatmap tabs export through their own views. The
dialogs go through ``ask_save_path`` and ``ask_overwrite`` so that tests (and scripts) can answer them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from viewer.gui.settings import Settings
from viewer.gui.state import AppState
from viewer.gui.widgets.activations import ActivationsView
from viewer.gui.widgets.predictions import PredictionsView

__all__ = ["TabExports", "bundle_paths"]

PREDICTION_SUFFIXES = (".csv", ".json", ".png")
ACTIVATION_SUFFIXES = (".png", ".npy")


def bundle_paths(base: str, suffixes: Sequence[str]) -> list[Path]:
    """The files an export to ``base`` writes: its stem (a known suffix dropped) with each suffix."""
    path = Path(base)
    stem = path.with_suffix("") if path.suffix.lower() in suffixes else path
    return [stem.with_name(stem.name + suffix) for suffix in suffixes]


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
        self.ask_save_path: Callable[[str, str, str], str] = self._ask_save_path
        self.ask_overwrite: Callable[[list[Path]], bool] = self._ask_overwrite
        predictions.exportRequested.connect(lambda: self.export_predictions())
        activations.exportRequested.connect(lambda: self.export_activations())

    def export_predictions(self, base: str | None = None) -> bool:
        """Export the shown prediction; False when there is none or the user declined."""
        state = self._state
        prediction = state.prediction
        if prediction is None:
            return False
        suggested = f"{Path(prediction.image).stem}_{prediction.model}_top{len(prediction.topk)}.csv"
        base = base or self.ask_save_path(
            "Export predictions (CSV + JSON + chart PNG)", suggested, "Top-k table (*.csv)"
        )
        force = self._confirm(base, PREDICTION_SUFFIXES)
        if force is None:
            return False
        chart = self._predictions.chart_png()
        return state.export_prediction(base, chart, force=force) is not None

    def export_activations(self, base: str | None = None) -> bool:
        """Export the shown layer's grid and values; False when there is none or the user declined."""
        state = self._state
        grid = state.activation_grid
        if grid is None or state.image is None:
            return False
        suggested = f"{Path(state.image.path).stem}_{grid.layer}.png"
        base = base or self.ask_save_path("Export activations (grid PNG + NPY)", suggested, "Channel grid (*.png)")
        force = self._confirm(base, ACTIVATION_SUFFIXES)
        if force is None:
            return False
        return state.export_activation(base, force=force) is not None

    def _confirm(self, base: str, suffixes: Sequence[str]) -> bool | None:
        """None: cancelled or declined; else whether to overwrite (True only when asked and accepted)."""
        if not base:
            return None
        existing = [path for path in bundle_paths(base, suffixes) if path.exists()]
        if existing and not self.ask_overwrite(existing):
            return None
        return bool(existing)

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
