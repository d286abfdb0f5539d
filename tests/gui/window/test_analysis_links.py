"""AnalysisLinks: the state's results reach the tabs and the image panel; the tabs' requests reach the state."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from viewer.core.options import HeatmapRequest
from viewer.gui.jobs.tickets import JobKind
from viewer.gui.state import AppState
from viewer.gui.widgets.activations.view import ActivationsView
from viewer.gui.widgets.architecture.view import ArchitectureView
from viewer.gui.widgets.heatmap.view import HeatmapView
from viewer.gui.widgets.image_panel import ImagePanel
from viewer.gui.widgets.predictions import PredictionsView
from viewer.gui.window.analysis_links import AnalysisLinks, AnalysisViews

TIMEOUT = 120_000


def _open(qtbot, state: AppState, panel: ImagePanel, path) -> None:
    state.images.image_changed.connect(
        lambda entry: panel.set_image(entry.display, entry.name, entry.original_size) if entry else None
    )
    state.start()
    state.images.open_paths([str(path)])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)


def test_a_heatmap_is_drawn_in_its_tab_and_over_the_image_from_one_screen_copy(qtbot, state, shared_data):
    views = AnalysisViews(PredictionsView(), ActivationsView(), ArchitectureView(), HeatmapView())
    panel = ImagePanel()
    for widget in (views.predictions, views.activations, views.architecture, views.heatmap, panel):
        qtbot.addWidget(widget)
    links = AnalysisLinks(state, views, panel)
    heatmap = views.heatmap
    assert links.views.heatmap is heatmap
    _open(qtbot, state, panel, shared_data / "mnist" / "mnist_7.png")
    assert views.predictions.isEnabled() and state.predictions.prediction.topk[0].name == "7"

    with qtbot.waitSignal(state.heatmap.changed, timeout=TIMEOUT, check_params_cb=lambda result: result is not None):
        heatmap.computeRequested.emit(HeatmapRequest(class_index=3, scales=(1.0,)))
    shown = state.heatmap.on_screen
    assert shown is not None and heatmap.shown_class == 3 == shown.heatmap.class_index
    assert panel.has_overlay() and tuple(panel.overlay_item.getLevels()) == pytest.approx(shown.levels)

    heatmap.alpha_slider.setValue(heatmap.alpha_slider.minimum())  # the image panel's copy follows the tab
    assert panel.overlay_item.opacity() == pytest.approx(heatmap.alpha)

    def cancel_at_start(kind: str) -> None:  # Cancel is enabled while the tab's job runs
        if kind == JobKind.HEATMAP:
            state.job_started.disconnect(cancel_at_start)
            assert heatmap.cancel_button.isEnabled()
            qtbot.mouseClick(heatmap.cancel_button, Qt.MouseButton.LeftButton)

    state.job_started.connect(cancel_at_start)
    with qtbot.waitSignal(state.jobs.cancelled, timeout=TIMEOUT):  # the tab's Cancel is the user's Cancel
        heatmap.computeRequested.emit(HeatmapRequest(class_index=5, scales=(1.0, 2.0)))
    assert state.heatmap.shown is shown.heatmap and heatmap.shown_class == 3  # the older map stays, and is named
    assert not heatmap.cancel_button.isEnabled()
