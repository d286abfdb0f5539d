"""Small widget helpers on their own: the elided status label, PNG encoding, and the welcome view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from viewer.gui.widgets.common.elided_label import ElidedLabel
from viewer.gui.widgets.common.job_status import JobStatusBar
from viewer.gui.widgets.common.png import png_bytes
from viewer.gui.widgets.thumbnails import Thumbnail, ThumbnailStrip
from viewer.gui.widgets.welcome import SampleImage, WelcomeView
from viewer.gui.window.help_texts import SAMPLES, SHORTCUTS, resource_path


def test_elided_label_keeps_the_full_text_and_stays_narrow(qtbot) -> None:
    text = "cuda:0 · resnet50 · IMAGENET1K_V2 · forward 12 ms · " * 4
    label = ElidedLabel(text, objectName="status")
    qtbot.addWidget(label)
    assert label.objectName() == "status"
    assert label.full_text() == text and label.toolTip() == text
    assert label.minimumSizeHint().width() < label.fontMetrics().horizontalAdvance(text)
    label.setMaximumWidth(100)
    assert label.sizeHint().width() <= 100
    label.setText("short")
    assert label.full_text() == "short"


def test_a_wrapped_label_follows_its_text_and_font_at_a_width_it_was_asked_before(qtbot) -> None:
    label = ElidedLabel("word " * 60, lines=3)
    qtbot.addWidget(label)
    spacing = label.fontMetrics().lineSpacing()
    assert label.heightForWidth(200) == 3 * spacing  # as many lines as it may take
    label.setText("short")
    assert label.heightForWidth(200) == spacing  # not the three lines it measured at 200 px before
    label.setText("word " * 60)
    assert label.heightForWidth(200) == 3 * spacing
    bigger = label.font()
    bigger.setPointSizeF(bigger.pointSizeF() * 2)
    label.setFont(bigger)
    assert label.heightForWidth(200) == 3 * label.fontMetrics().lineSpacing() > 3 * spacing


def test_png_bytes_decode_to_the_same_image(qtbot) -> None:
    image = QtGui.QImage(3, 2, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor(10, 200, 30))
    data = png_bytes(image)
    assert data.startswith(b"\x89PNG")
    decoded = QtGui.QImage.fromData(data)
    assert decoded.size() == QtCore.QSize(3, 2) and decoded.pixelColor(2, 1) == QtGui.QColor(10, 200, 30)


def test_welcome_offers_each_sample_and_the_shortcuts(qtbot) -> None:
    samples = [SampleImage(resource_path(s.filename), s.caption, s.model) for s in SAMPLES]
    view = WelcomeView(samples=samples, shortcuts=SHORTCUTS)
    qtbot.addWidget(view)
    assert list(view.sample_buttons) == [Path(s.filename).name for s in SAMPLES]
    shortcuts = view.findChild(QtWidgets.QLabel, "welcomeShortcuts")
    assert shortcuts is not None and "PgUp / PgDn" in shortcuts.text()
    assert "Ctrl+O" not in shortcuts.text()  # told in the first steps' words instead
    digit = next(s for s in samples if s.model == "lenet5")
    with qtbot.waitSignal(view.sampleRequested) as blocker:
        view.sample_buttons[digit.path.name].click()
    assert blocker.args == [str(digit.path), "lenet5"]


def test_job_status_bar_shows_busy_progress_and_cancel(qtbot) -> None:
    bar = JobStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    assert not bar.cancel_button.isVisible() and not bar.progress_bar.isVisible()
    bar.set_busy("Classifying")
    assert bar.busy_label.full_text() == "Classifying…" and bar.cancel_button.isVisible()
    assert bar.progress_bar.isVisible() and bar.progress_bar.maximum() == 0  # busy: no total yet
    bar.show_progress(3, 10, "Downloading weights")
    assert (bar.progress_bar.value(), bar.progress_bar.maximum()) == (3, 10)
    assert bar.busy_label.full_text() == "Downloading weights"
    bar.show_progress(4, 10)  # no message: the job's stays
    assert bar.busy_label.full_text() == "Downloading weights"
    bar.hide_progress()
    assert not bar.progress_bar.isVisible()
    bar.set_busy("")
    assert not bar.cancel_button.isVisible() and bar.busy_label.full_text() == ""


def test_thumbnail_strip_shows_images_and_reports_only_user_picks(qtbot) -> None:
    strip = ThumbnailStrip()
    qtbot.addWidget(strip)
    strip.show()
    pictures = [np.full((8, 8, 3), value, dtype=np.uint8) for value in (0, 128, 255)]
    images = [Thumbnail(picture, f"img{i}.png", f"/photos/img{i}.png") for i, picture in enumerate(pictures)]
    with qtbot.assertNotEmitted(strip.currentRowChanged):
        strip.set_images(images, current=1)
        strip.mark_current(2)
    assert strip.count() == 3 and strip.currentRow() == 2 and strip.isVisible()
    assert strip.item(0).text() == "img0.png" and strip.item(0).toolTip() == "/photos/img0.png"
    with qtbot.waitSignal(strip.currentRowChanged) as blocker:
        strip.setCurrentRow(0)  # as a click or an arrow key does
    assert blocker.args == [0]
    strip.set_images([], current=-1)
    assert strip.count() == 0 and not strip.isVisible()
