"""Model bar: the zoo grouped in the lecture's order with sizes, weights choices, custom files asked once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from viewer.core.network.choice import ModelChoice
from viewer.core.trust import ModelFileTrust, file_sha256
from viewer.engine.jobs import session
from viewer.gui.runtime.settings import Settings
from viewer.gui.widgets.model.bar import ModelBar


@pytest.fixture(scope="module")
def registry():
    return session.load_registry()


@pytest.fixture
def trust():
    return ModelFileTrust(Settings())


@pytest.fixture
def bar(qtbot, registry, trust):
    widget = ModelBar(trust=trust)
    qtbot.addWidget(widget)
    widget.set_registry(registry)
    widget.set_choice(ModelChoice("resnet18", "default", None, "auto"))
    return widget


def test_models_are_grouped_by_family_in_lecture_order_with_sizes(bar):
    picker = bar.model_picker
    texts = [picker.itemText(i) for i in range(picker.count())]
    headers = [t.strip("— ") for t in texts if t.startswith("—")]
    assert headers[:7] == [
        "LeNet",
        "AlexNet",
        "VGG",
        "Network in Network",
        "GoogLeNet / Inception",
        "ResNet",
        "ResNeXt",
    ]
    assert not picker.model().item(0).isEnabled()  # a family header cannot be chosen
    resnet50 = texts[picker.findData("resnet50", Qt.ItemDataRole.UserRole)]
    assert "25.6M" in resnet50 and "4.09 GMACs" in resnet50
    lenet = texts[picker.findData("lenet5", Qt.ItemDataRole.UserRole)]
    assert "k" in lenet and "MMACs" in lenet
    assert texts[-1] == "Custom model file…"


def test_weights_and_devices_offer_every_choice(bar, qtbot):
    weights = [bar.weights_picker.itemData(i) for i in range(bar.weights_picker.count())]
    assert weights[:1] == ["IMAGENET1K_V1"] and "none" in weights and weights[-1] == "\x00file"
    assert bar.weights_picker.currentData() == "IMAGENET1K_V1"
    devices = [bar.device_picker.itemData(i) for i in range(bar.device_picker.count())]
    assert devices[0] == "auto" and "cpu" in devices
    with qtbot.waitSignal(bar.choiceRequested) as blocker:
        bar.pick_model("nin")  # no published weights: random init
    assert blocker.args[0] == ModelChoice("nin", "none", None, "auto")
    assert bar.weights_picker.currentText().startswith("Random init")


def test_a_custom_model_file_is_run_only_after_asking_once(bar, qtbot, tmp_path):
    source = tmp_path / "tiny.py"
    source.write_text(
        "from torch import nn\n\ndef build():\n    return nn.Sequential(nn.Flatten(), nn.LazyLinear(3))\n"
    )
    asked = []
    bar.ask_open_file = lambda _title, _filters: str(source)
    bar.ask_yes_no = lambda _title, text: asked.append(text) or len(asked) > 1  # "no" first, then "yes"
    requested = []
    bar.choiceRequested.connect(requested.append)
    bar.choose_model_file()
    assert len(asked) == 1 and "Python code" in asked[0] and requested == []
    bar.choose_model_file()
    assert len(asked) == 2 and requested[-1].model_file == f"{source.resolve()}:build"
    bar.choose_model_file()  # same content: trusted now, not asked again
    assert len(asked) == 2 and len(requested) == 2
    source.write_text(source.read_text() + "# edited\n")
    bar.choose_model_file()  # edited: ask again
    assert len(asked) == 3


def test_a_custom_model_file_edited_since_it_was_allowed_is_not_run_unasked(bar, trust, tmp_path):
    source = tmp_path / "tiny.py"
    source.write_text(
        "from torch import nn\n\ndef build():\n    return nn.Sequential(nn.Flatten(), nn.LazyLinear(3))\n"
    )
    asked = []
    bar.ask_yes_no = lambda _title, text: asked.append(text) or False  # allowed once below, then "no"
    Settings().trust_model_file(str(source), file_sha256(source))
    requested = []
    bar.choiceRequested.connect(requested.append)
    assert (
        bar.use_model_file(str(source), "build") and asked == [] and trust.trusted_digest(f"{source.resolve()}:build")
    )
    source.write_text(source.read_text() + "import os  # edited by someone else\n")
    assert not trust.trusted_digest(f"{source.resolve()}:build")
    row = bar.model_picker.findData(f"{source.resolve()}:build", Qt.ItemDataRole.UserRole)
    bar.set_choice(ModelChoice("resnet18", "default", None, "auto"))
    bar.model_picker.activated.emit(row)  # picked again from the list
    assert len(asked) == 1 and len(requested) == 1


def test_a_restored_model_file_runs_only_with_the_content_allowed(qtbot, tmp_path):
    from viewer.gui.state import AppState
    from viewer.gui.window.main_window import MainWindow

    source = tmp_path / "tiny.py"
    source.write_text(
        "from torch import nn\n\ndef build():\n    return nn.Sequential(nn.Flatten(), nn.LazyLinear(3))\n"
    )
    settings = Settings()
    settings.trust_model_file(str(source), file_sha256(source))
    settings.save_choice(
        model=None,
        weights="none",
        model_file=f"{source.resolve()}:build",
        device="cpu",
        preset="weights",
        tta=False,
        topk=5,
    )
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    assert window.state.model.choice.model_file == f"{source.resolve()}:build"  # same content: restored
    window.close()
    source.write_text(source.read_text() + "import os  # edited since\n")
    window = MainWindow(AppState())
    qtbot.addWidget(window)
    assert window.state.model.choice.model_file is None and window.state.model.choice.model == "mobilenet_v2"
    assert "tiny.py changed since you allowed it" in window.notices.text_label.text()
    window.close()
