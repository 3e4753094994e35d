"""16 concurrent retries of one POST with one Idempotency-Key, against a real two-worker server: the
first runs (201) and the other 15 wait for it and replay its response byte for byte; one article is
stored."""

from __future__ import annotations

import threading

import httpx
from sqlalchemy import create_engine, func, select

from app.models import Article
from tests.conftest import make_key

from .support import Server

BODY = {
    "url": "https://retries.example.org/once",
    "title": "Envoys sign the ceasefire accord in Geneva",
    "body": "Envoys signed the ceasefire accord in Geneva on Monday after weeks of talks.",
    "published_at": "2024-11-04T08:15:00Z",
}


def test_concurrent_retries_get_one_201_and_fifteen_replays(settings):
    key = make_key(settings, "write")
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "one-accord"}
    server = Server(settings.database_url, GEONEWS_SEARCH_ENGINE="false").start()
    start = threading.Barrier(16)
    answers: list[httpx.Response | Exception | None] = [None] * 16

    def post(i: int) -> None:
        with httpx.Client(base_url=server.base, timeout=60) as c:
            c.get("/healthz")  # connected before the barrier: the posts leave together
            start.wait()
            try:
                answers[i] = c.post("/v1/articles", json=BODY, headers=headers)
            except httpx.HTTPError as exc:
                answers[i] = exc

    try:
        threads = [threading.Thread(target=post, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        server.stop()
    responses = [a for a in answers if isinstance(a, httpx.Response)]
    assert len(responses) == 16, answers
    assert sorted(r.status_code for r in responses) == [201] * 16, [
        (r.status_code, r.text) for r in responses
    ]
    first = [r for r in responses if "idempotent-replayed" not in r.headers]
    assert len(first) == 1
    for r in responses:
        assert r.content == first[0].content
        assert r.headers["location"] == first[0].headers["location"]
    assert first[0].json()["created_at"].endswith("Z")
    engine = create_engine(settings.sync_url)
    try:
        with engine.connect() as c:
            assert c.execute(select(func.count()).where(Article.url == BODY["url"])).scalar_one() == 1
    finally:
        engine.dispose()
