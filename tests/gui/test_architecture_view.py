"""ArchitectureView: totals, boxes that open and close, selection both ways, SVG/PNG export."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from types import SimpleNamespace

import pyqtgraph as pg
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from viewer.gui.widgets.architecture import ArchitectureView

pg.setConfigOptions(imageAxisOrder="row-major")


@dataclass
class FakeNode:
    name: str
    type: str
    output_shape: tuple
    params: int = 0
    macs: int = 0
    hyper: dict = field(default_factory=dict)
    children: list = field(default_factory=list)
    memory_bytes: int = 0
    receptive_field: object = None

    @property
    def is_block(self) -> bool:
        return bool(self.children)


def fake_summary(blocks: int = 3) -> SimpleNamespace:
    """A small ResNet-shaped tree: stem, ``blocks`` stages of two residual blocks of three layers, head."""
    children = [FakeNode("conv1", "Conv2d", (8, 16, 16), 216, 55296, {"kernel_size": (3, 3), "stride": (2, 2)})]
    for stage in range(1, blocks + 1):
        units = []
        for unit in range(2):
            prefix = f"layer{stage}.{unit}"
            units.append(FakeNode(prefix, "BasicBlock", (8, 16, 16), 1200, 30000, children=[
                FakeNode(f"{prefix}.conv1", "Conv2d", (8, 16, 16), 576, 14000),
                FakeNode(f"{prefix}.bn1", "BatchNorm2d", (8, 16, 16), 16, 0),
                FakeNode(f"{prefix}.relu", "ReLU", (8, 16, 16)),
            ]))
        children.append(FakeNode(f"layer{stage}", "Sequential", (8, 16, 16), 2400, 60000, children=units))
    children.append(FakeNode("fc", "Linear", (10,), 90, 80, {"in_features": 8, "out_features": 10}))
    root = FakeNode("", "TinyResNet", (10,), 7506, 235376, children=children)
    return SimpleNamespace(model_name="tinyresnet", input_shape=(3, 32, 32), root=root, total_params=7506,
                           trainable_params=7506, macs=235376)


@pytest.fixture
def view(qtbot):
    widget = ArchitectureView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_summary(fake_summary())
    return widget


def test_totals_show_the_summary(view):
    text = view.totals_text
    assert "tinyresnet" in text and "3×32×32" in text
    assert "7.51k params" in text and "235.38 kMACs" in text


def test_first_view_opens_blocks_within_the_limit(view):
    # 5 top-level boxes; opening the 3 stages gives 11, their 6 blocks 23 boxes, all under the limit of 40.
    assert view.expanded_blocks == {"layer1", "layer2", "layer3", "layer1.0", "layer1.1", "layer2.0", "layer2.1",
                                    "layer3.0", "layer3.1"}
    assert "layer2.1.bn1" in view.visible_box_names
    assert len(view.visible_box_names) == 2 + 3 * 2 * 3


def test_collapsing_and_expanding_a_block_by_mouse(view, qtbot):
    before = view.visible_box_names
    viewport = view.diagram.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=view.box_center("layer2", marker=True))
    assert "layer2" not in view.expanded_blocks
    assert "layer2" in view.visible_box_names
    assert not any(name.startswith("layer2.") for name in view.visible_box_names)
    assert len(view.visible_box_names) == len(before) - 6 + 1

    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=view.box_center("layer2"))
    assert "layer2" in view.expanded_blocks
    assert {"layer2.0", "layer2.1"} <= set(view.visible_box_names)


def test_clicking_a_box_selects_the_layer(view, qtbot):
    with qtbot.waitSignal(view.layerSelected) as blocker:
        qtbot.mouseClick(view.diagram.viewport(), Qt.MouseButton.LeftButton, pos=view.box_center("layer1.0.conv1"))
    assert blocker.args == ["layer1.0.conv1"]
    assert view.selected_layer == "layer1.0.conv1"
    assert view.table.currentItem().data(0, Qt.ItemDataRole.UserRole) == "layer1.0.conv1"


def test_select_layer_opens_its_blocks_silently(view, qtbot):
    view.collapse_all()
    assert view.visible_box_names == ["conv1", "layer1", "layer2", "layer3", "fc"]
    with qtbot.assertNotEmitted(view.layerSelected):
        view.select_layer("layer3.1.relu")
    assert {"layer3", "layer3.1"} <= view.expanded_blocks
    assert "layer3.1.relu" in view.visible_box_names
    assert view.selected_layer == "layer3.1.relu"


def test_table_lists_every_node_and_selects(view, qtbot):
    top = [view.table.topLevelItem(i).text(0) for i in range(view.table.topLevelItemCount())]
    assert top == ["conv1", "layer1", "layer2", "layer3", "fc"]
    fc = view.table.topLevelItem(4)
    assert fc.text(2) == "in=8 out=10" and fc.text(3) == "10"
    with qtbot.waitSignal(view.layerSelected) as blocker:
        view.table.setCurrentItem(fc)
    assert blocker.args == ["fc"]


def test_zoom_keys(view, qtbot):
    view.diagram.setFocus()
    before = view.diagram.zoom
    qtbot.keyClick(view.diagram, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.diagram.zoom == pytest.approx(before * 1.25)
    qtbot.keyClick(view.diagram, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.diagram.zoom == pytest.approx(before)


def test_export_svg_and_png(view, tmp_path, qtbot):
    svg = tmp_path / "net.svg"
    png = tmp_path / "net.png"
    svg.write_text("old")  # overwritten in place, atomically
    view.export_svg(svg)
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "layer2.1.bn1" in svg.read_text()

    view.choose_export_path = lambda: str(png)
    with qtbot.waitSignal(view.exported) as blocker:
        qtbot.mouseClick(view.findChild(pg.QtWidgets.QPushButton, "exportArchitectureButton"),
                         Qt.MouseButton.LeftButton)
    assert blocker.args == [str(png)]
    with Image.open(png) as image:
        rect = view.diagram.sceneRect()
        assert image.size == (round(rect.width() * 2), round(rect.height() * 2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.png", "net.svg"]  # no temp files left
