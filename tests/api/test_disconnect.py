"""A read whose client disconnects stops costing: the handler is cancelled, over a real socket too."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from app.middleware import CancelOnDisconnect


def _recorder() -> tuple[Any, dict[str, Any]]:
    seen: dict[str, Any] = {"started": 0, "cancelled": 0, "finished": 0}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["started"] += 1
        try:
            await asyncio.sleep(float(scope.get("query_string", b"5").decode() or 5))
        except asyncio.CancelledError:
            seen["cancelled"] += 1
            raise
        seen["finished"] += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    return app, seen


def _scope(method: str, wait: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": "/", "query_string": wait.encode(), "headers": []}


def test_a_get_is_cancelled_when_its_client_leaves():
    app, seen = _recorder()

    async def main() -> None:
        messages = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> Any:
            if messages:
                return messages.pop()
            await asyncio.sleep(0.05)
            return {"type": "http.disconnect"}

        sent: list[Any] = []

        async def send(message: Any) -> None:
            sent.append(message)

        started = time.monotonic()
        await CancelOnDisconnect(app)(_scope("GET", "30"), receive, send)
        assert time.monotonic() - started < 5
        assert sent == []

    asyncio.run(main())
    assert seen == {"started": 1, "cancelled": 1, "finished": 0}


def test_a_get_that_finishes_is_answered_and_a_post_is_never_cancelled():
    app, seen = _recorder()

    async def run(method: str, wait: str) -> list[Any]:
        messages = [{"type": "http.request", "body": b"", "more_body": False}]
        sent: list[Any] = []

        async def receive() -> Any:
            if messages:
                return messages.pop()
            await asyncio.sleep(0.01)  # the client leaves at once
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            sent.append(message)

        await CancelOnDisconnect(app)(_scope(method, wait), receive, send)
        return sent

    assert [m.get("status") for m in asyncio.run(run("GET", "0"))][0] == 200
    assert asyncio.run(run("POST", "0.3"))[-1]["body"] == b"done"  # stored though the client left
    assert seen == {"started": 2, "cancelled": 0, "finished": 2}


def test_over_a_real_socket_the_handler_stops():
    seen = {"started": 0, "cancelled": 0, "finished": 0}
    api = FastAPI()

    @api.get("/slow")
    async def slow() -> dict[str, str]:
        seen["started"] += 1
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen["cancelled"] += 1
            raise
        seen["finished"] += 1
        return {"ok": "yes"}

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(CancelOnDisconnect(api), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 10
        while not server.started and time.time() < deadline:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            while seen["started"] == 0 and time.time() < deadline:
                time.sleep(0.02)
        # The client closed its socket: the handler is cancelled well before its 30 s.
        while seen["cancelled"] == 0 and time.time() < deadline:
            time.sleep(0.02)
        assert seen == {"started": 1, "cancelled": 1, "finished": 0}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
