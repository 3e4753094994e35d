"""Secrets and exposure: request ids, one log line per 500, cursors checked after their signature, no
start with the development secret outside development mode, CORS credentials only with named origins."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys

import orjson
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.pagination import _sign


def test_every_response_has_a_request_id(client):
    r = client.get("/v1/actors?limit=1")
    rid = r.headers["x-request-id"]
    assert len(rid) == 32
    assert client.get("/v1/actors?limit=1").headers["x-request-id"] != rid
    assert client.get("/no/such/path").headers["x-request-id"]
    assert (
        client.get("/v1/actors?limit=1", headers={"X-Request-ID": "trace-42.a"}).headers["x-request-id"]
        == "trace-42.a"
    )
    # An id that is too long or carries odd bytes is replaced, not echoed.
    assert client.get("/v1/actors", headers={"X-Request-ID": "a" * 300}).headers["x-request-id"] != "a" * 300
    assert (
        client.get("/v1/actors", headers={"X-Request-ID": "a b<script>"}).headers["x-request-id"]
        != "a b<script>"
    )


def test_a_500_is_logged_once_with_its_request_id(settings, caplog):
    app = create_app(settings)

    @app.get("/_test/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.INFO):
        r = c.get("/_test/boom", headers={"X-Request-ID": "req-500"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["x-request-id"] == "req-500"
    records = [rec for rec in caplog.records if rec.exc_info and "kaboom" in str(rec.exc_info[1])]
    assert len(records) == 1, [rec.getMessage() for rec in caplog.records]
    assert "req-500" in records[0].getMessage()


def _forge(values: list, sort: str = "id", fp: str | None = None) -> str:
    payload = json.dumps({"s": sort, "f": fp, "v": values}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _sign(payload)


@pytest.mark.parametrize(
    "values",
    [[True], [2**63 + 5], [2**70], ["12"], [1.5], [None, None], [{"a": 1}], [[1]]],
)
def test_signed_cursors_with_odd_values_are_400(client, admin_headers, values):
    # The keys list sorts by id: a correctly signed cursor whose value is not a sane id must not reach SQL.
    from app.pagination import filters_fingerprint

    cursor = _forge(values, fp=filters_fingerprint({}))
    r = client.get("/v1/keys", params={"cursor": cursor}, headers=admin_headers)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_signed_cursor_with_an_aware_or_absurd_timestamp(client, write_headers):
    from tests import factories

    factories.article(client, write_headers)
    factories.article(client, write_headers)
    page = client.get("/v1/articles", params={"limit": 1}).json()
    assert page["next_cursor"]
    body = page["next_cursor"].split(".")[0]
    data = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for odd in ("2024-01-01T00:00:00+05:00", "not a date", "9999-99-99", "\u0000"):
        data["v"][0] = odd
        r = client.get("/v1/articles", params={"limit": 1, "cursor": _forge(data["v"], data["s"], data["f"])})
        assert r.status_code in (200, 400), (odd, r.status_code, r.text)


def test_serve_refuses_the_development_secret_outside_development_mode(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEONEWS_")}
    env["GEONEWS_DATABASE_URL"] = f"sqlite:///{tmp_path}/x.db"
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--no-seed", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 2
    assert "GEONEWS_CURSOR_SECRET" in out.stderr


def test_cors_credentials_need_named_origins(settings):
    with pytest.raises(ValueError):
        create_app(settings.model_copy(update={"cors_allow_credentials": True}))
    app = create_app(
        settings.model_copy(update={"cors_allow_credentials": True, "cors_origins": ["https://app.example"]})
    )
    with TestClient(app) as c:
        r = c.get("/v1/actors?limit=1", headers={"Origin": "https://app.example"})
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        assert r.headers["access-control-allow-credentials"] == "true"
        r = c.get("/v1/actors?limit=1", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_new_request_ids_are_distinct_32_hex_digits_and_a_forked_child_draws_its_own():
    import os
    import re

    from app.middleware import new_request_id

    ids = [new_request_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(re.fullmatch(rb"[0-9a-f]{32}", i) for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first id, then out
        os.write(write, new_request_id())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64)
    os.close(read)
    os.close(write)
    assert re.fullmatch(rb"[0-9a-f]{32}", child)
    assert child[:16] != new_request_id()[:16]  # another process, another prefix
