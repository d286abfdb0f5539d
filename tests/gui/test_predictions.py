"""Top-k view: bars of what the engine returned, k and logits controls, random init said so, never stale."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from viewer.engine.inference import TopClass
from viewer.gui.widgets.predictions import PredictionsView


@dataclass
class FakePrediction:
    topk: list
    pretrained: bool = True
    model: str = "resnet18"
    weights: str = "IMAGENET1K_V1"
    device: str = "cpu"
    preprocess: str = "weights"
    tta: bool = False
    image: str = "dog.jpg"
    seen: np.ndarray = field(default_factory=lambda: np.full((8, 8, 3), 128, np.uint8))
    timings_ms: dict = field(default_factory=lambda: {"forward": 12.0})


TOP = [TopClass(235, "German shepherd", 9.5, 0.91), TopClass(174, "Norwegian elkhound", 5.1, 0.05)]


def test_bars_follow_the_prediction_and_the_logit_toggle(qtbot):
    view = PredictionsView()
    qtbot.addWidget(view)
    view.set_prediction(FakePrediction(TOP))
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
    view.set_prediction(FakePrediction(TOP, pretrained=False, weights="random init (seed 0), not trained"))
    assert "random init" in view.header.text()
    with qtbot.waitSignal(view.topkRequested) as blocker:
        view.k_spin.setValue(3)
    assert blocker.args == [3]
    view.set_topk(7)  # from the state: no request back
    assert view.k_spin.value() == 7
