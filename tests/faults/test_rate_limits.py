"""Rate limits: a budget per API key, else per client address; the expensive routes have their own;
a request over budget is a 429 problem document with Retry-After and the IETF RateLimit fields."""

from __future__ import annotations

import re
import socket
import uuid

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_key

FIELD = re.compile(r'^"(?P<name>[a-z0-9-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


def _limited(settings, **budgets):
    return settings.model_copy(update={"rate_limit_enabled": True, **budgets})


def _remaining(r) -> dict[str, tuple[int, int]]:
    out = {}
    for item in r.headers["ratelimit"].split(","):
        m = FIELD.match(item.strip())
        assert m, r.headers["ratelimit"]
        out[m["name"]] = (int(m["r"]), int(m["t"]))
    return out


def _assert_429(r, policy: str) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    body = r.json()
    assert body["status"] == 429 and policy in body["violated-policies"]
    assert _remaining(r)[policy][0] == 0


def test_budget_per_address_and_per_key(settings):
    a, b = make_key(settings, "read", "a"), make_key(settings, "read", "b")
    with TestClient(create_app(_limited(settings, rate_limit_default="5/minute"))) as c:
        first = c.get("/v1/actors?limit=1")
        assert first.status_code == 200
        assert first.headers["ratelimit-policy"] == '"default";q=5;w=60'
        assert _remaining(first)["default"][0] == 4
        for _ in range(4):
            assert c.get("/v1/actors?limit=1").status_code == 200
        _assert_429(c.get("/v1/actors?limit=1"), "default")
        # An invented key does not buy a fresh budget: it is counted by address.
        _assert_429(c.get("/v1/actors?limit=1", headers={"X-API-Key": "gn_invented"}), "default")
        # Each real key has its own.
        for key in (a, b):
            for _ in range(5):
                assert c.get("/v1/actors?limit=1", headers={"X-API-Key": key}).status_code == 200
            _assert_429(c.get("/v1/actors?limit=1", headers={"Authorization": f"Bearer {key}"}), "default")
        # Health checks are never limited.
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200


def test_expensive_routes_have_their_own_budget(settings):
    with TestClient(
        create_app(
            _limited(
                settings,
                rate_limit_resolve="2/minute",
                rate_limit_export="1/minute",
                rate_limit_graph="1/minute",
                rate_limit_facets="1/minute",
            )
        )
    ) as c:
        for _ in range(2):
            r = c.post("/v1/resolve", json={"text": "NATO met in Brussels."})
            assert r.status_code == 200
            assert set(_remaining(r)) == {"default", "resolve"}
        _assert_429(c.post("/v1/resolve", json={"text": "NATO"}), "resolve")
        assert c.get("/v1/articles?format=ndjson").status_code == 200
        _assert_429(c.get("/v1/events", headers={"Accept": "application/x-ndjson"}), "export")
        assert c.get("/v1/actors/nato/network").status_code == 200
        _assert_429(c.get("/v1/graph/path?from=nato&to=usa"), "graph")
        assert c.get("/v1/articles?facets=source").status_code == 200
        _assert_429(c.get("/v1/articles?facets=language"), "facets")
        # The general budget is untouched by those refusals' own budgets.
        assert c.get("/v1/actors?limit=1").status_code == 200


def test_resolve_input_is_capped(settings):
    with TestClient(create_app(settings.model_copy(update={"resolve_max_bytes": 1000}))) as c:
        r = c.post("/v1/resolve", json={"text": "NATO " * 500})
        assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
        assert c.post("/v1/resolve", json={"text": "NATO"}).status_code == 200


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_redis_shares_the_budget_between_workers(settings):
    if not settings.is_sqlite:
        pytest.skip("the counter store does not depend on the engine: run once")
    prefix = f"geonews-test-{uuid.uuid4().hex[:8]}"
    shared = _limited(
        settings, rate_limit_default="4/minute", redis_url="redis://127.0.0.1:6379/0", redis_prefix=prefix
    )
    # (The counters expire with their one-minute window; the prefix keeps runs apart.)
    with TestClient(create_app(shared)) as one, TestClient(create_app(shared)) as two:
        assert [one.get("/v1/actors?limit=1").status_code for _ in range(2)] == [200, 200]
        assert [two.get("/v1/actors?limit=1").status_code for _ in range(2)] == [200, 200]
        _assert_429(one.get("/v1/actors?limit=1"), "default")
        _assert_429(two.get("/v1/actors?limit=1"), "default")
