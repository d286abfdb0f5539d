"""The heatmap's class picker searches names and WordNet synonyms, and always names the class of the map shown."""

from __future__ import annotations

from PySide6 import QtCore

TIMEOUT = 120_000


def test_dog_in_the_class_picker_lists_the_dog_classes(qtbot, make_window, shared_data):
    window = make_window("resnet18", "none")  # ImageNet's 1000 classes; the weights do not matter here
    state = window.state
    state.images.open_paths([str(shared_data / "images" / "kitten.jpg")])
    qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=TIMEOUT)
    window.set_tab("heatmap")
    picker = window.views["heatmap"].class_picker
    line = picker.lineEdit()
    qtbot.mouseClick(line, QtCore.Qt.MouseButton.LeftButton)
    line.selectAll()
    qtbot.keyClicks(line, "dog")
    popup = picker.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    model = popup.model()
    listed = [model.index(row, 0).data() for row in range(model.rowCount())]
    assert len(listed) >= 118, listed[:5]
    for breed in ("German shepherd", "beagle", "golden retriever", "Chihuahua"):
        assert any(entry.startswith(breed) for entry in listed), breed
    assert not any(entry.startswith("tabby") for entry in listed)
    # Clicking one makes it the picked class.
    row = next(i for i, entry in enumerate(listed) if entry.startswith("beagle"))
    index = model.index(row, 0)
    popup.scrollTo(index)
    qtbot.mouseClick(popup.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=popup.visualRect(index).center())
    assert state.predictions.prediction.topk and picker.class_index() == 162  # beagle
