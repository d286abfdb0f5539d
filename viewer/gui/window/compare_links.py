"""Wiring of the Compare and Explain tabs and the chart window into the main window.

``install(window, state, tabs)`` adds the two tabs after the window's own, opens the chart from the Compare tab
and the View menu, and connects the views to the app state's sub-states (``state.compare``, ``state.explain``).
The notices of their kinds are said on their own tab (``Notice.tab``), never in the window's banner. It takes
the window's state and tabs as arguments (as :class:`~viewer.gui.window.analysis_links.AnalysisLinks` does) rather
than importing ``MainWindow``, which imports this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtWidgets

from viewer.core.options import ExplainOptions
from viewer.core.progress import Progress
from viewer.core.results.explain import ExplainSet
from viewer.core.results.session import ImageEntry
from viewer.gui.jobs.tickets import JobKind, Ticket
from viewer.gui.state import AppState, Notice
from viewer.gui.state.notices import TAB_OF_KIND
from viewer.gui.widgets.compare.view import CompareView, ComparisonShown
from viewer.gui.widgets.explain import ExplainShown, ExplainView
from viewer.gui.window.tab_exports import TabExports

if TYPE_CHECKING:  # the chart (pyqtgraph) is imported when first opened, the engine on the worker
    from viewer.core.results.compare import Comparison
    from viewer.gui.widgets.compare.chart import ChartWindow

    # The views draw what the state's signals carry through protocols (widgets never import the engine); a
    # change to the engine's dataclasses that a view would trip over fails mypy here.
    _COMPARISON: type[ComparisonShown] = Comparison
    _EXPLAINED: type[ExplainShown] = ExplainSet

__all__ = ["CompareLinks", "install"]

EXPLANATION_SUFFIXES = (".png", ".npy", ".json")


def _picture(entry: ImageEntry | None) -> np.ndarray | None:
    return None if entry is None else (entry.preview if entry.preview is not None else entry.display)


class CompareLinks(QtCore.QObject):
    """The Compare tab, the Explain tab and the chart window, bound to the app's Compare and Explain states."""

    def __init__(
        self, window: QtWidgets.QMainWindow, app: AppState, tabs: QtWidgets.QTabWidget, exports: TabExports
    ) -> None:
        """``exports``: the window's export helper (asks before replacing files, says refusals on the tab)."""
        super().__init__(window)
        self.window, self.app, self.tabs, self.exports = window, app, tabs, exports
        self.state, self.explain = app.compare, app.explain
        self.compare_view = CompareView()
        self.explain_view = ExplainView()
        self.chart_window: ChartWindow | None = None
        # A dialog, replaceable by tests and scripts: a weights file for a failed network.
        self.ask_weights_file: Callable[[str], str] = self._ask_weights_file
        tabs.addTab(self.compare_view, "Compare")
        tabs.addTab(self.explain_view, "Explain")
        self.compare_view.set_networks(self.state.networks)
        if app.model.registry is not None:
            self.compare_view.set_registry(app.model.registry)
        app.model.registry_changed.connect(self.compare_view.set_registry)
        app.images.image_changed.connect(self._image_changed)
        app.model.info_changed.connect(self._model_changed)
        app.notices.message.connect(self._notice)
        app.notices.cleared.connect(self._notice_cleared)
        app.progress.connect(self._progress)
        app.job_started.connect(self._job_started)
        app.job_finished.connect(self._job_finished)
        tabs.currentChanged.connect(self._tab_changed)

        view, state = self.compare_view, self.state
        view.networksRequested.connect(self._compare)
        view.remedyRequested.connect(self._remedy)
        view.cancelRequested.connect(state.cancel)
        view.chartRequested.connect(self.show_chart)
        state.comparison_changed.connect(self._comparison_changed)
        state.networks_changed.connect(view.set_networks)

        explain = self.explain_view
        explain.computeRequested.connect(self._explain)
        explain.costlyRequested.connect(self._explain_costly)
        explain.cancelRequested.connect(self.explain.cancel)
        explain.exportRequested.connect(self._export_explanation)
        self.explain.explanations_changed.connect(self._explanations_changed)
        self.explain.exported.connect(lambda paths: explain.status.setText("Wrote " + ", ".join(paths)))
        menu = next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View"), None)
        if isinstance(menu, QtWidgets.QMenu):  # QAction.menu() is typed as any QObject
            menu.addAction("Accuracy vs cost chart…", self.show_chart)

    def _device(self) -> str:
        return self.app.model.choice.device or "auto"

    def show_chart(self) -> ChartWindow:
        """Open (or raise) the chart window; its points are read on the worker."""
        from viewer.gui.widgets.compare.chart import ChartWindow

        if self.chart_window is None:
            self.chart_window = ChartWindow(self.window)
            self.chart_window.picked.connect(self.state.pick)
            self.chart_window.measureRequested.connect(lambda: self.state.measure_latency(self._device()))
            self.state.points_changed.connect(self.chart_window.set_points)
        self.state.request_points(self._device())
        self.chart_window.show()
        self.chart_window.raise_()
        return self.chart_window

    # --- state → views ---------------------------------------------------------------------------------
    def _tab_changed(self, index: int) -> None:
        self.explain.set_shown(self.tabs.widget(index) is self.explain_view)

    def _image_changed(self, entry: ImageEntry | None) -> None:
        self.explain_view.set_image(_picture(entry))
        self.compare_view.image = _picture(entry)

    def _model_changed(self, _info: object) -> None:
        """No model (its weights could not be had): Explain says why it shows nothing, as Predictions does."""
        if self.app.model.error is not None:
            label = self.app.model.choice.model_file or self.app.model.choice.model
            self.explain_view.show_error(f"No model: {label} could not be loaded (the message above says why).")

    def _comparison_changed(self, comparison: Comparison | None) -> None:
        self.compare_view.image = _picture(self.state.compared_image or self.app.image)
        self.compare_view.set_comparison(comparison)

    def _explanations_changed(self, found: ExplainSet | None) -> None:
        self.explain_view.set_explanations(found, _picture(self.explain.explained_image))

    def _notice(self, notice: Notice) -> None:
        if notice.tab == "compare":
            self.compare_view.show_error(notice.text)
        elif notice.tab == "explain":
            self.explain_view.show_error(notice.text)
        elif notice.tab == "chart" and self.chart_window is not None:
            self.chart_window.status.setText(notice.text)

    def _notice_cleared(self, kind: str) -> None:
        tab = TAB_OF_KIND.get(kind)
        if tab is None or tab in self.app.notices.tab_notices:
            return  # the tab's notice is about another of its kinds, and still holds
        if tab == "compare":
            self.compare_view.clear_error()
        elif tab == "explain":
            self.explain_view.clear_error()

    def _progress(self, step: Progress | None, kind: str) -> None:
        tab = TAB_OF_KIND.get(kind)
        if tab == "compare":
            self.compare_view.set_progress(step)
        elif tab == "explain":
            self.explain_view.set_progress(step)
        elif tab == "chart" and self.chart_window is not None and step is not None:
            self.chart_window.set_progress(step)

    def _job_started(self, kind: str) -> None:
        self._set_running(kind, True)

    def _job_finished(self, kind: str) -> None:
        """Nothing of ``kind`` runs any more (delivered, failed, cancelled, withdrawn): no progress bar stays."""
        self._progress(None, kind)
        self._set_running(kind, False)

    def _set_running(self, kind: str, running: bool) -> None:
        tab = TAB_OF_KIND.get(kind)
        if tab == "compare":
            self.compare_view.set_running(running)
        elif tab == "explain":
            self.explain_view.set_running(running)

    # --- views → state ---------------------------------------------------------------------------------
    def _compare(self, networks: list[tuple[str, str]]) -> None:
        text = self.compare_view.heatmap_class.text().strip()
        index = None
        if text:
            index = self.app.model.class_index(text, kind=JobKind.COMPARE)
            if index is None:
                return  # said on the tab
        self.state.request_compare(networks, heatmap_class=index)

    def _remedy(self, index: int, action: str) -> None:
        """A failed column's button: random weights, a weights file, the weights folder."""
        if action == "random":
            self.state.use_random_weights(index)
        elif action == "file":
            name = self.state.networks[index][0] if 0 <= index < len(self.state.networks) else ""
            path = self.ask_weights_file(name)
            if path:
                self.state.use_weights(index, path)
        elif action == "folder":
            self.app.weights.open_weights_folder()

    def _explain(self, _methods: list[str], wanted: int | str | None, options: ExplainOptions) -> None:
        self.explain.request(wanted, options)

    def _explain_costly(self, method: str, options: ExplainOptions) -> None:
        self.explain.request_costly(method, options)

    def _export_explanation(self, method: str, path: str) -> None:
        """The shown ``method`` map as one set (PNG, NPY, JSON), after asking before replacing files."""
        view = self.explain_view

        def submit(force: bool) -> Ticket | None:
            return self.explain.export(
                method, path, colormap=view.colormap.currentText(), alpha=view.alpha, force=force
            )

        self.exports.export_set(path, EXPLANATION_SUFFIXES, view.show_error, submit)

    # --- dialogs -----------------------------------------------------------------------------------------
    def _ask_weights_file(self, name: str) -> str:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window, f"Weights file for {name}", "", "PyTorch weights (*.pth *.pt *.bin);;All files (*)"
        )
        return path


def install(
    window: QtWidgets.QMainWindow, app: AppState, tabs: QtWidgets.QTabWidget, exports: TabExports
) -> CompareLinks:
    """Add the Compare and Explain tabs to ``tabs`` and the chart to the window's View menu, bound to ``app``."""
    return CompareLinks(window, app, tabs, exports)
