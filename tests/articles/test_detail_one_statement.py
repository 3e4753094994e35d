"""GET /v1/articles/{id} reads the article and its mentions, events, claims and places in one statement."""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine


def test_article_detail_is_one_statement(client):
    deadline = time.time() + 60  # the search index's first build reads articles too: let it finish
    while client.get("/readyz").json().get("index", {}).get("state") != "ready" and time.time() < deadline:
        time.sleep(0.2)
    article_id = client.get("/v1/articles", params={"limit": 1}).json()["items"][0]["id"]
    before = client.get(f"/v1/articles/{article_id}").json()  # warm: caches, linker, lazy set-up
    assert before["mentions"] and before["claims"] and before["events"]  # the seed article has all three
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        again = client.get(f"/v1/articles/{article_id}")
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert again.status_code == 200
    assert again.json() == before
    # Only what reads the article's tables (the change hub polls `changes` meanwhile, on its own).
    tables = ("articles", "mentions", "claims", "event_articles", "article_places")
    reads = [s for s in statements if any(t in s for t in tables)]
    assert len(reads) == 1, reads
