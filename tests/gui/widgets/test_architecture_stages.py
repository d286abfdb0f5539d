"""VGG's stages in the window: the flat ``features`` Sequential drawn as the lecture's five stages, each a frame
that closes into one box, with the kernel and channels on every convolution's box."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from viewer.engine.graph.build import graph_of_name

STAGES = [f"features.stage{number}" for number in range(1, 6)]


@pytest.fixture(scope="module")
def vgg16():
    return graph_of_name("vgg16")  # meta device: shapes, params and MACs without weights


def _texts(item) -> list[str]:
    return [child.text() for child in item.item.childItems() if isinstance(child, QtWidgets.QGraphicsSimpleTextItem)]


def test_vgg16_is_drawn_as_five_stages_that_close_into_boxes(show, vgg16):
    view = show(vgg16)  # the lecture's level: the stages open, layer by layer
    assert all(name in view.scene_items.frames for name in STAGES)
    conv_texts = _texts(view.scene_items.nodes["features.0"])
    assert any("3×3" in text and "3→64" in text for text in conv_texts), conv_texts
    view.request_expanded(frozenset({"features"}))  # the stages closed: five boxes in a row
    assert not any(name in view.scene_items.frames for name in STAGES)
    boxes = [view.scene_items.nodes[name] for name in STAGES]
    assert all("Stage" in _texts(box) for box in boxes)
    ys = [box.sceneBoundingRect().center().y() for box in boxes]
    assert ys == sorted(ys) and len(set(ys)) == 5  # one after the other, top-down
