"""Pure ASGI middleware: request ids and the one place a 500 is logged, HEAD, the edge checks (bytes no
database can store, body size and content type, slow bodies), ETag/304. Pure ASGI keeps them cheap."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import os
import re
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import problem_body
from .metrics import ABANDONED
from .responses import dumps
from .sse import drop_detached, offer_detach, run_detached

log = logging.getLogger("geonews.errors")

REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:@/+=-]{1,128}$")

# New request ids: this process's 16 random hex digits and a counter, 32 hex digits as a uuid4's hex.
# Unique across workers and restarts for any practical purpose, without a uuid4's urandom call and
# object (2.6 % of an article read by id). A forked child draws its own prefix.
_rid_prefix = secrets.token_hex(8).encode()
_rid_count = itertools.count(1)


def _new_rid_prefix() -> None:
    global _rid_prefix, _rid_count
    _rid_prefix, _rid_count = secrets.token_hex(8).encode(), itertools.count(1)


os.register_at_fork(after_in_child=_new_rid_prefix)


def new_request_id() -> bytes:
    return _rid_prefix + b"%016x" % next(_rid_count)


BODY_METHODS = frozenset({b"POST", b"PUT", b"PATCH"})
JSON_TYPES = ("application/json", "application/merge-patch+json")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


async def _send_problem(
    send: Send, status: int, detail: str, errors: list[dict[str, Any]] | None = None, close: bool = False
) -> None:
    body = dumps(problem_body(status, detail, errors))
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestContext:
    """Outermost: gives every request an id (a sane incoming X-Request-ID, else a new one), returns it on
    every response, and is the one place an unhandled error is logged (once, with the id) and turned
    into a 500 problem document. It also writes the body of an event stream, once the stack inside has
    returned (app/sse.py: an idle stream then holds none of its frames)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == REQUEST_ID_HEADER), None)
        rid = incoming if incoming and _SANE_REQUEST_ID.match(incoming) else new_request_id()
        scope.setdefault("state", {})["request_id"] = rid.decode()
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, rid))
                message = {**message, "headers": headers}
            await send(message)

        offer_detach(scope)  # an event stream's body is written here, once the stack has returned
        try:
            await self.app(scope, receive, send_with_id)
            await run_detached(scope, receive, send_with_id)
        except Exception as exc:
            log.error(
                "unhandled error in %s %s [request %s]",
                scope.get("method"),
                scope.get("path"),
                rid.decode(),
                exc_info=exc,
            )
            if not started:
                await _send_problem(send_with_id, 500, "An internal error occurred.")
            # A response already under way cannot change its status: it ends short, and the client
            # sees a truncated body rather than a clean end.
        finally:
            drop_detached(scope)


class CancelOnDisconnect:
    """A read whose client has gone stops costing: GET and HEAD run beside a watch on the connection (one
    task), and when the client disconnects before the response is complete the request is cancelled
    (on PostgreSQL asyncpg then cancels the running statement; SQLite statements are bounded by their
    deadline; a search in a worker thread finishes its few milliseconds and is dropped). The app still
    receives the disconnect, so streams end the way they always do. Writes are never cancelled half-way:
    a client that posted a batch gets it stored whether or not it waits for the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"].endswith("/stream")  # event streams watch their connection themselves
        ):
            await self.app(scope, receive, send)
            return
        # The request's own messages first (a GET body is empty or ignored).
        first: list[Message] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # gone before anything ran
            first.append(message)
            if not message.get("more_body", False):
                break
        gone = asyncio.Event()
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        ours = False  # whether a cancellation of this task is the watch's doing
        timer: asyncio.TimerHandle | None = None

        async def app_receive() -> Message:
            if first:
                return first.pop(0)
            await gone.wait()
            return {"type": "http.disconnect"}

        def give_up() -> None:
            nonlocal ours
            ours = True
            task.cancel()

        async def watch() -> None:
            nonlocal timer
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
            # The client left first. A stream sees the disconnect and ends by itself; the rest is cancelled.
            timer = loop.call_later(0.5, give_up)

        # The app runs in this task; one watch beside it (a second task per request cost twice as much).
        watcher = asyncio.create_task(watch())
        try:
            await self.app(scope, app_receive, send)
        except asyncio.CancelledError:
            if ours and task.uncancel() == 0:
                ABANDONED.inc()
                return
            raise
        finally:
            if timer is not None:
                timer.cancel()
            watcher.cancel()
        if gone.is_set():
            ABANDONED.inc()


class HeadAsGet:
    """HEAD is answered wherever GET is: the GET route runs, and only its status and headers go out. A
    streamed body is ended after its headers: the stream is told the client left, and whatever it still
    sends is dropped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope = {**scope, "method": "GET"}
        done = False

        async def head_receive() -> Message:
            if done:
                return {"type": "http.disconnect"}
            return await receive()

        async def head_send(message: Message) -> None:
            nonlocal done
            if done:
                return
            if message["type"] == "http.response.body":
                done = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app(scope, head_receive, head_send)


