"""What the seeded soak (``viewer.bench.soak``) does to the real window: a user's actions, drawn by weight.

Each action is a function of a :class:`SoakContext` that acts the way a user would (a real drop event, a key
press, a button click) and returns a short description for the log, so that a failure names the sequence that
led to it (seed + log reproduce it). Dialogs never open: the soak answers them (``answer_dialogs``).
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from viewer.core.network.choice import ModelChoice

if TYPE_CHECKING:
    from viewer.gui.state import AppState
    from viewer.gui.window.main_window import MainWindow

__all__ = ["ACTIONS", "SMALL_COMPARE", "SoakContext", "SoakData", "answer_dialogs", "write_hostile_files"]

# Small networks only (the soak measures bugs and leaks, not speed); one default whose download fails offline.
RANDOM_INIT_MODELS = ("lenet5", "nin", "squeezenet1_1", "resnet18")
FAILING_DEFAULT = ("resnet18", "default")
SMALL_COMPARE = (("lenet5", "default"), ("nin", "none"), ("squeezenet1_1", "none"))
EXPORT_TABS = ("predictions", "activations", "architecture", "heatmap", "explain")
RESULT_WAIT_S = 60.0  # how long a user waits for a first comparison or heatmap (seconds on a busy CPU)


@dataclass
class SoakData:
    """The files the soak opens: photos, MNIST digits, hostile files, and a local weights file (or None)."""

    photos: list[Path]
    digits: list[Path]
    hostile: list[Path]
    weights: Path | None

    @classmethod
    def from_folder(cls, data_dir: Path, hostile: list[Path]) -> SoakData:
        """The shared test data's layout (``images/``, ``mnist/``, ``weights/``), else the app's own samples."""
        photos = sorted(p for p in (data_dir / "images").glob("*") if p.suffix in (".jpg", ".png"))
        digits = sorted((data_dir / "mnist").glob("mnist_*.png"))
        if not photos:  # the bundled samples (resources/): a photo or two and a digit
            photos = sorted(data_dir.glob("sample_*.jpg"))
            digits = sorted(data_dir.glob("sample_mnist_*.png"))
        weights = data_dir / "weights" / "mobilenet_v2_imagenet1k.pth"
        return cls(photos, digits or photos[:1], hostile, weights if weights.exists() else None)


@dataclass
class SoakContext:
    """What the actions act on: the window shown now (replaced by ``reopen``), the seeded draw, the data."""

    window: MainWindow
    rng: random.Random
    data: SoakData
    out_dir: Path
    reopen: Callable[[], None]  # close the window and make a new one (on a new AppState)
    settle: Callable[[float], bool]  # run the event loop until the worker is idle (at most that many seconds)
    save_paths: list[str] = field(default_factory=list)  # what the next save dialog answers

    @property
    def state(self) -> AppState:
        return self.window.state

    def next_save_path(self, suffix: str) -> str:
        """A file in ``out_dir``: a new name most of the time, an earlier one (asking to replace it) sometimes."""
        index = self.rng.randrange(6)  # six names in all: exports often land on an earlier one's files
        return str(self.out_dir / f"export-{index}{suffix}")


def write_hostile_files(folder: Path, photo: Path) -> list[Path]:
    """A few hostile files of the kinds ``tests/hostile_corpus.py`` makes (the bench has no tests/): empty, text
    named .jpg, truncated JPEG, a folder named .png, a symbolic link loop, a dangling link, a 1×1 image."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("Dear diary, this is text with a .jpg name.\n" * 20)
    data = photo.read_bytes()
    (folder / "cut.jpg").write_bytes(data[: len(data) // 2])
    (folder / "folder.png").mkdir(exist_ok=True)
    made = [folder / name for name in ("empty.jpg", "notes.jpg", "cut.jpg", "folder.png")]
    for name, target in (("loop_a.png", "loop_b.png"), ("loop_b.png", "loop_a.png"), ("dangling.jpg", "gone.jpg")):
        link = folder / name
        if not link.is_symlink():
            os.symlink(target, link)
        made.append(link)
    from PIL import Image

    Image.new("RGB", (1, 1), (200, 30, 30)).save(folder / "one_pixel.png")
    return [*made, folder / "one_pixel.png"]


@contextlib.contextmanager
def answer_dialogs(context_of: Callable[[], SoakContext]) -> Iterator[None]:
    """Every file dialog and question the app may ask is answered by the soak (nothing modal ever opens)."""
    from PySide6 import QtWidgets

    dialog, box = QtWidgets.QFileDialog, QtWidgets.QMessageBox
    saved = {name: getattr(dialog, name) for name in ("getSaveFileName", "getOpenFileName", "getOpenFileNames")}
    question = box.question

    def save(*_args: Any, **_kwargs: Any) -> tuple[str, str]:
        paths = context_of().save_paths
        return (paths.pop(0) if paths else "", "")

    def replace_files(*_args: Any, **_kwargs: Any) -> QtWidgets.QMessageBox.StandardButton:
        yes = context_of().rng.random() < 0.7
        return box.StandardButton.Yes if yes else box.StandardButton.No

    dialog.getSaveFileName = staticmethod(save)  # type: ignore[method-assign]
    dialog.getOpenFileName = staticmethod(lambda *_a, **_k: ("", ""))  # type: ignore[method-assign]
    dialog.getOpenFileNames = staticmethod(lambda *_a, **_k: ([], ""))  # type: ignore[method-assign]
    box.question = staticmethod(replace_files)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(dialog, name, function)
        box.question = question  # type: ignore[method-assign]


def prepare_window(context: SoakContext) -> None:
    """A new window's replaceable dialogs: no file manager, weights files from the soak's data."""
    window = context.window
    window.open_folder = lambda _folder: False
    weights = str(context.data.weights or "")
    window.model_bar.ask_open_file = lambda *_args: weights if context.rng.random() < 0.5 else ""
    window.compare_links.ask_weights_file = lambda _name: ""
    window.activateWindow()  # shortcuts (Ctrl+1..6, PgUp/PgDn) reach the active window only


# --- the actions ---------------------------------------------------------------------------------------------
def _drop(context: SoakContext) -> str:
    from PySide6 import QtCore, QtGui, QtWidgets

    rng, data = context.rng, context.data
    pool = rng.choices((data.photos, data.digits, data.hostile), weights=(3, 2, 2))[0] or data.photos
    if pool is data.hostile and rng.random() < 0.2:
        paths = [p.parent for p in pool[:1]]  # the hostile folder itself: every file in it at once
    else:
        paths = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
    window = context.window
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(p.absolute())) for p in paths])
    centre = QtCore.QPoint(window.width() // 2, window.height() // 2)
    action, button = QtCore.Qt.DropAction.CopyAction, QtCore.Qt.MouseButton.LeftButton
    modifiers = QtCore.Qt.KeyboardModifier.NoModifier
    QtWidgets.QApplication.sendEvent(window, QtGui.QDragEnterEvent(centre, action, mime, button, modifiers))
    QtWidgets.QApplication.sendEvent(window, QtGui.QDropEvent(QtCore.QPointF(centre), action, mime, button, modifiers))
    return "drop " + ", ".join(p.name for p in paths)


def _switch_image(context: SoakContext) -> str:
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    state, rng = context.state, context.rng
    if rng.random() < 0.5 and state.images:
        index = rng.randrange(len(state.images))
        context.window.thumbnails.setCurrentRow(index)  # as a click on its thumbnail
        return f"image {index}"
    key = rng.choice((QtCore.Qt.Key.Key_PageUp, QtCore.Qt.Key.Key_PageDown))
    QTest.keyClick(context.window, key)
    return "PgUp" if key == QtCore.Qt.Key.Key_PageUp else "PgDn"


def _pick_model(context: SoakContext) -> str:
    rng, window = context.rng, context.window
    device = window.state.model.choice.device
    roll = rng.random()
    if roll < 0.15:
        name, weights = FAILING_DEFAULT
    elif roll < 0.3 and context.data.weights is not None:
        name, weights = "mobilenet_v2", str(context.data.weights)
    else:
        name, weights = rng.choice(RANDOM_INIT_MODELS), "none"
    choice = ModelChoice(name, weights, None, device)
    window.model_bar.set_choice(choice)  # what picking it in the lists does
    window.model_bar.choiceRequested.emit(choice)
    what = f"model {name} ({Path(weights).name})"
    if (name, weights) == FAILING_DEFAULT and rng.random() < 0.6:
        # A user reads the offline notice and presses one of its buttons.
        context.settle(30.0)
        what += "; " + _notice_action(context)
    return what


def _tab(context: SoakContext) -> str:
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    index = context.rng.randrange(context.window.tabs.count())
    if context.rng.random() < 0.5:
        key = QtCore.Qt.Key(QtCore.Qt.Key.Key_1.value + index)
        QTest.keyClick(context.window, key, QtCore.Qt.KeyboardModifier.ControlModifier)
        return f"Ctrl+{index + 1}"
    context.window.tabs.setCurrentIndex(index)
    return f"tab {index + 1}"


def _compare(context: SoakContext) -> str:
    links, rng = context.window.compare_links, context.rng
    context.window.set_tab("compare")  # its button is on its tab
    links.state.runs = 1  # one timed run per network: the soak is about bugs, not timings
    networks = list(SMALL_COMPARE)
    if rng.random() < 0.3:
        networks.append(("alexnet", "default"))  # a column whose download fails offline
    links.compare_view.set_networks(rng.sample(networks, k=rng.randint(2, len(networks))))
    links.compare_view.run_button.click()
    names = ", ".join(name for name, _w in links.compare_view.networks())
    if links.state.comparison is None:
        # With no comparison on screen the user waits for this one: later actions (a new image) cancel it, so
        # without waiting the checks' coverage of Compare would depend on the machine's load.
        context.settle(RESULT_WAIT_S)
        return f"compare {names} (waited)"
    return "compare " + names


def _explain(context: SoakContext) -> str:
    view, rng = context.window.compare_links.explain_view, context.rng
    context.window.set_tab("explain")  # its buttons are on its tab, which computes the cheap maps when shown
    # Patches as large as their stride, at most 8×8 of them: a costly map finishes in seconds on a CPU.
    patch = rng.choice((28, 32, 56))
    view.patch.setValue(patch)
    view.stride.setValue(patch)
    view.steps.setValue(8)
    method = rng.choice(("cheap", "occlusion", "ig"))
    if method == "cheap":
        view.class_edit.setText(rng.choice(("", "top", "1", "3")))
        view.compute_button.click()
        return f"explain class {view.class_edit.text()!r}"
    button = view.panels[method].compute_button

    def offered() -> bool:
        return button is not None and button.isVisible() and button.isEnabled()

    if not offered():  # the cost is said once the cheap maps are shown: a user waits for them
        context.settle(rng.choice((1.0, 20.0)))
    if button is None or not offered():
        return f"{method}: its button is not offered"
    button.click()
    return f"{method} patch {patch}"


def _heatmap(context: SoakContext) -> str:
    view = context.window.heatmap
    context.window.set_tab("heatmap")
    view.scales_edit.setText(context.rng.choice(("1", "1, 1.4")))
    view.compute_button.click()
    if context.state.heatmap.shown is None:  # as for Compare: the first heatmap is waited for
        context.settle(RESULT_WAIT_S)
    return f"heatmap scales {view.scales_edit.text()}"


def _cancel(context: SoakContext) -> str:
    button = context.window.cancel_button
    if button.isVisible() and context.rng.random() < 0.7:
        button.click()
        return "Cancel (status bar)"
    context.state.cancel()
    return "cancel (state)"


def _export(context: SoakContext) -> str:
    window, rng = context.window, context.rng
    tab = rng.choice(EXPORT_TABS)
    window.set_tab(tab)
    suffix = {"architecture": rng.choice((".svg", ".png", ".csv"))}.get(tab, ".png")
    path = context.next_save_path(".csv" if tab == "predictions" else suffix)
    context.save_paths[:] = [path]
    if tab == "predictions":
        window.tab_exports.export_predictions()
    elif tab == "activations":
        window.tab_exports.export_activations()
    elif tab == "architecture":
        button = window.architecture.findChild(_button_type(), "exportArchitectureButton")
        assert button is not None  # the view's own button
        button.click()
    elif tab == "heatmap":
        window.heatmap.export_button.click()
    else:
        panel = rng.choice(list(window.compare_links.explain_view.panels.values()))
        panel.export_button.click()
        tab = f"explain {panel.method}"
    context.save_paths.clear()  # a tab with nothing to export asked nothing
    return f"export {tab} to {Path(path).name}"


def _button_type() -> type:
    from PySide6 import QtWidgets

    return QtWidgets.QPushButton


def _notice_action(context: SoakContext) -> str:
    """One of the banner's buttons (Retry, Use random weights, Choose a weights file…, Open the weights folder)."""
    notice = context.state.notices.notice
    if notice is None or not notice.actions:
        return "no notice action"
    label, act = context.rng.choice(notice.actions)
    act()
    return f"notice: {label}"


def _remove(context: SoakContext) -> str:
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    thumbnails = context.window.thumbnails
    if not context.state.images:
        return "nothing to remove"
    thumbnails.setFocus()
    QTest.keyClick(thumbnails, QtCore.Qt.Key.Key_Delete)
    return "Delete"


def _wait(context: SoakContext) -> str:
    seconds = context.rng.choice((2.0, 10.0, 30.0))
    idle = context.settle(seconds)
    return f"wait ≤{seconds:.0f} s ({'idle' if idle else 'still busy'})"


def _reopen(context: SoakContext) -> str:
    context.reopen()
    return "close and reopen"


# (name, weight, action): drops, switches and waits dominate, as in a real session.
ACTIONS: tuple[tuple[str, int, Callable[[SoakContext], str]], ...] = (
    ("drop", 8, _drop),
    ("image", 10, _switch_image),
    ("model", 6, _pick_model),
    ("tab", 10, _tab),
    ("compare", 3, _compare),
    ("explain", 5, _explain),
    ("heatmap", 2, _heatmap),
    ("cancel", 3, _cancel),
    ("export", 5, _export),
    ("notice", 2, _notice_action),
    ("remove", 2, _remove),
    ("wait", 8, _wait),
    ("reopen", 2, _reopen),
)
