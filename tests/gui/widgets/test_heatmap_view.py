"""HeatmapView: class picker, compute parameters, overlay placement, progress/cancel and export."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from viewer.core.options import SCALE_PRESETS, HeatmapRequest
from viewer.gui.widgets.heatmap.view import HeatmapView, parse_scales

pg.setConfigOptions(imageAxisOrder="row-major")

CATEGORIES = ["tench", "goldfish", "great white shark", "golden retriever", "tabby cat", "tiger cat"]


@dataclass
class FakeHeatmap:
    scores: np.ndarray
    class_index: int = 3
    class_name: str = "golden retriever"
    mode: str = "softmax"
    scales: tuple = (1.0, 1.4)
    offsets: bool = False
    fuse: str = "mean"
    image_size: tuple = (80, 60)
    model: str = "alexnet"
    weights: str = "random init (seed 0)"
    notes: list = field(default_factory=list)
    per_scale: list = field(default_factory=list)

    def provenance(self) -> dict:
        return {"image": "dog.jpg", "model": self.model, "class_index": self.class_index, "class_name": self.class_name}


def peaked_scores(height: int = 60, width: int = 80, x: int = 50, y: int = 20) -> np.ndarray:
    rows, cols = np.mgrid[0:height, 0:width]
    return np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / 50).astype(np.float32)


@pytest.fixture
def view(qtbot):
    widget = HeatmapView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_image(np.full((60, 80, 3), 90, np.uint8))
    widget.set_classes(CATEGORIES, [3, 5, 4])
    return widget


def test_picker_lists_top_k_first_then_every_class(view):
    picker = view.findChild(pg.QtWidgets.QComboBox, "heatmapClassPicker")
    assert picker.listed_classes == [3, 5, 4, 0, 1, 2, 3, 4, 5]
    assert picker.currentText().startswith("1. golden retriever")
    assert view.selected_class == 3


def test_typing_a_class_name_picks_it(view, qtbot):
    picker = view.class_picker
    picker.lineEdit().selectAll()
    qtbot.keyClicks(picker.lineEdit(), "Great White")
    assert view.selected_class == 2
    picker.lineEdit().clear()
    qtbot.keyClicks(picker.lineEdit(), "cat")  # two classes contain "cat": no guess
    assert view.selected_class is None


def test_compute_emits_the_parameters(view, qtbot):
    view.class_picker.select_class(4)
    view.scales_edit.setText("1, 2")
    view.offsets_check.setChecked(True)
    view.fuse_picker.setCurrentText("max")
    view.mode_picker.setCurrentText("logit")
    with qtbot.waitSignal(view.computeRequested) as blocker:
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [HeatmapRequest(class_index=4, mode="logit", scales=(1.0, 2.0), offsets=True, fuse="max")]


def test_enter_in_the_scales_computes(view, qtbot):
    view.scales_edit.clear()
    qtbot.keyClicks(view.scales_edit, "1.5")
    with qtbot.waitSignal(view.computeRequested) as blocker:
        qtbot.keyClick(view.scales_edit, Qt.Key.Key_Return)
    assert blocker.args[0].scales == (1.5,) and blocker.args[0].class_index == 3


def test_bad_scales_are_refused_with_a_notice(view, qtbot):
    view.scales_edit.setText("1, big")
    with qtbot.assertNotEmitted(view.computeRequested):
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    assert not view.notice.isHidden() and "big" in view.notice.text()
    assert parse_scales("1 1.4;2") == (1.0, 1.4, 2.0)
    with pytest.raises(ValueError):
        parse_scales("0, 1")


def test_the_overfeat_preset_by_name(view, qtbot):
    assert "resize size" in view.scales_edit.toolTip() and "overfeat" in view.scales_edit.toolTip()
    view.class_picker.select_class(4)
    view.scales_edit.setText("overfeat")
    with qtbot.waitSignal(view.computeRequested) as blocker:
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].scales == SCALE_PRESETS["overfeat"] and len(SCALE_PRESETS["overfeat"]) == 6


def test_the_random_init_notice_survives_compute(view, qtbot):
    view.set_notice("Random init: not trained, the outputs mean nothing.")
    view.scales_edit.setText("1, big")
    qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    assert "big" in view.notice.text()
    view.scales_edit.setText("1")
    with qtbot.waitSignal(view.computeRequested):
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    assert not view.notice.isHidden() and view.notice.text().startswith("Random init")


def test_overlay_peak_is_where_the_scores_peak(view):
    view.set_heatmap(FakeHeatmap(peaked_scores(x=50, y=20)))
    assert view.shown_class == 3
    assert view.overlay_peak == pytest.approx((50.5, 20.5))
    assert view.colorbar.levels() == pytest.approx((float(peaked_scores().min()), 1.0))
    assert "golden retriever" in view.info.text()
    assert view.export_button.isEnabled()


def test_overlay_is_stretched_over_a_smaller_display_image(view):
    view.set_image(np.zeros((30, 40, 3), np.uint8))  # half-size display copy of the 80x60 original
    view.set_heatmap(FakeHeatmap(peaked_scores(x=50, y=20)))
    assert view.overlay_peak == pytest.approx((25.25, 10.25))


def test_a_near_flat_maps_colour_bar_labels_are_not_cut(view, qtbot):
    # A random-init network's softmax: every score within 3e-7 of 0.001, ticks like "0.00100005". The bar's
    # axis used to keep a fixed 45 px, which cut every label down to the same "0.001".
    view.set_image(np.zeros((60, 80, 3), np.uint8))
    scores = np.linspace(0.00099987, 0.00100013, 60 * 80, dtype=np.float32).reshape(60, 80)
    view.set_heatmap(FakeHeatmap(scores))
    # Painting measures the labels; the axis then widens to them in the next layout pass.
    qtbot.waitUntil(lambda: view.graphics.grab() is not None and view.colorbar.axis.width() > 45, timeout=5_000)


def test_alpha_and_colormap_reach_the_overlay(view):
    view.set_heatmap(FakeHeatmap(peaked_scores()))
    view.alpha_slider.setValue(30)
    assert view.heat_item.opacity() == pytest.approx(0.3)
    view.colormap_picker.setCurrentText("gray")
    assert view.colormap_name == "gray"
    lut = view.heat_item.lut
    assert lut is not None and np.all(lut[:, 0] == lut[:, 1])  # a grey ramp: equal channels


def test_busy_progress_and_cancel(view, qtbot):
    view.set_busy(True)
    assert not view.compute_button.isEnabled() and view.busy
    view.set_progress(2, 6, "scale 1.4")
    assert (view.progress.value(), view.progress.maximum()) == (2, 6)
    assert "scale 1.4" in view.progress.text()
    with qtbot.waitSignal(view.cancelRequested):
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    view.set_busy(False)
    assert view.compute_button.isEnabled() and view.progress.isHidden()


def test_export_asks_for_a_path_and_before_overwriting(view, qtbot, tmp_path):
    button = view.findChild(pg.QtWidgets.QPushButton, "exportHeatmapButton")
    view.set_heatmap(None)
    assert not button.isEnabled()
    view.set_heatmap(FakeHeatmap(peaked_scores()))
    target = tmp_path / "dog.png"
    view.choose_export_path = lambda: str(target)
    with qtbot.waitSignal(view.exportRequested) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(target), False]

    (tmp_path / "dog.json").write_text("{}")  # one file of the bundle exists
    asked = []
    view.confirm_overwrite = lambda existing: asked.append(existing) or False
    with qtbot.assertNotEmitted(view.exportRequested):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert [p.name for p in asked[0]] == ["dog.json"]
    view.confirm_overwrite = lambda existing: True
    with qtbot.waitSignal(view.exportRequested) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(target), True]


def test_a_new_images_top_k_replaces_only_the_head_of_the_class_list(qtbot) -> None:
    from viewer.gui.widgets.heatmap.classes import ClassPicker

    picker = ClassPicker()
    qtbot.addWidget(picker)
    categories = [f"class {i}" for i in range(1000)]
    picker.set_classes(categories, [5, 7, 9])
    picker.set_classes(categories, [42, 3])
    texts = [picker.itemText(i) for i in range(picker.count())]
    assert texts[:2] == ["1. class 42  (#42)", "2. class 3  (#3)"] and texts[2] == ""
    assert texts[3:] == [f"class {i}  (#{i})" for i in range(1000)]
    assert picker.currentData() == 42
    picker.set_classes(categories[:10], [1])  # another model: a full refill
    assert picker.count() == 1 + 1 + 10 and picker.itemText(0) == "1. class 1  (#1)"