def _edge_problem(scope: Scope) -> tuple[str, list[dict[str, Any]]] | None:
    """A NUL byte in the path, the query or a header: no database stores it and no client needs it.
    (Percent-decoding cannot produce a lone surrogate: invalid UTF-8 decodes to U+FFFD.)"""
    if "\x00" in scope["path"]:
        return "The path contains a NUL byte.", [{"loc": ["path"], "msg": "NUL byte"}]
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query.lower():
        return "The query string contains a NUL byte.", [{"loc": ["query"], "msg": "NUL byte"}]
    for name, value in scope["headers"]:
        if b"\x00" in value:
            header = name.decode("latin-1")
            return f"The {header} header contains a NUL byte.", [
                {"loc": ["header", header], "msg": "NUL byte"}
            ]
    return None


class RequestGuard:
    """The edge: NUL bytes in path, query or headers (400); bodies over the limit (413: at once when the
    declared length says so, else as soon as the bytes do; some routes have a smaller limit); non-JSON
    bodies (415); a body that stops arriving (408). The app sees a body only once it is complete."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        body_timeout: float = 30.0,
        route_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.route_limits = route_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bad = _edge_problem(scope)
        if bad is not None:
            await _send_problem(send, 400, bad[0], bad[1])
            return
        if scope["method"].encode() not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = min(self.max_body_bytes, self.route_limits.get(path.rstrip("/"), self.max_body_bytes))
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        declared = None
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _send_problem(send, 400, "Content-Length is not a number.")
                return
            if declared > limit:
                await _send_problem(send, 413, f"The body is larger than {limit} bytes.")
                return
        ctype = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        allowed = JSON_TYPES + (NDJSON_TYPES if path.endswith("/bulk") else ())
        has_body = declared is None or declared > 0
        if (
            has_body
            and ctype not in allowed
            and not (ctype.startswith("application/") and ctype.endswith("+json"))
        ):
            await _send_problem(
                send, 415, f"Send the body as {' or '.join(allowed)}, not {ctype or 'nothing'!r}."
            )
            return

        # The whole body is read here, before the app runs: a slow upload then never holds anything the
        # app takes first (a session, SQLite's per-worker write turn), and the deadline is the guard's.
        # Bodies are bounded by the limit, and the framework would buffer them whole anyway.
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            try:
                async with asyncio.timeout(self.body_timeout):
                    message = await receive()
            except TimeoutError:
                await _send_problem(
                    send, 408, f"The body did not arrive within {self.body_timeout:g} s.", close=True
                )
                return
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await _send_problem(send, 413, f"The body is larger than {limit} bytes.", close=True)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: only a disconnect can come

        await self.app(scope, replay_receive, send)


class ETagMiddleware:
    """Weak ETag over the body of buffered GET 200 responses; If-None-Match gets 304. Streams pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        inm = dict(scope["headers"]).get(b"if-none-match")
        start: dict[str, Any] | None = None
        passthrough = False

        async def etag_send(message: Message) -> None:
            nonlocal start, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = dict(message)
                ctype = dict(start.get("headers", ())).get(b"content-type", b"")
                if start["status"] != 200 or ctype.startswith(b"text/event-stream"):
                    # An event stream's headers go out at once: EventSource opens before any event.
                    passthrough = True
                    await send(message)
                return
            if message["type"] == "http.response.body":
                assert start is not None
                if message.get("more_body", False):
                    passthrough = True
                    await send(start)
                    await send(message)
                    return
                body = message.get("body", b"")
                tag = b'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
                headers = [(k, v) for k, v in start["headers"]]
                headers.append((b"etag", tag))
                if inm is not None and tag in [t.strip() for t in inm.split(b",")] or inm == b"*":
                    keep = [
                        (k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")
                    ]
                    await send({"type": "http.response.start", "status": 304, "headers": keep})
                    await send({"type": "http.response.body", "body": b""})
                    return
                start["headers"] = headers
                await send(start)
                await send(message)

        await self.app(scope, receive, etag_send)
