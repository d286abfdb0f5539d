"""The real download path against a real HTTP server on 127.0.0.1 (no mocks): progress, cancellation,
truncation, hash mismatch, HTTP errors, offline advice, and torchvision weights through ``load_model``."""

from __future__ import annotations

import hashlib
import io
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from viewer.core.errors import CancelledError, DownloadError, WeightsError
from viewer.engine.models.download import URL_BASE_ENV, cache_dir, fetch_url_to_cache
from viewer.engine.models.weights import load_model

BODY = bytes(range(256)) * 800  # 204,800 bytes: several 64 KiB chunks


class _Route:
    def __init__(self, body: bytes = b"", status: int = 200, declared_length: int | None = None) -> None:
        self.body = body
        self.status = status
        self.declared_length = len(body) if declared_length is None else declared_length


class LocalServer:
    """An HTTP server on an ephemeral port; ``routes`` maps a file name to what is served for it."""

    def __init__(self) -> None:
        self.routes: dict[str, _Route] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                server.requests.append(name)
                route = server.routes.get(name, _Route(b"not found", status=404))
                self.send_response(route.status)
                self.send_header("Content-Length", str(route.declared_length))
                self.end_headers()
                self.wfile.write(route.body)
                self.close_connection = True  # a short body then closing: a truncated download

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/models"
        # A short poll interval: shutdown() waits for the next poll.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server(monkeypatch):
    local = LocalServer()
    monkeypatch.setenv(URL_BASE_ENV, local.url)
    yield local
    local.close()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    return tmp_path / "torch_home" / "hub" / "checkpoints"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- fetch_url_to_cache -------------------------------------------------------------------------------


def test_download_reports_progress_and_lands_in_the_cache(server, cache):
    server.routes["plain.bin"] = _Route(BODY)
    calls: list[tuple[int, int]] = []
    path = fetch_url_to_cache("https://example.org/models/plain.bin", progress=lambda d, t: calls.append((d, t)))
    assert path == cache / "plain.bin" == cache_dir() / "plain.bin"
    assert path.read_bytes() == BODY
    assert server.requests == ["plain.bin"]  # the env's base replaced the host; the file name was kept
    done = [d for d, _ in calls]
    assert calls[0] == (0, len(BODY)) and calls[-1] == (len(BODY), len(BODY))
    assert done == sorted(done) and len(calls) >= 4
    assert all(total == len(BODY) for _, total in calls)
    assert _leftovers(cache) == ["plain.bin"]


def test_cached_file_is_not_downloaded_again(server, cache):
    server.routes["plain.bin"] = _Route(BODY)
    first = fetch_url_to_cache("https://example.org/plain.bin")
    second = fetch_url_to_cache("https://example.org/plain.bin")
    assert first == second and server.requests == ["plain.bin"]


def test_correct_hash_prefix_in_the_name_is_accepted(server, cache):
    name = f"net-{hashlib.sha256(BODY).hexdigest()[:8]}.pth"
    server.routes[name] = _Route(BODY)
    assert fetch_url_to_cache(f"https://example.org/{name}").read_bytes() == BODY


def test_progress_returning_false_cancels_and_leaves_nothing(server, cache):
    server.routes["plain.bin"] = _Route(BODY)
    calls: list[int] = []

    def stop_after_first_chunk(done: int, total: int) -> bool:
        calls.append(done)
        return done == 0

    with pytest.raises(CancelledError, match="cancelled"):
        fetch_url_to_cache("https://example.org/plain.bin", progress=stop_after_first_chunk)
    assert len(calls) == 2 and 0 < calls[1] < len(BODY)
    assert _leftovers(cache) == []


def test_truncated_download_is_an_error_and_leaves_nothing(server, cache):
    server.routes["short.bin"] = _Route(BODY[:100_000], declared_length=len(BODY))
    with pytest.raises(DownloadError) as caught:
        fetch_url_to_cache("https://example.org/short.bin")
    assert re.search(rf"truncated: got \d+ of {len(BODY)} bytes", str(caught.value))
    assert _leftovers(cache) == []


