"""GUI fixtures: isolated QSettings, a configured QApplication, a main window on a chosen model, real drops.

Where the windows' engine runs (``VIEWER_ENGINE``, see :mod:`viewer.gui.jobs.engine_choice`): by default here on a
thread of the test process (``thread``: the same client, wire format, scheduler and job table as the app's engine
process, without an interpreter start and torch's import per window, ~7 s each on the 2-core VM). The engine
process itself has its own tests (``test_engine_window.py``, ``test_engine_runner.py``, ``tests/engine/server``).
``VIEWER_ENGINE=local`` runs the suite with an engine process per window; ``VIEWER_ENGINE=shared`` with one
``viewer engine --listen 127.0.0.1:0`` for the whole session (:func:`shared_engine`). A test that needs an engine
of its own (it kills it, or changes the environment the engine must see) is marked ``own_engine``: under
``shared`` its windows start a local engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from viewer.core.network.choice import ModelChoice
from viewer.gui.jobs.engine_choice import configured_engine
from viewer.gui.runtime.application import create_application
from viewer.gui.runtime.settings import use_settings_path

# Generous: the CPU is shared and the first job of a session imports torch.
JOB_TIMEOUT_MS = 120_000


SHARED = "shared"  # the value of VIEWER_ENGINE that asks for one engine for the session (not the app's: the suite's)


@pytest.fixture(scope="session")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str] | None]:
    """Under ``VIEWER_ENGINE=shared``: ``viewer engine --listen`` on loopback for the session, as (address, token
    file); None otherwise. It sees the tests' weights cache and refused weights server (``tests/conftest.py``),
    a cache folder of its own, and runs at a local engine's lower priority, so that the windows' GUI threads get
    the CPU first."""
    if os.environ.get("VIEWER_ENGINE", "").lower() != SHARED:
        yield None
        return
    folder = tmp_path_factory.mktemp("shared_engine")
    token_file = folder / "token"
    token_file.write_text("a-shared-test-engine-token-0123456789\n")
    token_file.chmod(0o600)
    env = {
        **os.environ,
        "TORCH_HOME": str(tmp_path_factory.getbasetemp() / "torch_home"),
        "VIEWER_WEIGHTS_URL_BASE": "http://127.0.0.1:9/",
        "VIEWER_CACHE_DIR": str(folder / "cache"),  # the zoo's measured latencies: never the user's cache
    }
    command = [sys.executable, "-m", "viewer", "engine", "--listen", "127.0.0.1:0", "--token-file", str(token_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, preexec_fn=lambda: os.nice(10))
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "listening on" in line, f"the shared engine did not start: {line!r}"
    address = line.rsplit(" ", 1)[1].strip()
    yield address, str(token_file)
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(autouse=True)
def _engine_of_the_test(
    request: pytest.FixtureRequest, shared_engine: tuple[str, str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The windows made without a runner run their jobs on a thread engine, or as ``VIEWER_ENGINE`` says: with the
    shared engine, or (``own_engine``) with their own."""
    if shared_engine is None:
        if not os.environ.get("VIEWER_ENGINE"):
            monkeypatch.setenv("VIEWER_ENGINE", "thread")
        return
    if request.node.get_closest_marker("own_engine") is not None:
        monkeypatch.setenv("VIEWER_ENGINE", "local")
        return
    address, token_file = shared_engine
    monkeypatch.setenv("VIEWER_ENGINE", address)
    monkeypatch.setenv("VIEWER_ENGINE_TOKEN_FILE", token_file)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory, qapp: QtWidgets.QApplication) -> Path:
    """Every GUI test reads and writes QSettings in its own folder, never the user's."""
    folder = tmp_path_factory.mktemp("settings")
    create_application()  # names, row-major pyqtgraph images (pytest-qt created the QApplication)
    use_settings_path(folder)
    return folder


@pytest.fixture
def inline_runner(qtbot, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., object]]:
    """``inline_runner(name=function, ...)``: a job runner whose engine, on a thread of this process, runs these
    functions as its job table (``inline_jobs``), so that they may share events and lists with the test, and
    tells ``inline_jobs.wait_queued`` what it queued."""
    import inline_jobs  # as the engine names it: one module object for the test and the engine

    from viewer.engine.server.scheduler import Scheduler
    from viewer.gui.client import EngineClient
    from viewer.gui.jobs.runner import JobRunner

    runners = []
    queue_request = Scheduler.put

    def recording_put(scheduler: Scheduler, request) -> None:
        queue_request(scheduler, request)
        inline_jobs.record_queued(request.name)

    monkeypatch.setattr(Scheduler, "put", recording_put)

    def make(**jobs: Callable[..., object]) -> JobRunner:
        inline_jobs.clear()
        inline_jobs.JOBS.update(jobs)
        runner = JobRunner(client=EngineClient(jobs=inline_jobs.TABLE, in_thread=True))
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        assert runner.shutdown(timeout=10)
    inline_jobs.clear()


