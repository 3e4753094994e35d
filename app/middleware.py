"""Pure ASGI middleware: body-size limit, content-type check, ETag/304. Pure ASGI keeps them cheap."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import problem_body
from .responses import dumps

BODY_METHODS = frozenset({b"POST", b"PUT", b"PATCH"})
JSON_TYPES = ("application/json", "application/merge-patch+json")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


async def _send_problem(send: Send, status: int, detail: str) -> None:
    body = dumps(problem_body(status, detail))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class RequestGuard:
    """Rejects bodies over the limit (413, before reading them whole) and non-JSON bodies (415)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"].encode() not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _send_problem(send, 400, "Content-Length is not a number.")
                return
            if declared > self.max_body_bytes:
                await _send_problem(send, 413, f"The body is larger than {self.max_body_bytes} bytes.")
                return
        ctype = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        path: str = scope["path"]
        allowed = JSON_TYPES + (NDJSON_TYPES if path.endswith("/bulk") else ())
        has_body = length is None or int(length) > 0
        if (
            has_body
            and ctype not in allowed
            and not (ctype.startswith("application/") and ctype.endswith("+json"))
        ):
            await _send_problem(
                send, 415, f"Send the body as {' or '.join(allowed)}, not {ctype or 'nothing'!r}."
            )
            return

        received = 0
        too_large = False
        replied = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may turn the aborted read into its own error: answer 413 in its place.
            nonlocal replied
            if too_large:
                if not replied:
                    replied = True
                    await _send_problem(send, 413, f"The body is larger than {self.max_body_bytes} bytes.")
                return
            replied = replied or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not replied:
                replied = True
                await _send_problem(send, 413, f"The body is larger than {self.max_body_bytes} bytes.")


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
