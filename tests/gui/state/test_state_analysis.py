"""Which analysis jobs the state submits: only when image and model are there, kept across images, the least work."""

from __future__ import annotations

from viewer.core.activation_grid import GridOptions
from viewer.core.network.choice import ModelChoice
from viewer.core.options import HeatmapRequest
from viewer.gui.jobs.tickets import JobKind

TIMEOUT = 120_000


def test_a_heatmap_asked_for_before_image_and_model_comes_once_both_are_there(qtbot, state, shared_data):
    state.heatmap.request(
        HeatmapRequest(class_name="7", scales=(1.0,))
    )  # a class by name, as `viewer gui --class 7` asks
    assert state.jobs.pending(JobKind.HEATMAP) == []
    started: list[str] = []
    state.job_started.connect(started.append)
    state.start()
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: state.heatmap.shown is not None, timeout=TIMEOUT)
    assert state.heatmap.shown.class_index == 7 and state.heatmap.requested_class() == 7
    assert started.count(JobKind.HEATMAP) == 1

    state.images.open_paths([str(shared_data / "mnist" / "mnist_2.png")])  # the request is kept for the next image
    qtbot.waitUntil(
        lambda: state.heatmap.shown is not None and state.heatmap.shown.image_path.endswith("mnist_2.png"),
        timeout=TIMEOUT,
    )
    assert state.heatmap.shown.class_index == 7


def test_an_unknown_class_submits_nothing_and_says_so(qtbot, state, shared_data):
    state.start()
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None and not state.jobs.is_busy(), timeout=TIMEOUT)
    notices = []
    state.notices.message.connect(notices.append)
    state.heatmap.request(HeatmapRequest(class_name="zebra"))
    assert state.jobs.pending(JobKind.HEATMAP) == [] and len(notices) == 1 and "zebra" in notices[0].text
    assert state.heatmap.requested_class() is None  # asked quietly: no second notice
    assert len(notices) == 1


def test_new_grid_options_redraw_the_mosaic_and_keep_the_capture(qtbot, state, shared_data):
    state.start()
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])
    qtbot.waitUntil(
        lambda: state.activations.capture is not None and state.activations.capture.grid is not None, timeout=TIMEOUT
    )
    capture = state.activations.capture
    options = GridOptions(normalize="layer", order="mean", colormap="gray")
    with qtbot.waitSignal(state.activations.grid_changed, timeout=TIMEOUT):
        state.activations.set_grid_options(options)
        assert state.jobs.pending(JobKind.ACTIVATIONS) == []  # no new capture: only the mosaic is redrawn
        assert len(state.jobs.pending(JobKind.ACTIVATION_GRID)) == 1
    assert state.activations.shown is capture.activations and state.activations.grid.options == options
    assert state.activations.capture.grid_matches(state.activations.layers[0], options)
    state.activations.set_grid_options(options)  # the same options again: nothing to do
    assert state.jobs.pending(JobKind.ACTIVATION_GRID) == []


def test_nothing_is_asked_without_a_model_and_a_model_switch_withdraws_silently(qtbot, state, shared_data):
    state.images.open_paths([str(shared_data / "mnist" / "mnist_7.png")])  # no registry, so no model yet
    qtbot.waitUntil(lambda: state.image is not None, timeout=TIMEOUT)
    assert state.jobs.pending(JobKind.CLASSIFY) == [] and state.predictions.prediction is None
    state.start()
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    cancelled = []
    state.jobs.cancelled.connect(cancelled.append)
    state.activations.set_layers(["features.0"])
    state.set_model(ModelChoice("nin", "none", None, "cpu"))  # the capture for lenet5 is withdrawn, not cancelled
    qtbot.waitUntil(
        lambda: state.predictions.prediction is not None and state.predictions.prediction.model == "nin",
        timeout=TIMEOUT,
    )
    qtbot.waitUntil(lambda: not state.jobs.is_busy(), timeout=TIMEOUT)
    assert cancelled == [] and state.notices.notice is None


def test_paging_through_images_submits_one_round_per_throttle_interval_and_ends_on_the_last(qtbot, state, shared_data):
    state.start()
    state.images.open_paths([str(shared_data / "mnist" / f"mnist_{digit}.png") for digit in range(6)])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None and not state.jobs.is_busy(), timeout=TIMEOUT)
    assert state.image.name == "mnist_0.png"
    for _ in range(5):  # PgDn held down: five steps before the event loop runs again
        state.images.step(1)
    assert state.image.name == "mnist_5.png" and state.predictions.prediction is None  # shown at once, nothing stale
    assert len(state.jobs.pending(JobKind.CLASSIFY)) == 1  # the first step's, already withdrawn; not five
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    assert state.predictions.prediction.image.endswith("mnist_5.png") and state.predictions.prediction.topk[0].name
