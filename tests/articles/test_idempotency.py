"""Idempotency-Key on POST /v1/articles: a retry gets the first response byte for byte (status, Location,
body, timestamps with Z), whatever the key order or spacing of its JSON; keys belong to the API key that
sent them; the same key with another body is a 422; a claim still in progress is waited for (409 past the
wait), and one abandoned by a dead request is taken over."""

from __future__ import annotations

from datetime import timedelta

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from app.articles.idempotency import request_hash
from app.main import create_app
from app.models import ApiKey, Article, IdempotencyKey, utcnow
from app.models.base import Base
from tests.conftest import make_key

BODY = {
    "url": "https://idem.example.com/first",
    "title": "Ministers agree on the grain corridor",
    "body": "Ministers agreed on the grain corridor on Tuesday.",
    "published_at": "2024-10-18T09:30:00Z",
}


def _count(settings, url: str) -> int:
    engine = create_engine(settings.sync_url)
    try:
        with engine.connect() as c:
            return c.execute(select(func.count()).where(Article.url == url)).scalar_one()
    finally:
        engine.dispose()


def test_a_retry_replays_the_first_response_byte_for_byte(client, write_headers):
    h = {**write_headers, "Idempotency-Key": "retry-1"}
    first = client.post("/v1/articles", json=BODY, headers=h)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert first.json()["created_at"].endswith("Z")
    # The same JSON with its keys in another order and other spacing is the same request.
    again = orjson.dumps(dict(reversed(list(BODY.items())))).replace(b",", b", ")
    for content in (orjson.dumps(BODY), again):
        r = client.post("/v1/articles", content=content, headers={**h, "Content-Type": "application/json"})
        assert r.status_code == 201
        assert r.content == first.content
        assert r.headers["location"] == first.headers["location"]
        assert r.headers["content-type"] == first.headers["content-type"]
        assert r.headers["idempotent-replayed"] == "true"
    assert len(client.get("/v1/articles", params={"source": "idem.example.com"}).json()["items"]) == 1


def test_a_reused_key_with_another_body_is_422(client, write_headers):
    h = {**write_headers, "Idempotency-Key": "reused"}
    assert client.post("/v1/articles", json=BODY, headers=h).status_code == 201
    r = client.post("/v1/articles", json={**BODY, "title": "Something else"}, headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["header", "idempotency-key"]


def test_keys_belong_to_the_api_key_that_sent_them(client, settings, write_headers):
    other = {"Authorization": f"Bearer {make_key(settings, 'write', 'other client')}", "Idempotency-Key": "k"}
    mine = {**write_headers, "Idempotency-Key": "k"}
    assert client.post("/v1/articles", json=BODY, headers=mine).status_code == 201
    # Another client's identical key is its own: its request runs (no replay, no 422 for another body).
    r = client.post("/v1/articles", json=BODY, headers=other)
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers  # runs: already stored by URL
    elsewhere = {
        **BODY,
        "url": "https://idem.example.com/second",
        "title": "Talks on fishing rights resume",
        "body": "Negotiators resumed talks on fishing rights in the northern waters.",
    }
    r = client.post("/v1/articles", json=elsewhere, headers=other)
    assert r.status_code == 422  # its own key "k" now belongs to its first request
    r = client.post("/v1/articles", json=elsewhere, headers={**other, "Idempotency-Key": "k2"})
    assert r.status_code == 201
    assert _count(settings, "https://idem.example.com/second") == 1


def _owner(settings) -> int:
    engine = create_engine(settings.sync_url)
    try:
        with engine.connect() as c:
            return c.execute(select(func.max(ApiKey.id))).scalar_one()
    finally:
        engine.dispose()


def test_a_claim_in_progress_is_waited_for_and_an_abandoned_one_taken_over(settings, write_headers):
    """A pending claim (its request still running, or its process dead): a retry waits, then gets 409 with
    Retry-After; once the claim is older than `idempotency_stale_after`, the next retry runs."""
    settings = settings.model_copy(update={"idempotency_wait": 0.3, "idempotency_stale_after": 60})
    owner = _owner(settings)  # the key of write_headers, the newest
    digest = request_hash("POST", "/v1/articles", orjson.dumps(BODY))
    engine = create_engine(settings.sync_url)
    now = utcnow()
    with Session(engine) as s, s.begin():
        s.add(
            IdempotencyKey(
                owner=owner,
                key="dead",
                request_hash=digest,
                state="pending",
                token="t" * 32,
                created_at=now,
                updated_at=now,
            )
        )
    h = {**write_headers, "Idempotency-Key": "dead"}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.post("/v1/articles", json=BODY, headers=h)
        assert r.status_code == 409 and r.headers["retry-after"] == "1", r.text
        assert _count(settings, BODY["url"]) == 0
        with Session(engine) as s, s.begin():
            s.execute(update(IdempotencyKey).values(updated_at=now - timedelta(seconds=61)))
        r = client.post("/v1/articles", json=BODY, headers=h)
        assert r.status_code == 201, r.text
        replay = client.post("/v1/articles", json=BODY, headers=h)
        assert replay.content == r.content and replay.headers["idempotent-replayed"] == "true"
    engine.dispose()
    assert Base.metadata.tables["idempotency_keys"].primary_key.columns.keys() == ["owner", "key"]


def test_a_failed_request_gives_its_key_back(client, write_headers, monkeypatch):
    import app.articles.service as service

    async def broken(*_a, **_k):
        raise RuntimeError("the write failed")

    h = {**write_headers, "Idempotency-Key": "failing"}
    monkeypatch.setattr(service, "create_article", broken)
    assert client.post("/v1/articles", json=BODY, headers=h).status_code == 500
    monkeypatch.undo()
    r = client.post("/v1/articles", json=BODY, headers=h)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
