"""Top-k view: bars of what the engine returned, k and logits controls, random init said so, never stale."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6 import QtWidgets

from viewer.core.network.input import InputSpec
from viewer.core.results.prediction import Prediction, TopClass
from viewer.engine.models.registry import IMAGENET_MEAN, IMAGENET_STD
from viewer.gui.widgets.predictions import PredictionsView

TOP = [TopClass(235, "German shepherd", 9.5, 0.91), TopClass(174, "Norwegian elkhound", 5.1, 0.05)]
SPEC = InputSpec(3, 224, 256, IMAGENET_MEAN, IMAGENET_STD)  # resnet18's ImageNet preprocessing


def _prediction(top: list[TopClass]) -> Prediction:
    """What ``classify`` returns for one image, with ``top`` as its top-k: 1000 ImageNet classes whose arrays
    agree with ``top`` there, and a mid-grey 8x8 network input (normalised as the weights' transform does)."""
    logits = np.zeros(1000, np.float32)
    probs = np.full(1000, (1 - sum(t.prob for t in top)) / (1000 - len(top)), np.float32)
    for t in top:
        logits[t.index], probs[t.index] = t.logit, t.prob
    grey = (0.5 - np.array(SPEC.mean)) / np.array(SPEC.std)
    network_input = np.broadcast_to(grey[:, None, None], (3, 8, 8)).astype(np.float32)
    return Prediction(
        image="dog.jpg",
        model="resnet18",
        weights="IMAGENET1K_V1",
        weights_sha256=None,
        pretrained=True,
        device="cpu",
        preprocess="weights",
        tta=False,
        topk=top,
        logits=logits,
        probs=probs,
        network_input=network_input,
        input_spec=SPEC,
        timings_ms={"forward": 12.0},
    )


def test_bars_follow_the_prediction_and_the_logit_toggle(qtbot):
    view = PredictionsView()
    qtbot.addWidget(view)
    view.set_prediction(_prediction(TOP))
    assert view.rows() == [(235, "German shepherd", 0.91), (174, "Norwegian elkhound", 0.05)]
    assert list(view.bars.opts["width"]) == [0.91, 0.05]
    assert "forward 12 ms" in view.timing.text()
    assert view.seen_label.pixmap() is not None and not view.seen_label.pixmap().isNull()
    view.logit_toggle.setChecked(True)
    assert [value for _, _, value in view.rows()] == [9.5, 5.1]
    assert list(view.bars.opts["width"]) == [9.5, 5.1]
    view.set_prediction(None)
    assert view.rows() == [] and len(view.bars.opts["width"]) == 0


def test_random_init_is_said_and_k_is_a_request(qtbot):
    view = PredictionsView()
    qtbot.addWidget(view)
    view.set_prediction(replace(_prediction(TOP), pretrained=False, weights="random init (seed 0), not trained"))
    assert "random init" in view.header.text()
    with qtbot.waitSignal(view.topkRequested) as blocker:
        view.k_spin.setValue(3)
    assert blocker.args == [3]
    view.set_topk(7)  # from the state: no request back
    assert view.k_spin.value() == 7


def test_previews_show_the_whole_picture_in_the_room_they_are_given(qtbot):
    view = PredictionsView()
    qtbot.addWidget(view)
    view.resize(900, 420)  # less height than the previews' largest size: they must shrink, not be cut
    view.show()
    qtbot.waitExposed(view)
    view.set_original(np.zeros((500, 500, 3), np.uint8))  # a square photo
    view.set_prediction(_prediction(TOP))
    for label in (view.original_label, view.seen_label):
        pixmap = label.pixmap()
        room = label.contentsRect()
        assert pixmap.width() == pixmap.height()  # the aspect ratio kept: nothing cropped
        assert pixmap.width() <= room.width() and pixmap.height() <= room.height()


def test_ten_crops_are_drawn_labelled_and_the_header_says_their_geometry(qtbot):
    from viewer.core.lecture.tta import ten_crop_boxes

    view = PredictionsView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    boxes = ten_crop_boxes((500, 500), 256, 224)
    views = [np.zeros((224, 224, 3), np.uint8) for _ in boxes]
    geometry = {"resize": "paper", "short_side": 256, "square": 256, "crop": 224}
    view.set_prediction(
        replace(_prediction(TOP), tta=True, tta_crops=boxes, tta_seen=views, tta_geometry=geometry, tta_average="probs")
    )
    assert view.shown_crops() == [box.tag for box in boxes]
    assert {"TL", "TR", "C", "BL", "BR", "TL mirrored", "C mirrored"} <= set(view.shown_crops())
    assert "shorter side 256 (the paper's), central 256² square, 224² views" in view.header.text()


def test_the_chart_keeps_its_place_while_the_next_prediction_loads(qtbot):
    """A model switch clears the prediction ("Loading …" in one line) and the next one comes back (a header of two
    lines): the chart and the previews below keep their size, not re-laid out and repainted twice a switch."""
    view = PredictionsView()
    qtbot.addWidget(view)
    view.resize(480, 700)
    view.show()
    qtbot.waitExposed(view)
    assert not view.plot.getPlotItem().isVisible()  # no axes of nothing before the first prediction
    view.set_prediction(_prediction(TOP))
    assert view.plot.getPlotItem().isVisible()
    QtWidgets.QApplication.processEvents()  # the layout request the new header posted
    assert view.header.height() >= 2 * view.header.fontMetrics().lineSpacing()  # it wraps at this width
    shown = view.plot.geometry()
    view.set_prediction(None)
    view.set_busy("Loading mobilenet_v2…")
    QtWidgets.QApplication.processEvents()
    assert view.plot.geometry() == shown
    view.set_prediction(replace(_prediction(TOP), model="mobilenet_v2"))
    QtWidgets.QApplication.processEvents()
    assert view.plot.geometry() == shown
