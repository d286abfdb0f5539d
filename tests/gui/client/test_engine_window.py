"""The window on the engine process (``viewer gui``, ``--engine local``): the same top-k as on a thread engine,
the engine's death said once with the window kept, no torch in the window's process, the engine gone on close."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6

from viewer.core.network.choice import ModelChoice
from viewer.core.options import HeatmapRequest
from viewer.gui.client import EngineClient
from viewer.gui.jobs.runner import JobRunner
from viewer.gui.jobs.tickets import JobKind

JOB_TIMEOUT_MS = 300_000  # generous: the CPU is shared, and each window here starts an engine (torch import)
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process states read from /proc")


def process_gone(pid: int) -> bool:
    """True once ``pid`` has ended (a zombie not yet reaped counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


@pytest.fixture
def open_window(qtbot: Any, shared_data: Path) -> Iterator[Callable[..., Any]]:
    """``open_window(runner)``: a shown window on the shared MobileNetV2 weights (CPU), model loaded, a photo open."""
    from viewer.gui.state import AppState
    from viewer.gui.window.main_window import MainWindow

    windows = []
    weights = str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth")

    def make(runner: JobRunner) -> Any:
        state = AppState(runner=runner)
        window = MainWindow(state)
        state.model.choice = ModelChoice("mobilenet_v2", weights, None, "cpu")
        window.model_bar.set_choice(state.model.choice)
        window.show()
        windows.append(window)
        state.start()
        window.open_paths([str(shared_data / "images" / "cat_dog.png")])
        qtbot.waitUntil(lambda: state.predictions.prediction is not None, timeout=JOB_TIMEOUT_MS)
        return window

    yield make
    for window in windows:
        if shiboken6.isValid(window):
            window.close()
        assert window.state.jobs.shutdown()


def topk(window: Any) -> list[int]:
    return [entry.index for entry in window.state.predictions.prediction.topk]


def probs(window: Any) -> list[float]:
    return [entry.prob for entry in window.state.predictions.prediction.topk]


def test_the_top_k_through_the_engine_process_is_the_in_thread_one(qtbot: Any, open_window: Any) -> None:
    in_thread = open_window(JobRunner(client=EngineClient(in_thread=True)))
    in_engine = open_window(JobRunner())
    assert topk(in_engine) == topk(in_thread)
    assert probs(in_engine) == pytest.approx(probs(in_thread), abs=1e-5)
    # What the Predictions tab painted: the class names by its bars, and their lengths.
    for window in (in_thread, in_engine):
        qtbot.waitUntil(lambda w=window: len(painted(w)[1]) == 5, timeout=JOB_TIMEOUT_MS)
    assert painted(in_engine)[0] == painted(in_thread)[0]
    assert painted(in_engine)[1] == pytest.approx(painted(in_thread)[1], abs=1e-5)


def painted(window: Any) -> tuple[list[str], list[float]]:
    view = window.views["predictions"]
    ticks = view.plot.getPlotItem().getAxis("left")._tickLevels or [[]]
    return [text for _, text in ticks[0]], [float(width) for width in view.bars.opts["width"]]


@pytest.mark.slow
def test_the_engine_killed_during_a_heatmap_is_said_once_and_the_window_goes_on(qtbot: Any, open_window: Any) -> None:
    window = open_window(JobRunner())
    state = window.state
    before, choice, image = (topk(window), probs(window)), state.model.choice, state.image
    said: list[str] = []
    state.notices.message.connect(lambda notice: said.append(notice.text))
    runner = state.jobs
    with qtbot.waitSignal(runner.started, timeout=JOB_TIMEOUT_MS, check_params_cb=lambda t: t.kind is JobKind.HEATMAP):
        window.set_tab("heatmap")
        state.heatmap.request(HeatmapRequest(scales=(1.0, 1.5, 2.0)))
    pid = runner.client.pid
    assert pid is not None
    with qtbot.waitSignal(runner.message, timeout=JOB_TIMEOUT_MS):
        os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not runner.is_busy(), timeout=JOB_TIMEOUT_MS)
    deaths = [text for text in said if "the engine stopped" in text]
    assert len(deaths) == 1 and deaths[0].endswith("restarted."), said
    assert window.isVisible() and state.image is image and state.model.choice == choice
    assert state.predictions.prediction is not None  # the results shown stay
    kept = state.predictions.prediction
    state.predictions.request()  # the next job, in the engine restarted
    qtbot.waitUntil(lambda: state.predictions.prediction is not kept, timeout=JOB_TIMEOUT_MS)
    assert topk(window) == before[0] and probs(window) == pytest.approx(before[1], abs=1e-6)
    assert runner.client.pid not in (None, pid)
    assert len([text for text in said if "the engine stopped" in text]) == 1


