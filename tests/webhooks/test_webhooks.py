"""Webhooks as a subscriber sees them: signed batches of the changes it asked for, delivered at least once
and in order through receiver outages, server restarts and two workers; refused targets; pausing."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.webhooks.delivery import backoff
from app.webhooks.signing import new_secret, verify
from tests.conftest import make_key, start_server, stop_server

FAST = {
    "webhooks_allow_private": True,
    "webhooks_backoff_base_s": 0.2,
    "webhooks_backoff_max_s": 0.5,
    "changes_poll_interval": 0.05,
}


def _article(n: int, body: str) -> dict:
    return {
        "url": f"https://hook.example.com/{n}",
        "title": f"Hook {n}",
        "body": body,
        "published_at": "2025-02-01T00:00:00Z",
    }


def _until(check: Any, timeout: float = 30) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def hooked(settings):
    app = create_app(settings.model_copy(update=FAST))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_signed_batches_of_the_changes_asked_for(hooked, receiver, admin_headers, write_headers):
    secret = new_secret()
    r = hooked.post(
        "/v1/webhooks",
        json={"url": receiver.url, "secret": secret, "member_of": "ip4", "entity": ["article"]},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["secret"] == secret and hook["status"] == "active"
    assert hooked.get(f"/v1/webhooks/{hook['id']}", headers=admin_headers).json().get("secret") is None
    hooked.post("/v1/articles", json=_article(1, "Ministers met in Lisbon."), headers=write_headers)
    a = hooked.post(
        "/v1/articles", json=_article(2, "Japan and Australia agreed."), headers=write_headers
    ).json()
    got = _until(receiver.changes)
    assert [(c["entity"], c["entity_id"]) for c in got] == [("article", a["id"])]
    headers, body = receiver.got[0]
    assert verify(secret, headers, body)
    assert not verify(new_secret(), headers, body)
    assert headers["webhook-id"].startswith(f"msg_{hook['id']}_")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    deliveries = _until(
        lambda: hooked.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin_headers).json()["items"]
    )
    assert deliveries[0]["ok"] and deliveries[0]["status_code"] == 204 and deliveries[0]["count"] == 1


def test_a_receiver_that_was_down_gets_every_change_afterwards(
    hooked, receiver, admin_headers, write_headers
):
    hook = hooked.post(
        "/v1/webhooks", json={"url": receiver.url, "entity": ["article"]}, headers=admin_headers
    ).json()
    receiver.mode = "failing"
    ids = [
        hooked.post(
            "/v1/articles", json=_article(10 + i, f"South Korea note {i}."), headers=write_headers
        ).json()["id"]
        for i in range(5)
    ]
    failed = _until(
        lambda: [
            d
            for d in hooked.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin_headers).json()[
                "items"
            ]
            if not d["ok"]
        ]
    )
    assert failed[0]["status_code"] == 503 and "503" in failed[0]["error"]
    assert receiver.changes() == []
    time.sleep(1.0)
    receiver.mode = "up"
    got = _until(lambda: len({c["entity_id"] for c in receiver.changes()}) == 5 and receiver.changes())
    assert sorted({c["entity_id"] for c in got}) == sorted(ids)
    seqs = [c["seq"] for c in got]
    assert seqs == sorted(seqs)
    # The receiver answers before the dispatcher records the success: wait for the record.
    state = _until(
        lambda: (
            # >=: the position then moves past the story changes the filter leaves out.
            (s := hooked.get(f"/v1/webhooks/{hook['id']}", headers=admin_headers).json())["position"]
            >= seqs[-1]
            and s
        )
    )
    assert state["failures"] == 0 and state["delivered"] >= 5


def test_repeated_failures_pause_and_resume_delivers(settings, receiver, admin_headers, write_headers):
    app = create_app(settings.model_copy(update={**FAST, "webhooks_max_failures": 2}))
    with TestClient(app) as c:
        hook = c.post("/v1/webhooks", json={"url": receiver.url}, headers=admin_headers).json()
        receiver.mode = "failing"
        c.post("/v1/actors", json={"kind": "person", "name": "Paused Person"}, headers=write_headers)
        paused = _until(
            lambda: (
                (h := c.get(f"/v1/webhooks/{hook['id']}", headers=admin_headers).json())["status"] == "paused"
                and h
            )
        )
        assert "2 failed deliveries" in paused["paused_reason"]
        receiver.mode = "up"
        time.sleep(0.5)
        assert receiver.changes() == []  # paused: nothing is sent
        r = c.patch(f"/v1/webhooks/{hook['id']}", json={"status": "active"}, headers=admin_headers)
        assert r.json()["status"] == "active" and r.json()["failures"] == 0
        got = _until(receiver.changes)
        assert got[0]["data"]["name"] == "Paused Person"


def test_targets_inside_the_network_are_refused(client, admin_headers):
    for url in (
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
        "http://[fe80::1]/hook",
    ):
        r = client.post("/v1/webhooks", json={"url": url}, headers=admin_headers)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    bad_secret = client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1/x", "secret": "not-a-standard-secret-at-all"},
        headers=admin_headers,
    )
    assert bad_secret.status_code == 422


def test_webhooks_need_the_admin_scope(client, write_headers):
    assert client.get("/v1/webhooks").status_code == 401
    assert (
        client.post("/v1/webhooks", json={"url": "https://example.com/"}, headers=write_headers).status_code
        == 403
    )


def test_backoff_grows_with_jitter_and_a_cap():
    waits = [backoff(n, 2.0, 600.0) for n in range(1, 12)]
    assert 1.0 <= waits[0] <= 2.0 and 2.0 <= waits[1] <= 4.0
    assert all(300.0 <= w <= 600.0 for w in waits[9:])


def test_deliveries_survive_a_restart_and_two_workers_never_send_a_batch_twice(settings, receiver):
    env = {
        "GEONEWS_WEBHOOKS_ALLOW_PRIVATE": "true",
        "GEONEWS_WEBHOOKS_BACKOFF_BASE_S": "0.2",
        "GEONEWS_WEBHOOKS_BACKOFF_MAX_S": "0.5",
        "GEONEWS_WEBHOOKS_BATCH": "3",
    }
    admin = {"X-API-Key": make_key(settings, "admin")}
    write = {"Authorization": f"Bearer {make_key(settings, 'write')}"}
    proc, base = start_server(settings, workers=2, env=env)
    with httpx.Client(base_url=base) as c:
        hook = c.post("/v1/webhooks", json={"url": receiver.url, "entity": ["actor"]}, headers=admin).json()
        receiver.mode = "failing"
        for i in range(4):
            c.post("/v1/actors", json={"kind": "person", "name": f"Restart {i}"}, headers=write)
        _until(lambda: c.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()["items"])
    stop_server(proc, kill=True)
    receiver.mode = "up"
    proc, base = start_server(settings, workers=2, env=env)
    try:
        with httpx.Client(base_url=base) as c:
            for i in range(4, 10):
                c.post("/v1/actors", json={"kind": "person", "name": f"Restart {i}"}, headers=write)
            got = _until(lambda: len(receiver.changes()) >= 10 and receiver.changes(), timeout=60)
            names = [x["data"]["name"] for x in got]
            assert names == [f"Restart {i}" for i in range(10)]  # every change once, in order
            ok = [
                d
                for d in c.get(
                    f"/v1/webhooks/{hook['id']}/deliveries", headers=admin, params={"limit": 200}
                ).json()["items"]
                if d["ok"]
            ]
            assert len({d["message_id"] for d in ok}) == len(ok)  # no batch delivered twice
    finally:
        stop_server(proc)
