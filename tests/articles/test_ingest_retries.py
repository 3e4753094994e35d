"""`geonews ingest --server`'s sending (app/articles/cli.py post_lines) against a scripted server
(httpx.MockTransport): a busy or unreachable server is asked again after its Retry-After or a doubling
wait, a body over the server's limit is cut down to the limit its 413 names, answers' indexes count from
the batch's first line, and anything else stops the run at once (RunStopped: the command prints its
summary and exits 1)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from app.articles.cli import RETRIES, RunStopped, _BodyLimit, post_lines


def _lines(n: int, size: int = 40) -> list[bytes]:
    return [orjson.dumps({"n": k, "pad": "x" * size}) for k in range(n)]


def _ok(body: bytes) -> httpx.Response:
    """What the server answers a body it stores: each line created, its index in this body."""
    n = len(body.split(b"\n"))
    results = [{"index": k, "status": "created", "id": k + 1, "duplicate_of": None} for k in range(n)]
    return httpx.Response(
        200, json={"created": n, "updated": 0, "unchanged": 0, "failed": [], "results": results}
    )


def _client(handler: Any) -> httpx.Client:
    return httpx.Client(base_url="http://geonews.test", transport=httpx.MockTransport(handler))


def test_a_busy_server_is_asked_again_after_its_retry_after_then_a_doubling_wait():
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "2"}, json={"detail": "busy"}),
            httpx.Response(429, json={"detail": "slow down"}),
            httpx.Response(502, text="bad gateway"),
        ]
    )
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return next(answers, None) or _ok(request.content)

    said: list[str] = []
    slept: list[float] = []
    with _client(handler) as client:
        out = post_lines(client, _lines(3), _BodyLimit(), said.append, slept.append)
    assert [r["index"] for r in out["results"]] == [0, 1, 2] and out["failed"] == []
    assert len(seen) == 4 and len(set(seen)) == 1  # the same body each time
    assert slept == [2.0, 1.0, 2.0]  # Retry-After, then 0.5 * 2**attempt
    assert said[0] == "server answered 503; sending again in 2 s (retry 1 of 6)"
    assert "server answered 429" in said[1] and "server answered 502" in said[2]


def test_an_unreachable_server_is_asked_again_and_given_up_on_after_the_retries():
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return _ok(request.content)

    slept: list[float] = []
    with _client(flaky) as client:
        out = post_lines(client, _lines(2), _BodyLimit(), None, slept.append)
    assert len(out["results"]) == 2 and calls == 2 and slept == [0.5]

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    slept.clear()
    with (
        _client(down) as client,
        pytest.raises(RunStopped, match="unreachable after 6 retries: ConnectError"),
    ):
        post_lines(client, _lines(2), _BodyLimit(), None, slept.append)
    assert len(slept) == RETRIES and slept[-1] == 16.0

    slept.clear()  # `geonews ingest --retries N`: N retries, the wait doubling up to 30 s
    with _client(down) as client, pytest.raises(RunStopped, match="unreachable after 9 retries"):
        post_lines(client, _lines(2), _BodyLimit(), None, slept.append, retries=9)
    assert slept == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_still_busy_after_the_retries_or_refused_outright_stops_the_run():
    calls = 0

    def busy(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, headers={"Retry-After": "0"}, json={"detail": "busy"})

    with _client(busy) as client, pytest.raises(RunStopped, match="server answered 503"):
        post_lines(client, _lines(2), _BodyLimit(), None, lambda s: None)
    assert calls == RETRIES + 1

    calls = 0

    def refused(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(401, json={"detail": "An API key is required"})

    with _client(refused) as client, pytest.raises(RunStopped, match="server answered 401"):
        post_lines(client, _lines(2), _BodyLimit(), None, lambda s: None)
    assert calls == 1  # not a fault that passes


def test_bodies_are_cut_to_the_limit_the_413_names_and_a_giant_fails_alone():
    server_limit = 300
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(len(request.content))
        if len(request.content) > server_limit:
            return httpx.Response(413, json={"detail": f"The body is larger than {server_limit} bytes."})
        return _ok(request.content)

    lines = _lines(12)  # ~60 bytes each
    lines.insert(5, orjson.dumps({"pad": "y" * 400}))
    limit = _BodyLimit()
    with _client(handler) as client:
        out = post_lines(client, lines, limit, None, lambda s: None)
    assert limit.value == server_limit
    assert sorted(r["index"] for r in out["results"]) == [k for k in range(13) if k != 5]
    assert out["failed"] == [
        {
            "index": 5,
            "status": 413,
            "detail": f"too large for the server: The body is larger than {server_limit} bytes.",
        }
    ]
    # The first body (all 13 lines) is refused once; then both halves are packed to the 300 bytes the
    # answer named, and only the giant, alone, is refused again.
    refused = [s for s in sizes if s > server_limit]
    assert refused == [len(b"\n".join(lines)), len(lines[5])]
    assert all(s <= server_limit for s in sizes if s not in refused)
