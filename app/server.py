"""The HTTP/1.1 protocol `geonews serve` runs: uvicorn's httptools protocol plus what it lacks.

uvicorn has no deadline for a request's headers: a client that opens a connection and trickles a header
byte now and then (slow-loris) holds it forever, and 50 such connections were held open for good. Here a
connection must deliver a complete header block within GEONEWS_HEADER_TIMEOUT of its first byte (or of
connecting), else it gets a 408 problem document and is closed. The protocol errors the server answers
itself (malformed request: 400; over the per-worker connection limit: 503) are problem documents too.
Body read deadlines are enforced by app/middleware.py's RequestGuard; idle keep-alive connections by
uvicorn's own timeout_keep_alive. On shutdown, open event streams are ended at once (app/sse.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from . import sse
from .config import get_settings
from .errors import problem_body
from .export import ABORT_KEY
from .middleware import new_request_id
from .responses import dumps

log = logging.getLogger("geonews.server")

# How long a connection the server refused (408, 400) is still read, and what arrives thrown away, after
# its answer and a half-close: see GuardedHttpToolsProtocol._answer_and_close.
LINGER = 2.0


def _raw_problem(status: int, detail: str, extra_headers: bytes = b"") -> bytes:
    body = dumps(problem_body(status, detail))
    return b"".join(
        [
            STATUS_LINE[status],
            b"content-type: application/problem+json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"x-request-id: " + new_request_id() + b"\r\n",
            extra_headers,
            b"connection: close\r\n\r\n",
            body,
        ]
    )


async def _over_capacity(scope: Any, receive: Any, send: Any) -> None:
    body = dumps(problem_body(503, "This worker has too many connections; try again shortly."))
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
                (b"x-request-id", new_request_id()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class OneWriteResponses:
    """The transport as a response sees it: the response head is held back and goes out in the same
    write as the first body chunk. uvicorn writes the head and the body separately — two send() calls,
    two packets, two wake-ups of the client — and the first of them was a quarter of a by-id request's
    time on the event loop. A head whose body does not follow at once (a stream waiting for its first
    event) is written on the next turn of the loop, so nothing waits for it."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._held: bytes | None = None  # None: nothing written yet

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = data
            self._loop.call_soon(self.flush)
            return
        if held:
            self._held = b""
            data = held + data
        self._transport.write(data)

    def flush(self) -> None:
        held, self._held = self._held, b""
        if held and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._lingering = False
        # The connection limit is checked here, so that the refusal is a problem document.
        self._max_connections = self.limit_concurrency
        self.limit_concurrency = None

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport is None or self.transport.is_closing():
            return
        log.info("closing a connection that did not send its headers within %g s", self.header_timeout)
        detail = f"The request headers did not arrive within {self.header_timeout:g} s."
        self._answer_and_close(_raw_problem(408, detail))

    def _answer_and_close(self, answer: bytes) -> None:
        """Send a refusal and close gracefully, as nginx's lingering close does: the answer, then a half-close
        (FIN), then whatever the client still sends is read and dropped for up to LINGER s (or until it
        closes). Closing at once while the client's bytes keep arriving (a slow-loris still trickling,
        a body still uploading) makes the kernel answer them with a reset, and a client that gets the reset
        sees ECONNRESET instead of the end of the answer: it may never read the 408."""
        self._disarm()
        self._lingering = True
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER, self.transport.close)
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # after a refusal: read and dropped
        super().data_received(data)

    def _abort(self) -> None:
        """Drop the connection at once: a reset (SO_LINGER 0), so that neither the process nor the kernel
        keeps the bytes the client never took."""
        if self.transport is None or self.transport.is_closing():
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # A stream whose client stopped reading drops the connection with this (app/export.py): a plain
        # close would wait for the unsent bytes to drain, which they never do.
        self.scope[ABORT_KEY] = self._abort  # type: ignore[literal-required]
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        limit = self._max_connections
        if limit is not None and (len(self.connections) > limit or len(self.tasks) >= limit):
            log.warning("over the connection limit (%d): answering 503", limit)
            app, self.app = self.app, _over_capacity
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            return
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = OneWriteResponses(self.transport, self.loop)  # type: ignore[assignment]

    def shutdown(self) -> None:
        super().shutdown()
        # Event streams never end by themselves: end them now, else the shutdown waits for its grace
        # period (their clients reconnect, with Last-Event-ID, to a worker that stays).
        sse.close_all()

    def send_400_response(self, msg: str) -> None:
        self._answer_and_close(_raw_problem(400, msg))