@pytest.fixture
def make_window(qtbot) -> Iterator[Callable[..., object]]:
    """``make_window(model=..., weights=...)``: a shown MainWindow whose state has started on that model."""
    from viewer.gui.state import AppState, ModelChoice
    from viewer.gui.window.main_window import MainWindow

    windows = []

    def make(
        model: str | None = "lenet5",
        weights: str = "none",
        *,
        start: bool = True,
        restore: bool = False,
        wait_model: bool = True,
        jobs: str | None = None,
    ):
        # ``jobs``: a job table (``module:attr``) for the window's own engine (on a thread, or a local process).
        runner = None
        if jobs is not None:
            from viewer.gui.client import EngineClient
            from viewer.gui.jobs.runner import JobRunner

            in_thread = configured_engine()[0].lower() == "thread"
            runner = JobRunner(client=EngineClient(jobs=jobs, in_thread=in_thread))
        state = AppState(runner=runner)
        window = MainWindow(state, restore_choice=restore)
        if not restore:
            state.model.choice = ModelChoice(model, weights, None, "cpu")
            window.model_bar.set_choice(state.model.choice)
        # Not qtbot.addWidget: a window closed by its test is deleted (freed on close); the loop below closes
        # the others.
        window.show()
        windows.append(window)
        if start:
            state.start()
            if wait_model:
                qtbot.waitUntil(
                    lambda: state.model.info is not None or state.model.error is not None, timeout=JOB_TIMEOUT_MS
                )
        return window

    yield make
    for window in windows:
        if shiboken6.isValid(window):  # a window the test closed is deleted by now (it is freed on close)
            window.close()
        assert window.state.jobs.shutdown()  # already shut down by the close: True once its thread has ended


@pytest.fixture
def show(qtbot):
    """``show(graph, spec)``: a shown Architecture view of ``graph`` with ``expansion(graph, spec)`` laid out and
    drawn (the layout computed here, as the worker would, in the direction the view's box asks for)."""
    from viewer.core.graph.dataflow import collapse, expansion
    from viewer.engine.layout.layered import layout_view
    from viewer.gui.widgets.architecture.view import ArchitectureView

    def make(graph, spec=None):
        view = ArchitectureView()
        qtbot.addWidget(view)
        view.resize(1000, 700)
        view.show()
        qtbot.waitExposed(view)

        def lay_out(expanded):
            view.set_layout(layout_view(collapse(graph, expanded), view.direction))

        view.expansionRequested.connect(lay_out)
        view.directionChanged.connect(lambda _direction: lay_out(view.expanded_blocks))
        view.set_graph(graph)
        view.request_expanded(expansion(graph, spec))
        return view

    return make


@pytest.fixture
def drop_files() -> Callable[[QtWidgets.QWidget, Sequence[str | Path]], bool]:
    return _drop_files


def _drop_files(target: QtWidgets.QWidget, paths: Sequence[str | Path]) -> bool:
    """A real drag-enter + drop of file URLs on ``target``; True if the drop was accepted."""
    mime = QtCore.QMimeData()
    # absolute() and not resolve(): a file manager sends the path as the user sees it, symbolic links kept
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(Path(p).absolute())) for p in paths])
    centre = QtCore.QPoint(max(target.width() // 2, 1), max(target.height() // 2, 1))
    actions = QtCore.Qt.DropAction.CopyAction
    buttons = QtCore.Qt.MouseButton.LeftButton
    modifiers = QtCore.Qt.KeyboardModifier.NoModifier
    enter = QtGui.QDragEnterEvent(centre, actions, mime, buttons, modifiers)  # a QPoint, as Qt declares it
    QtWidgets.QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QtGui.QDropEvent(QtCore.QPointF(centre), actions, mime, buttons, modifiers)
    QtWidgets.QApplication.sendEvent(target, drop)
    return drop.isAccepted()


@pytest.fixture
def choose_in_combo(qtbot) -> Callable[[QtWidgets.QComboBox, object], None]:
    """``choose_in_combo(combo, data)``: open the combo's popup and click the row holding ``data``."""

    def choose(combo: QtWidgets.QComboBox, data: object) -> None:
        row = combo.findData(data)
        assert row >= 0, f"{data!r} is not offered by {combo.objectName()}"
        combo.showPopup()
        view = combo.view()
        qtbot.waitUntil(view.isVisible)
        index = view.model().index(row, combo.modelColumn())
        # Centred: scrolled only "into view", a row near the end of a long list sat half under the popup's edge
        # (offscreen, 800 px high), where the click landed on nothing.
        view.scrollTo(index, QtWidgets.QAbstractItemView.ScrollHint.PositionAtCenter)
        rect = view.visualRect(index)
        qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.waitUntil(lambda: not view.isVisible())

    return choose


@pytest.fixture
def state(qtbot):
    """An AppState without a window, on LeNet-5 with random weights on the CPU; its worker is shut down after."""
    from viewer.gui.state import AppState

    state = AppState()
    state.model.choice = ModelChoice("lenet5", "none", None, "cpu")
    yield state
    assert state.jobs.shutdown(timeout=10)
