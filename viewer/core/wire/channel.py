"""A connection that carries whole messages (:mod:`codec`), and the token's challenge that opens it.

Framing is ``multiprocessing.connection.Connection``'s (a length, then the bytes), used only through
``send_bytes`` / ``recv_bytes``: ``send`` / ``recv`` would pickle. The challenge is an HMAC of a random nonce
with the shared token, both ways, the idea of ``multiprocessing``'s ``authkey`` done here because a listener
that runs that handshake inside ``accept()`` lets one silent peer stall every other connection, and because a
refusal should say one sentence. The token itself never crosses the wire.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import socket
import threading
from multiprocessing.connection import Connection
from typing import Any

from viewer.core.wire.codec import WireError, encode
from viewer.core.wire.decoding import decode
from viewer.core.wire.shared import discard

__all__ = [
    "HANDSHAKE_TIMEOUT_S",
    "PROTOCOL",
    "Channel",
    "Refused",
    "answer_challenge",
    "connect",
    "framed",
    "offer_challenge",
]

PROTOCOL = 1
HANDSHAKE_TIMEOUT_S = 10.0
_HANDSHAKE_MAX_BYTES = 4096


class Refused(ConnectionError):
    """The other side did not accept the connection (wrong token, another protocol); ``str()`` says why."""


class Channel:
    """Whole messages over one connection; ``send`` may be called from any thread, ``recv`` from one."""

    def __init__(self, connection: Connection, *, shm_min_bytes: int | None = None) -> None:
        self.connection = connection
        self.shm_min_bytes = shm_min_bytes  # None: arrays inline (a remote peer cannot see our shared memory)
        self._send_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        """Send one message; ``OSError`` (or ``EOFError``) once the other side is gone."""
        encoded = encode(message, shm_min_bytes=self.shm_min_bytes)
        try:
            with self._send_lock:
                self.connection.send_bytes(encoded.data)
        except BaseException:
            discard(encoded.segments)
            raise

    def recv(self, timeout: float | None = None, maxlength: int | None = None) -> dict[str, Any]:
        """The next message; ``EOFError`` when the connection closed, ``TimeoutError``, or ``WireError``."""
        if timeout is not None and not self.connection.poll(timeout):
            raise TimeoutError(f"no message within {timeout:g} s")
        data = self.connection.recv_bytes(maxlength)
        message = decode(data)
        if not isinstance(message, dict) or not isinstance(message.get("op"), str):
            raise WireError("a message is a dict with an 'op'")
        return message

    def close(self) -> None:
        self.connection.close()

    def shutdown(self) -> None:
        """End the connection both ways, from any thread: a ``recv`` blocked in another thread gets EOF (a plain
        close from another thread would leave it blocked, and its descriptor free for reuse under it)."""
        with contextlib.suppress(OSError, ValueError):
            sock = socket.socket(fileno=self.connection.fileno())
            try:
                sock.shutdown(socket.SHUT_RDWR)
            finally:
                sock.detach()  # the connection still owns the descriptor and closes it

    @property
    def closed(self) -> bool:
        return self.connection.closed


def _digest(token: bytes, role: bytes, nonce: bytes) -> bytes:
    return hmac.new(token, role + nonce, "sha256").digest()


def _expect(channel: Channel, op: str) -> dict[str, Any]:
    message = channel.recv(HANDSHAKE_TIMEOUT_S, _HANDSHAKE_MAX_BYTES)
    if message.get("op") == "refused":
        raise Refused(str(message.get("message", "the engine refused the connection.")))
    if message.get("op") != op:
        raise Refused(f"expected {op!r} from the other side, got {message.get('op')!r}.")
    return message


def offer_challenge(channel: Channel, token: bytes, welcome: dict[str, Any]) -> None:
    """The engine's side: the peer must prove it knows ``token`` before any other message.

    On a wrong answer the peer gets one sentence, the connection is closed and :class:`Refused` raised.
    """
    nonce = secrets.token_bytes(32)
    channel.send({"op": "hello", "protocol": PROTOCOL, "nonce": nonce})
    try:
        answer = _expect(channel, "auth")
        if answer.get("protocol") != PROTOCOL:
            raise Refused(f"this engine speaks protocol {PROTOCOL}, not {answer.get('protocol')!r}.")
        digest, their_nonce = answer.get("digest"), answer.get("nonce")
        if not (isinstance(digest, bytes) and isinstance(their_nonce, bytes) and len(their_nonce) == 32):
            raise Refused("the answer to the challenge is malformed.")
        if not hmac.compare_digest(digest, _digest(token, b"client", nonce)):
            raise Refused("wrong token: this engine did not accept the connection.")
    except (Refused, WireError, TimeoutError, OSError) as error:
        reason = str(error) if isinstance(error, Refused) else f"the handshake failed ({error})."
        with contextlib.suppress(OSError):
            channel.send({"op": "refused", "message": reason})
        channel.close()
        raise Refused(reason) from None
    channel.send({"op": "welcome", "digest": _digest(token, b"server", their_nonce), **welcome})


def answer_challenge(channel: Channel, token: bytes) -> dict[str, Any]:
    """The window's side: answer the engine's challenge and check it knows ``token`` too; its welcome."""
    hello = _expect(channel, "hello")
    nonce = hello.get("nonce")
    if hello.get("protocol") != PROTOCOL or not isinstance(nonce, bytes):
        raise Refused(f"the engine speaks protocol {hello.get('protocol')!r}, this window {PROTOCOL}.")
    mine = secrets.token_bytes(32)
    channel.send({"op": "auth", "protocol": PROTOCOL, "digest": _digest(token, b"client", nonce), "nonce": mine})
    welcome = _expect(channel, "welcome")
    digest = welcome.get("digest")
    if not (isinstance(digest, bytes) and hmac.compare_digest(digest, _digest(token, b"server", mine))):
        raise Refused("the engine could not prove that it knows the token.")
    return welcome


def connect(host: str, port: int, timeout: float = HANDSHAKE_TIMEOUT_S) -> Connection:
    """A framed connection to ``host:port`` (TCP)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.settimeout(None)
    return framed(sock)


def framed(sock: socket.socket) -> Connection:
    """``sock`` (TCP, connected) as a framed connection, sent without Nagle's delay.

    ``Connection.send_bytes`` writes a message over 16 KiB as two writes, its 4-byte length and then its body; with
    Nagle's algorithm on, the body waits for the length's acknowledgement, which the peer delays by up to 40 ms:
    every message between 16 and about 64 KiB (a submit with an image's thumbnails, a top-k with its preview) took
    40-50 ms to cross the loopback, 0.06 ms with ``TCP_NODELAY`` (measured on the 2-core VM)."""
    with contextlib.suppress(OSError):  # not TCP (a socket pair in a test): nothing to turn off
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Connection(sock.detach())
