"""The engine in its own process: real jobs round-trip, cancels, deaths and restarts, tokens, several clients."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from engine_jobs import RESULT_TIMEOUT_S
from engine_jobs import TABLE as JOBS

from viewer.core.errors import ImageError, ViewerError
from viewer.core.network.choice import ModelChoice
from viewer.core.progress import Progress
from viewer.core.wire.shared import SEGMENT_PREFIX
from viewer.engine.server.runtime import ENGINE_NICENESS
from viewer.gui.client import EngineBug, EngineClient, EngineStopped

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals and /dev/shm as on POSIX")


def _mobilenet(shared_data: Path) -> ModelChoice:
    return ModelChoice(
        "mobilenet_v2", weights=str(shared_data / "weights" / "mobilenet_v2_imagenet1k.pth"), device="cpu"
    )


def _leftover_segments() -> list[str]:
    shm = Path("/dev/shm")
    return [p.name for p in shm.glob(f"{SEGMENT_PREFIX}*")] if shm.is_dir() else []


def _started(client: EngineClient, name: str, *args: object) -> tuple[object, threading.Event]:
    started = threading.Event()
    future = client.submit(name, *args, on_started=lambda _future: started.set())
    assert started.wait(RESULT_TIMEOUT_S)
    return future, started


def test_a_real_classification_round_trips(local_engine: EngineClient, shared_data: Path) -> None:
    before = set(_leftover_segments())
    steps: list[Progress] = []
    spun = local_engine.submit("spin", 3, 0.0, on_progress=steps.append)
    future = local_engine.submit("classify", str(shared_data / "images" / "tv_dog2.jpg"), model=_mobilenet(shared_data))
    result = future.result(RESULT_TIMEOUT_S)
    assert result["top"][0][0] == "German shepherd" and result["top"][0][1] > 0.9
    assert result["probs"].shape == (1000,) and result["probs"].dtype.name == "float32"  # through shared memory
    assert result["pid"] == local_engine.pid != os.getpid()
    assert spun.result(RESULT_TIMEOUT_S) == 3 and [s.step for s in steps] == [1, 2, 3]
    assert set(_leftover_segments()) <= before  # every segment was unlinked once read
    # The scheduler's own queries: what its cache holds, which no job of the table can see.
    assert local_engine.loaded_models(RESULT_TIMEOUT_S) == [_mobilenet(shared_data).key()]
    assert local_engine.loaded_model_bytes(RESULT_TIMEOUT_S) > 10_000_000  # MobileNet V2's 3.5 M floats
    if sys.platform == "linux":  # the engine's own resident memory (torch and the model), not this process's
        assert local_engine.engine_rss_bytes(RESULT_TIMEOUT_S) > 100_000_000


def test_a_capture_is_made_in_shared_memory_and_arrives_equal(local_engine: EngineClient) -> None:
    # The engine makes each layer's array where the window reads it (viewer.core.wire.arena); the same values.
    from engine_jobs import capture_all

    before = set(_leftover_segments())
    result = local_engine.submit("capture_all", 5).result(RESULT_TIMEOUT_S)
    here = capture_all(5)
    assert result["pid"] != here["pid"]
    assert result["arrays"].keys() == here["arrays"].keys() and len(here["arrays"]) >= 8
    for name, array in here["arrays"].items():
        assert result["arrays"][name].dtype == array.dtype and np.array_equal(result["arrays"][name], array), name
    assert set(_leftover_segments()) <= before  # the arena was unlinked once mapped


def test_errors_are_one_sentence_and_bugs_carry_the_traceback(local_engine: EngineClient) -> None:
    with pytest.raises(ImageError, match=r"^x\.jpg: not an image file"):
        local_engine.submit("user_error", "x.jpg").result(RESULT_TIMEOUT_S)
    with pytest.raises(EngineBug, match="ZeroDivisionError") as bug:
        local_engine.submit("bug").result(RESULT_TIMEOUT_S)
    assert "return 1 / 0" in bug.value.details
    with pytest.raises(ViewerError, match="no job 'nosuch'"):
        local_engine.submit("nosuch").result(RESULT_TIMEOUT_S)


def test_cancel_stops_a_running_job_between_steps(local_engine: EngineClient) -> None:
    long, _ = _started(local_engine, "spin", 100_000)
    assert long.cancel() and long.cancelled()
    assert local_engine.submit("echo", 1).result(RESULT_TIMEOUT_S)["args"] == (1,)  # it ran: the spin stopped


def test_a_killed_engine_fails_its_jobs_and_a_new_one_starts(local_engine: EngineClient) -> None:
    long, _ = _started(local_engine, "spin", 100_000)
    queued = local_engine.submit("echo", "queued")
    first = local_engine.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    for future in (long, queued):
        with pytest.raises(EngineStopped, match=r"^the engine stopped: it was killed by SIGKILL\.$"):
            future.result(RESULT_TIMEOUT_S)
    answer = local_engine.submit("echo", "after").result(RESULT_TIMEOUT_S)
    assert answer["args"] == ("after",) and answer["pid"] != first


def test_an_image_crosses_once_and_is_named_afterwards_also_by_a_restarted_engine(
    local_engine: EngineClient, shared_data: Path
) -> None:
    from viewer.core.images.files import read_image_file

    photo = read_image_file(shared_data / "images" / "kitten.jpg")
    entry = local_engine.submit("open_image", photo).result(RESULT_TIMEOUT_S)
    assert entry.key
    sizes = [local_engine.submit("image_size", entry).result(RESULT_TIMEOUT_S) for _ in range(2)]
    assert sizes == [(entry.size, 1), (entry.size, 1)]  # the second named it: the very entry the engine kept
    first = local_engine.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    with contextlib.suppress(EngineStopped):
        local_engine.submit("echo", "dies").result(RESULT_TIMEOUT_S)
    again = local_engine.submit("image_size", entry).result(RESULT_TIMEOUT_S)  # in full to the new engine
    assert again == (entry.size, 1) and local_engine.pid != first


def test_an_image_the_engine_dropped_is_sent_again_in_full(shared_data: Path, monkeypatch) -> None:
    # The engine keeps a budget of bytes of a window's images; a job naming one it dropped is sent again.
    from viewer.core.images import refs as image_refs
    from viewer.core.images.files import read_image_file

    monkeypatch.setattr(image_refs, "ENGINE_BYTES", 1)  # room for the latest image only
    client = EngineClient(jobs=JOBS, in_thread=True)  # this process: the budget above is the engine's
    try:
        first, second = (
            client.submit("open_image", read_image_file(shared_data / "images" / name)).result(RESULT_TIMEOUT_S)
            for name in ("kitten.jpg", "tv_dog1.jpg")
        )
        futures = [client.submit("image_size", entry) for entry in (first, second, first)]
        assert [future.result(RESULT_TIMEOUT_S)[0] for future in futures] == [first.size, second.size, first.size]
        # The last named the first by reference: the engine had dropped it, so it went again, in full.
        assert [future.resent for future in futures] == [False, False, True]
    finally:
        client.close()


def test_a_job_that_exits_the_engine_fails_and_a_new_one_starts(local_engine: EngineClient) -> None:
    with pytest.raises(EngineStopped, match=r"^the engine stopped: it exited with status 3\.$"):
        local_engine.submit("exit_now", 3).result(RESULT_TIMEOUT_S)
    assert local_engine.submit("echo", 2).result(RESULT_TIMEOUT_S)["args"] == (2,)


@pytest.mark.skipif(sys.platform != "linux", reason="the priority is per thread on Linux")
def test_a_local_engine_yields_the_cpu_and_freezes_what_it_imported(local_engine: EngineClient) -> None:
    state = local_engine.submit("runtime_state").result(RESULT_TIMEOUT_S)
    expected = min(os.getpriority(os.PRIO_PROCESS, 0) + ENGINE_NICENESS, 19)
    assert state["niceness"] and set(state["niceness"]) == {expected}  # every thread, the reader's too
    assert state["frozen"] > 100_000  # torch, imported at the start with the collector off, then frozen
    # A thread lock: no semaphore for the resource tracker to call leaked at every exit of the app.
    assert state["tqdm_lock"] in ("_thread", "threading")


def test_close_ends_an_engine_hung_in_a_job() -> None:
    client = EngineClient(jobs=JOBS)
    hung, _ = _started(client, "hang")
    pid = client.pid
    assert pid is not None
    assert client.close(timeout=2.0)  # goodbye is not heard, SIGTERM is ignored: it was killed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(EngineStopped):
        hung.result(0)
    with pytest.raises(RuntimeError, match="closed"):
        client.submit("echo")


def test_a_wrong_token_is_refused_while_a_client_keeps_working(tcp_engine: tuple[str, int, bytes]) -> None:
    host, port, token = tcp_engine
    good = EngineClient(address=(host, port), token=token)
    bad = EngineClient(address=(host, port), token=b"not-the-token-at-all")
    try:
        assert good.submit("echo", 1).result(RESULT_TIMEOUT_S)["args"] == (1,)
        with pytest.raises(EngineStopped, match=r"could not be reached: wrong token: this engine did not accept"):
            bad.submit("echo", 2).result(RESULT_TIMEOUT_S)
        assert good.submit("echo", 3).result(RESULT_TIMEOUT_S)["args"] == (3,)
    finally:
        bad.close()
        good.close()


def test_two_clients_get_their_own_answers_and_cancels(tcp_engine: tuple[str, int, bytes], shared_data: Path) -> None:
    host, port, token = tcp_engine
    clients = [EngineClient(address=(host, port), token=token) for _ in range(2)]
    try:
        # Both clients number their jobs from 1: the engine must keep them apart.
        long = [client.submit("spin", 100_000 if n else 20) for n, client in enumerate(clients)]
        images = ["tv_dog2.jpg", "sk_coffee.png"]
        futures = [
            client.submit("classify", str(shared_data / "images" / image), model=_mobilenet(shared_data))
            for client, image in zip(clients, images, strict=True)
        ]
        assert long[1].cancel()  # the second client's cancel of its job 1 ...
        assert long[0].result(RESULT_TIMEOUT_S) == 20  # ... leaves the first client's job 1 alone
        tops = [future.result(RESULT_TIMEOUT_S)["top"][0][0] for future in futures]
        assert tops == ["German shepherd", "espresso"]
    finally:
        for client in clients:
            client.close()


def test_client_imports_no_torch() -> None:
    """The window's process: the client, the wire and the server package import neither torch nor Qt, even
    while a job that uses torch runs in its engine."""
    code = (
        "import sys\n"
        "from viewer.gui.client import EngineClient\n"
        "import viewer.core.wire, viewer.engine.server\n"
        f"client = EngineClient(jobs={JOBS!r})\n"
        "print(client.submit('torch_version').result(300) > '2')\n"
        "client.close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'PySide6')))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["True", "[]"], result.stdout + result.stderr
