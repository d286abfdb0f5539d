"""Wiring of the Compare and Explain tabs and the chart window into the main window (issue 12).

``install(window, state, tabs)`` adds the two tabs after the window's own, opens the chart from the Compare tab
and the View menu, and connects the views to a :class:`~viewer.gui.state_compare.CompareState` beside the app's
state. The main window calls it once; nothing else of the window needs to know these tabs. It takes the window's
state and tabs as arguments (as :class:`~viewer.gui.analysis_links.AnalysisLinks` does) rather than importing
``MainWindow``, which imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from viewer.core.options import ExplainOptions
from viewer.core.progress import Progress
from viewer.gui.state import AppState
from viewer.gui.state_compare import CompareState
from viewer.gui.tasks import ImageEntry
from viewer.gui.widgets.compare import CompareView, ComparisonShown
from viewer.gui.widgets.explain import ExplainShown, ExplainView

if TYPE_CHECKING:  # the chart (pyqtgraph) is imported when first opened, the engine on the worker
    from viewer.engine.compare import Comparison
    from viewer.gui.compare_tasks import ExplainSet
    from viewer.gui.widgets.zoo_chart import ChartWindow

    # The views draw what the state's signals carry through protocols (widgets never import the engine); a
    # change to the engine's dataclasses that a view would trip over fails mypy here.
    _COMPARISON: type[ComparisonShown] = Comparison
    _EXPLAINED: type[ExplainShown] = ExplainSet

__all__ = ["CompareLinks", "install"]


class CompareLinks(QtCore.QObject):
    """The Compare tab, the Explain tab and the chart window, bound to one :class:`CompareState`."""

    def __init__(self, window: QtWidgets.QMainWindow, app: AppState, tabs: QtWidgets.QTabWidget) -> None:
        super().__init__(window)
        self.window, self.app, self.tabs = window, app, tabs
        self.state = CompareState(app, parent=self)
        self.compare_view = CompareView()
        self.explain_view = ExplainView()
        self.chart_window: ChartWindow | None = None
        tabs.addTab(self.compare_view, "Compare")
        tabs.addTab(self.explain_view, "Explain")
        self.compare_view.set_networks(self.state.networks)
        if app.registry is not None:
            self.compare_view.set_registry(app.registry)
        app.registry_changed.connect(self.compare_view.set_registry)
        app.image_changed.connect(self._image_changed)
        tabs.currentChanged.connect(self._tab_changed)

        view, state = self.compare_view, self.state
        view.networksRequested.connect(self._compare)
        view.cancelRequested.connect(lambda: state.cancel("compare"))
        view.chartRequested.connect(self.show_chart)
        state.comparison_changed.connect(view.set_comparison)
        state.networks_changed.connect(view.set_networks)
        state.progress.connect(self._progress)
        state.failed.connect(view.show_error)
        state.failed.connect(self.explain_view.show_error)

        explain = self.explain_view
        explain.computeRequested.connect(self._compute)
        explain.cancelRequested.connect(lambda: state.cancel("explain"))
        explain.exportRequested.connect(
            lambda method, path: state.export_explanation(
                method, path, colormap=explain.colormap.currentText(), alpha=explain.alpha
            )
        )
        state.explanations_changed.connect(explain.set_explanations)
        state.exported.connect(lambda paths: explain.status.setText("Wrote " + ", ".join(paths)))
        menu = next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View"), None)
        if isinstance(menu, QtWidgets.QMenu):  # QAction.menu() is typed as any QObject
            menu.addAction("Accuracy vs cost chart…", self.show_chart)

    def _device(self) -> str:
        return self.app.choice.device or "auto"

    def show_chart(self) -> ChartWindow:
        """Open (or raise) the chart window; its points are read on the worker."""
        from viewer.gui.widgets.zoo_chart import ChartWindow

        if self.chart_window is None:
            self.chart_window = ChartWindow(self.window)
            self.chart_window.picked.connect(self.state.pick)
            self.chart_window.measureRequested.connect(lambda: self.state.measure_latency(self._device()))
            self.state.points_changed.connect(self.chart_window.set_points)
        self.state.request_points(self._device())
        self.chart_window.show()
        self.chart_window.raise_()
        return self.chart_window

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.compare_view:
            self.state.activate()

    def _image_changed(self, entry: ImageEntry | None) -> None:
        image = None if entry is None else (entry.preview if entry.preview is not None else entry.display)
        self.explain_view.set_image(image)
        self.compare_view.image = image

    def _compare(self, networks: list[tuple[str, str]]) -> None:
        text = self.compare_view.heatmap_class.text().strip()
        index = None
        if text:
            index = int(text) if text.isdigit() else self.app.class_index(text)
            if index is None:
                return
        self.state.set_networks(networks, heatmap_class=index)

    def _compute(self, methods: list[str], wanted: int | str | None, options: ExplainOptions) -> None:
        index = None
        if isinstance(wanted, int):
            index = wanted
        elif wanted is not None:
            index = self.app.class_index(wanted)
            if index is None:
                return
        self.state.request_explanations(methods, index, options)

    def _progress(self, step: Progress, kind: str) -> None:
        if kind == "compare":
            self.compare_view.set_progress(step)
        elif kind == "explain":
            self.explain_view.set_progress(step)
        elif self.chart_window is not None:
            self.chart_window.set_progress(step)


def install(window: QtWidgets.QMainWindow, app: AppState, tabs: QtWidgets.QTabWidget) -> CompareLinks:
    """Add the Compare and Explain tabs to ``tabs`` and the chart to the window's View menu, bound to ``app``."""
    return CompareLinks(window, app, tabs)