def test_closing_the_window_during_a_long_job_ends_the_engine_within_two_seconds(qtbot: Any, open_window: Any) -> None:
    window = open_window(JobRunner())
    state, runner = window.state, window.state.jobs
    with qtbot.waitSignal(runner.started, timeout=JOB_TIMEOUT_MS, check_params_cb=lambda t: t.kind is JobKind.HEATMAP):
        state.heatmap.request(HeatmapRequest(scales=(1.0, 1.5, 2.0, 2.5)))
    pid = runner.client.pid
    assert pid is not None
    window.close()
    qtbot.waitUntil(lambda: process_gone(pid), timeout=2_000)


@pytest.mark.slow
def test_the_window_on_the_engine_process_imports_no_torch_on_any_tab(shared_data: Path, tmp_path: Path) -> None:
    script = Path(__file__).with_name("engine_window_tabs.py")
    weights = shared_data / "weights" / "mobilenet_v2_imagenet1k.pth"
    image = shared_data / "images" / "cat_dog.png"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), str(weights), str(image)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] and all(report["settled"].values()), report
    assert not [text for text in report["notices"] if text.startswith("Bug")], report["notices"]
    assert report["torch"] is False
    assert report["topk"][0][0] == 243  # bull mastiff, as in the thread (the first test)


def test_the_engine_is_chosen_by_option_or_environment(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from viewer.core.errors import ViewerError
    from viewer.gui.jobs.engine_choice import ENGINE_ENV, make_runner, parse_engine

    assert parse_engine("thread") == "thread" and parse_engine("LOCAL") == "local"
    assert parse_engine("gpu-host:7341") == ("gpu-host", 7341) and parse_engine("[::1]:7341") == ("::1", 7341)
    for wrong in ("gpu-host", "gpu-host:x", ":7341", "host:70000"):
        with pytest.raises(ViewerError):
            parse_engine(wrong)
    with pytest.raises(ViewerError, match="token"):
        make_runner("127.0.0.1:9")  # a remote engine without its token: one sentence, no window
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    runner = make_runner()
    assert not runner.client.in_thread and runner.client.address is None  # the default: a local engine process
    runner.shutdown()
    thread = make_runner("thread")
    assert thread.client.in_thread
    thread.shutdown()
    monkeypatch.setenv(ENGINE_ENV, "nowhere")
    with pytest.raises(ViewerError, match="thread, local or HOST:PORT"):
        make_runner()


def test_a_window_whose_engine_cannot_be_reached_says_so_and_settles(qtbot: Any) -> None:
    import socket

    from viewer.gui.state import AppState
    from viewer.gui.window.main_window import MainWindow

    with socket.socket() as free:  # a port nobody listens on: every connection is refused
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    state = AppState(runner=JobRunner(client=EngineClient(address=("127.0.0.1", port), token=b"any-token")))
    window = MainWindow(state, restore_choice=False)
    window.show()
    try:
        state.start()
        qtbot.waitUntil(state.is_settled, timeout=JOB_TIMEOUT_MS)  # the zoo failed (asked twice): nothing waits
        assert state.model.registry is None and state.model.registry_error is not None
        said = window.notices.text()
        assert f"the engine at 127.0.0.1:{port} could not be reached" in said, said
        assert "Could not load torch and the model zoo" in said and "Bug" not in said
    finally:
        window.close()
