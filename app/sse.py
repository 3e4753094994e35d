"""Server-Sent Events as a lean ASGI response: what an idle open stream costs decides how many a worker holds.

sse-starlette's EventSourceResponse ran an anyio task group per stream (a sender, a ping loop, a disconnect
listener and a shutdown listener, each with its cancel scope and events) beside the request's own task:
1,000 idle streams added 60 MiB to a worker, 17.6 MiB with this writer (`python bench/changes.py --only
memory --baseline <commit>`). Here a stream is the request's task, which waits for the next event and
writes it, plus one small task that waits for the client to leave:

- the source is asked for its next event with the heartbeat interval as the timeout; when nothing came in
  time, a comment line goes out instead (it keeps proxies from closing an idle connection);
- the client leaving (`http.disconnect`) or the server shutting down (`close_all()`, called by
  app/server.py) closes the source, which wakes its waiting reader: the stream ends;
- a client that takes no bytes for `send_timeout` seconds is cut off (the connection is aborted, as
  exports do: the unsent bytes do not keep the socket).

The body is written after the middleware stack has returned (see `run_detached` below): an idle stream
then holds only the outermost frames. Under HEAD only the headers go out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import NamedTuple, Protocol

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .export import ABORT_KEY

log = logging.getLogger("geonews.sse")

MEDIA_TYPE = "text/event-stream"
HEARTBEAT = b": ping\n\n"


class Event(NamedTuple):
    """One Server-Sent Event: `data` (several lines become several `data:` fields), optional `id` and
    `event` (its name; unnamed events reach a browser's EventSource.onmessage)."""

    data: str
    id: str | None = None
    event: str | None = None

    def encode(self) -> bytes:
        lines = []
        if self.event is not None:
            lines.append(f"event: {_one_line(self.event)}\n")
        if self.id is not None:
            lines.append(f"id: {_one_line(self.id)}\n")
        # Only CR, LF and CRLF end an SSE line (str.splitlines would also split at U+2028, which JSON
        # strings may hold as is).
        data = self.data.replace("\r\n", "\n").replace("\r", "\n")
        lines.extend(f"data: {line}\n" for line in data.split("\n"))
        lines.append("\n")
        return "".join(lines).encode()


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


class EventSource(Protocol):
    """What an EventStream sends: `next(within)` returns the next event, or None when none came within
    `within` seconds, and raises StopAsyncIteration when the stream is over; `close()` (idempotent, may
    be called while `next` waits) makes the waiting `next` return and ends the stream."""

    async def next(self, within: float) -> Event | None: ...

    def close(self) -> None: ...


_open: set[EventSource] = set()


def close_all() -> None:
    """End every open stream of this process (the server is shutting down: clients reconnect elsewhere)."""
    for source in list(_open):
        source.close()


# Detached streams. An open stream would otherwise hold every frame of the stack around it for its whole
# life (each middleware, FastAPI's routing and dependency exit stacks, the Request): about half of what an
# idle stream cost. The outermost middleware (app/middleware.py RequestContext) offers to run the body
# after the stack has returned: it puts DETACH_KEY in the request's state, an EventStream leaves itself
# there once its headers are out, and `run_detached` writes the body with the outermost receive and send.
# Middlewares between see the headers as usual; none of them changes a streamed body (ETags pass event
# streams through, CancelOnDisconnect leaves /stream paths alone), except HEAD, which ends after the
# headers.
DETACH_KEY = "geonews.detached_stream"


def offer_detach(scope: Scope) -> None:
    scope.setdefault("state", {})[DETACH_KEY] = None


async def run_detached(scope: Scope, receive: Receive, send: Send) -> None:
    """Write the body of the stream the app left in the request's state, if any."""
    stream = scope["state"].pop(DETACH_KEY, None)
    if stream is None:
        return
    if scope["method"] == "HEAD":
        stream.source.close()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    # What FastAPI left in the scope for this request (its dependency exit stacks, already closed, and its
    # routing context) would otherwise live as long as the stream.
    for key in [k for k in scope if k.startswith("fastapi")]:
        del scope[key]
    await stream.run(scope, receive, send)


def drop_detached(scope: Scope) -> None:
    """A stream left but never run (the stack failed after it): let go of its source."""
    stream = scope["state"].pop(DETACH_KEY, None)
    if stream is not None:
        stream.source.close()


class EventStream(Response):
    """A `text/event-stream` response fed by an EventSource; see the module docstring."""

    media_type = MEDIA_TYPE

    def __init__(
        self,
        source: EventSource,
        *,
        heartbeat: float,
        send_timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        status_code: int = 200,  # FastAPI reads the default for the OpenAPI document
    ) -> None:
        self.source = source
        self.heartbeat = heartbeat
        self.send_timeout = send_timeout
        self.status_code = status_code
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),  # nginx: pass events on at once
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The headers go out through the whole stack (request id, CORS, rate-limit fields)...
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        state = scope.get("state")
        if state is not None and DETACH_KEY in state:
            # ...and the body is written by the outermost middleware once the stack has returned.
            state[DETACH_KEY] = self
            return
        await self.run(scope, receive, send)

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The body: events and heartbeats until the source ends, the client leaves or the server stops."""
        source = self.source
        abort: Callable[[], None] | None = scope.get(ABORT_KEY)
        _open.add(source)
        watcher = asyncio.get_running_loop().create_task(_close_on_disconnect(receive, source))
        try:
            while True:
                try:
                    event = await source.next(self.heartbeat)
                except StopAsyncIteration:
                    break
                if not await self._send(send, HEARTBEAT if event is None else event.encode(), abort):
                    return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            _open.discard(source)
            source.close()
            watcher.cancel()

    async def _send(self, send: Send, body: bytes, abort: Callable[[], None] | None) -> bool:
        """Hand bytes to the server; False (and the connection dropped) when the client took none within
        the send timeout."""
        try:
            async with asyncio.timeout(self.send_timeout):
                await send({"type": "http.response.body", "body": body, "more_body": True})
            return True
        except TimeoutError:
            log.info("event stream client took no bytes for %g s: connection dropped", self.send_timeout)
            if abort is not None:
                abort()
                await asyncio.sleep(0)  # let the server see the connection go before this returns
            return False


async def _close_on_disconnect(receive: Receive, source: EventSource) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass  # the (empty) request body of a GET
    source.close()
