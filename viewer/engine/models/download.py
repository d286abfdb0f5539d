"""Downloading weights into torch hub's cache with progress, cancellation, hash check and atomic rename.

torch.hub's own ``download_url_to_file`` reports progress only through tqdm on stderr; a GUI needs a
callback (and a way to stop), hence this small fetcher. It keeps hub's conventions: the cache folder
``torch.hub.get_dir()/checkpoints`` and the ``name-<sha256 prefix>.ext`` check of torchvision's files.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import torch

from viewer.core.errors import CancelledError, DownloadError

__all__ = ["URL_BASE_ENV", "ProgressCallback", "cache_dir", "fetch_url_to_cache"]

# progress(done_bytes, total_bytes or 0 when unknown) -> False to cancel
ProgressCallback = Callable[[int, int], "bool | None"]
# Points every weights URL at another server (a mirror, or a test server on 127.0.0.1): only the file
# name of the original URL is kept.
URL_BASE_ENV = "VIEWER_WEIGHTS_URL_BASE"
_HASH_IN_NAME = re.compile(r"-([a-f0-9]*)\.")
_CHUNK = 1 << 16


def cache_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def fetch_url_to_cache(
    url: str,
    *,
    check_hash: bool = True,
    progress: ProgressCallback | None = None,
    timeout: float = 30.0,
    directory: Path | None = None,
) -> Path:
    """The cached file for ``url``, downloading it first when it is not cached yet."""
    filename = os.path.basename(urlparse(url).path)
    directory = directory or cache_dir()
    target = directory / filename
    if target.exists():
        return target
    base = os.environ.get(URL_BASE_ENV)
    if base:
        url = base.rstrip("/") + "/" + filename
    hash_prefix = None
    if check_hash:
        match = _HASH_IN_NAME.search(filename)
        hash_prefix = match.group(1) if match else None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"Cannot create the weights cache {directory}: {error.strerror}.") from None
    _download(url, target, hash_prefix, progress, timeout)
    return target


def _offline_advice(url: str, target: Path, reason: str) -> str:
    return (
        f"Could not download {target.name} ({reason}). Work offline with random weights (--weights none) or a "
        f"local file (--weights FILE), or copy the file from {url} to {target}."
    )


def _connection_failure(error: BaseException, timeout: float) -> str:
    """Why no connection was made, in words ("[Errno -2] Name or service not known" is what the OS says)."""
    reason = getattr(error, "reason", error)
    if isinstance(reason, socket.gaierror):
        return "no connection: the server's name could not be looked up; is this computer offline?"
    if isinstance(reason, TimeoutError):
        return f"no connection: no answer from the server within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "no connection: the server refused it"
    return f"no connection: {getattr(reason, 'strerror', None) or reason}"


def _download(
    url: str, target: Path, hash_prefix: str | None, progress: ProgressCallback | None, timeout: float
) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "convnet-viewer"})
    handle, partial_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial", dir=target.parent)
    partial = Path(partial_name)
    try:
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            raise DownloadError(_offline_advice(url, target, f"HTTP {error.code}")) from None
        except (TimeoutError, urllib.error.URLError, OSError) as error:
            raise DownloadError(_offline_advice(url, target, _connection_failure(error, timeout))) from None
        digest = hashlib.sha256()
        with response, os.fdopen(handle, "wb") as out:
            handle = -1
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            if progress is not None and progress(0, total) is False:
                raise CancelledError("Download cancelled.")
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except http.client.IncompleteRead as error:
                    raise DownloadError(
                        _offline_advice(url, target, f"truncated: got {done + len(error.partial)} of {total} bytes")
                    ) from None
                except (TimeoutError, OSError, http.client.HTTPException) as error:
                    raise DownloadError(_offline_advice(url, target, f"connection lost: {error}")) from None
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None and progress(done, total) is False:
                    raise CancelledError("Download cancelled.")
        if total and done != total:
            raise DownloadError(_offline_advice(url, target, f"truncated: got {done} of {total} bytes"))
        if hash_prefix and not digest.hexdigest().startswith(hash_prefix):
            raise DownloadError(
                f"Downloaded {target.name} is corrupt (sha256 {digest.hexdigest()[:12]} does not start with "
                f"{hash_prefix}); nothing was saved, try again or copy a good file to {target}."
            )
        os.replace(partial, target)
    finally:
        if handle != -1:
            os.close(handle)
        partial.unlink(missing_ok=True)