def test_hash_mismatch_is_an_error_and_leaves_nothing(server, cache):
    server.routes["net-deadbeef.pth"] = _Route(BODY)
    with pytest.raises(DownloadError) as caught:
        fetch_url_to_cache("https://example.org/net-deadbeef.pth")
    message = str(caught.value)
    assert "corrupt" in message and "does not start with deadbeef" in message
    assert str(cache / "net-deadbeef.pth") in message
    assert _leftovers(cache) == []


def test_http_404_is_a_download_error_with_advice(server, cache):
    with pytest.raises(DownloadError) as caught:
        fetch_url_to_cache("https://example.org/missing.pth")
    message = str(caught.value)
    assert "HTTP 404" in message and "--weights none" in message
    assert _leftovers(cache) == []


def test_offline_tells_the_user_what_to_do(cache, monkeypatch):
    monkeypatch.setenv(URL_BASE_ENV, f"http://127.0.0.1:{_free_port()}/")  # nobody listens: refused
    with pytest.raises(DownloadError) as caught:
        fetch_url_to_cache("https://download.pytorch.org/models/net-0123abcd.pth", timeout=5)
    message = str(caught.value)
    assert "no connection: the server refused it" in message and "Errno" not in message  # words, not the OS's
    assert "--weights none" in message and "--weights FILE" in message
    assert "copy the file from http://127.0.0.1:" in message
    assert str(cache / "net-0123abcd.pth") in message
    assert "\n" not in message
    assert _leftovers(cache) == []


# --- torchvision weights through load_model -----------------------------------------------------------

SQUEEZENET_FILE = "squeezenet1_1-b8a52dc0.pth"  # torchvision's name: the sha256 prefix is b8a52dc0


@pytest.fixture(scope="module")
def random_squeezenet_bytes() -> bytes:
    from torchvision.models import SqueezeNet1_1_Weights, squeezenet1_1

    assert SqueezeNet1_1_Weights.IMAGENET1K_V1.url.endswith("/" + SQUEEZENET_FILE)
    torch.manual_seed(123)
    buffer = io.BytesIO()
    torch.save(squeezenet1_1().state_dict(), buffer)
    return buffer.getvalue()


def test_load_model_downloads_through_the_checked_path_then_uses_the_cache(server, cache, random_squeezenet_bytes):
    server.routes[SQUEEZENET_FILE] = _Route(random_squeezenet_bytes)
    progress: list[tuple[int, int]] = []
    with pytest.raises(DownloadError) as caught:
        load_model("squeezenet1_1", "IMAGENET1K_V1", device="cpu", progress=lambda d, t: progress.append((d, t)))
    message = str(caught.value)
    assert "corrupt" in message and "b8a52dc0" in message  # torchvision's check_hash reached our fetcher
    assert progress[-1] == (len(random_squeezenet_bytes), len(random_squeezenet_bytes))
    assert _leftovers(cache) == []

    # Follow the message's advice: copy "a good file" to the path it printed.
    target = Path(re.search(r"copy a good file to (\S+?)\.?$", message).group(1))
    assert target == cache / SQUEEZENET_FILE
    target.write_bytes(random_squeezenet_bytes)
    requests_before = len(server.requests)
    loaded = load_model("squeezenet1_1", "IMAGENET1K_V1", device="cpu")
    assert len(server.requests) == requests_before  # the cache was used
    assert loaded.weights == "IMAGENET1K_V1" and loaded.pretrained
    expected = torch.load(io.BytesIO(random_squeezenet_bytes), weights_only=True)
    for key, value in loaded.model.state_dict().items():
        assert torch.equal(value, expected[key]), key


class _Payload:
    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (exec, (f"open({str(self.sentinel)!r}, 'w').close()",))


def test_cached_torchvision_file_is_loaded_with_weights_only(server, cache, tmp_path):
    # A poisoned file in the cache must be refused, not run: torchvision's own loader would unpickle it
    # with weights_only=False.
    sentinel = tmp_path / "pwned"
    cache.mkdir(parents=True)
    torch.save({"classifier.1.bias": torch.zeros(1000), "payload": _Payload(sentinel)}, cache / SQUEEZENET_FILE)
    with pytest.raises(WeightsError, match="weights_only"):
        load_model("squeezenet1_1", "IMAGENET1K_V1", device="cpu")
    assert not sentinel.exists()
