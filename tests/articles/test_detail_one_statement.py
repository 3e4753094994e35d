"""GET /v1/articles/{id} reads the article and its mentions, events, claims and places in one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine


def test_article_detail_is_one_statement(client):
    # (The `client` fixture waits for the search index's first build, which reads articles too.)
    article_id = client.get("/v1/articles", params={"limit": 1}).json()["items"][0]["id"]
    before = client.get(f"/v1/articles/{article_id}").json()  # warm: caches, linker, lazy set-up
    assert before["mentions"] and before["claims"] and before["events"]  # the seed article has all three
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        # Through the route (a query string): the fast path runs the same statement on a raw connection
        # on SQLite, which SQLAlchemy's events do not see (its bytes are compared with the route's below).
        again = client.get(f"/v1/articles/{article_id}", params={"via": "route"})
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert again.status_code == 200
    assert again.json() == before
    # Only what reads the article's tables (the change hub polls `changes` meanwhile, on its own).
    tables = ("articles", "mentions", "claims", "event_articles", "article_places")
    reads = [s for s in statements if any(t in s for t in tables)]
    assert len(reads) == 1, reads


def test_detail_fast_path_answers_as_the_route_does(client, admin_headers, monkeypatch):
    """The detail's fast path (app.articles.fastpath.ArticleReadFastPath) sends the bytes the route sends,
    with the same ETag, 304 and HEAD behaviour, and leaves everything else to the route."""
    from app.articles.fastpath import ArticleReadFastPath

    answered: list[int] = []
    original = ArticleReadFastPath._detail

    async def spy(self, scope, article_id):  # type: ignore[no-untyped-def]
        body = await original(self, scope, article_id)
        if body is not None:
            answered.append(article_id)
        return body

    monkeypatch.setattr(ArticleReadFastPath, "_detail", spy)
    article_id = client.get("/v1/articles", params={"limit": 1}).json()["items"][0]["id"]
    fast = client.get(f"/v1/articles/{article_id}")
    assert answered == [article_id]
    routed = client.get(f"/v1/articles/{article_id}", params={"via": "route"})  # a query string: the route
    assert answered == [article_id]
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content
    for header in ("content-type", "content-length", "etag"):
        assert fast.headers[header] == routed.headers[header], header
    assert fast.headers["x-request-id"]
    again = client.get(f"/v1/articles/{article_id}", headers={"If-None-Match": fast.headers["etag"]})
    assert again.status_code == 304
    head = client.head(f"/v1/articles/{article_id}")
    assert head.status_code == 200 and head.content == b""
    missing = client.get("/v1/articles/999999999")  # not stored: the route's 404 problem document
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/articles/0").status_code == 404  # not an id the fast path takes: the route
    metrics = client.get("/metrics", headers=admin_headers).text
    assert 'route="/v1/articles/{article_id}",status="200"' in metrics


def test_detail_fast_path_steps_aside_when_reads_need_a_key(settings, read_headers):
    from fastapi.testclient import TestClient

    from app.main import create_app

    strict = settings.model_copy(update={"read_api_key_required": True})
    with TestClient(create_app(strict)) as c:
        article_id = c.get("/v1/articles", params={"limit": 1}, headers=read_headers).json()["items"][0]["id"]
        assert c.get(f"/v1/articles/{article_id}").status_code == 401
        assert c.get(f"/v1/articles/{article_id}", headers=read_headers).status_code == 200


def test_reads_by_id_keep_one_connection_and_leave_no_snapshot(client, settings):
    """On SQLite the event loop's reads by id and plain pages keep one connection checked out
    (Database.sqlite_read), instead of a pool checkout and check-in each. None of them leaves a read
    snapshot open on it: a writer's WAL checkpoint afterwards is never blocked."""
    import sqlite3

    db = client.app.state.db  # type: ignore[attr-defined]
    if not db.is_sqlite:
        pytest.skip("SQLite only: PostgreSQL reads through sessions")
    article_id = client.get("/v1/articles", params={"limit": 1}).json()["items"][0]["id"]
    client.get(f"/v1/articles/{article_id}")
    held = db._loop_raw
    assert held is not None
    for _ in range(5):
        assert client.get(f"/v1/articles/{article_id}").status_code == 200
        assert client.get("/v1/articles", params={"limit": 2, "source": "reuters.com"}).status_code == 200
    assert client.get("/v1/articles/999999999").status_code == 404
    assert db._loop_raw is held  # the same connection served them all
    path = settings.database_url.removeprefix("sqlite:///")
    writer = sqlite3.connect(path)
    try:
        writer.execute("UPDATE app_state SET value = value WHERE key = 'gazetteer'")
        writer.commit()
        busy, _, _ = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        writer.close()
    assert busy == 0
