"""The change log as a consumer sees it over HTTP: every write is one change, in the same transaction,
with filters by entity, actor, alliance membership on the article's day, and source."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.changes.filters import ChangeFilter
from app.changes.repository import newer, prune
from app.db import make_sync_engine
from app.dialect import immediate_writes
from app.models import Change, utcnow


def _article(n: int, body: str, published: str = "2025-01-02T00:00:00Z", **extra: object) -> dict:
    return {
        "url": f"https://feed.example.com/{n}",
        "title": f"Feed test {n}",
        "body": body,
        "published_at": published,
        **extra,
    }


def _all(client, **params) -> list[dict]:
    items, after = [], 0
    while True:
        page = client.get("/v1/changes", params={**params, "after": after, "limit": 50}).json()
        items += page["items"]
        if page["next_after"] >= page["head"] and len(page["items"]) < 50:
            return items
        after = page["next_after"]


def test_every_write_is_one_change(client, write_headers):
    start = client.get("/v1/changes").json()["head"]
    h = write_headers
    a = client.post("/v1/articles", json=_article(1, "Japan and South Korea met."), headers=h).json()
    client.post("/v1/articles", json=_article(1, "Japan and South Korea met."), headers=h)  # unchanged: none
    client.patch(f"/v1/articles/{a['id']}", json={"title": "Feed test one"}, headers=h)
    actor = client.post("/v1/actors", json={"kind": "person", "name": "Feed Person"}, headers=h).json()
    rel = client.post(
        "/v1/relations", json={"subject": actor["slug"], "type": "member_of", "object": "nato"}, headers=h
    ).json()
    ev = client.post(
        "/v1/events",
        json={
            "type": "040",
            "title": "Talks",
            "start_date": "2025-01-03",
            "participants": [{"actor": "japan", "role": "host"}],
        },
        headers=h,
    ).json()
    claim = client.post(
        "/v1/claims",
        json={
            "speaker": actor["slug"],
            "text": "It happened.",
            "stance": "asserts",
            "article_id": a["id"],
            "proposition": "Feed proposition",
        },
        headers=h,
    ).json()
    client.delete(f"/v1/claims/{claim['id']}", headers=h)
    client.delete(f"/v1/events/{ev['id']}", headers=h)
    client.delete(f"/v1/relations/{rel['id']}", headers=h)
    client.delete(f"/v1/articles/{a['id']}", headers=h)
    client.delete(f"/v1/actors/{actor['slug']}", headers=h)

    got = [(c["entity"], c["op"], c["entity_id"]) for c in _all(client, after=start) if c["seq"] > start]
    got = [c for c in got]
    # Stories (app/stories) record their own changes after their articles': tests/stories checks those.
    changes = client.get("/v1/changes", params={"after": start, "limit": 100}).json()["items"]
    changes = [c for c in changes if c["entity"] != "story"]
    got = [(c["entity"], c["op"], c["entity_id"]) for c in changes]
    prop_id = claim["proposition_id"]
    assert got == [
        ("article", "created", a["id"]),
        ("article", "updated", a["id"]),
        ("actor", "created", actor["id"]),
        ("relation", "created", rel["id"]),
        ("event", "created", ev["id"]),
        ("proposition", "created", prop_id),
        ("claim", "created", claim["id"]),
        ("claim", "deleted", claim["id"]),
        ("event", "deleted", ev["id"]),
        ("relation", "deleted", rel["id"]),
        ("article", "deleted", a["id"]),
        ("actor", "deleted", actor["id"]),
    ]
    seqs = [c["seq"] for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    first = changes[0]
    japan = client.get("/v1/actors/japan").json()["id"]
    assert first["data"]["title"] == "Feed test 1" and first["data"]["source"] == "feed.example.com"
    assert japan in first["data"]["actor_ids"]
    assert first["at"].endswith("Z")


def test_bulk_writes_one_change_per_stored_row_and_near_copies_merge(client, write_headers):
    start = client.get("/v1/changes").json()["head"]
    body = (
        "Officials from South Korea, Japan, Australia and New Zealand attended the NATO defence ministers "
        "meeting in Brussels for the first time this week, underscoring growing concern about the war in "
        "Ukraine and about military cooperation between Russia and North Korea. Ministers discussed "
        "cybersecurity, disinformation and the supply of ammunition, and agreed to meet again next year."
    )
    copy = {**_article(11, body.replace("this week", "on Thursday")), "title": "Feed test 10"}
    lines = [
        _article(10, body),
        copy,  # a near-copy of 10 under another URL
        _article(12, "New Zealand and South Korea signed an accord on fisheries and research."),
        _article(10, body),  # a repeat: unchanged
    ]
    import orjson

    r = client.post(
        "/v1/articles/bulk",
        content=b"\n".join(orjson.dumps(x) for x in lines),
        headers={**write_headers, "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.json()["created"] == 3
    changes = client.get("/v1/changes", params={"after": start, "entity": "article"}).json()["items"]
    ops = sorted((c["entity_id"], c["op"]) for c in changes)
    ids = [x["id"] for x in r.json()["results"]]
    assert ops == [(ids[0], "created"), (ids[1], "merged"), (ids[2], "created")]
    merged = next(c for c in changes if c["op"] == "merged")
    assert merged["data"]["duplicate_of"] is not None


def test_a_failed_write_records_nothing(client, write_headers):
    start = client.get("/v1/changes").json()["head"]
    # The actor is flushed, then the external id conflict aborts the request.
    client.post(
        "/v1/actors",
        json={"kind": "person", "name": "Owner", "external_ids": {"wikidata": "Q-feed"}},
        headers=write_headers,
    )
    r = client.post(
        "/v1/actors",
        json={"kind": "person", "name": "Thief", "external_ids": {"wikidata": "Q-feed"}},
        headers=write_headers,
    )
    assert r.status_code == 409
    changes = client.get("/v1/changes", params={"after": start}).json()["items"]
    assert [c["data"]["name"] for c in changes] == ["Owner"]


def test_filters_by_entity_actor_source_and_membership_on_the_articles_day(client, write_headers):
    start = client.get("/v1/changes").json()["head"]
    h = write_headers
    client.post(
        "/v1/articles", json=_article(20, "Finland and Sweden spoke.", "2023-01-10T00:00:00Z"), headers=h
    )
    client.post(
        "/v1/articles",
        json=_article(21, "Finland and Sweden spoke again.", "2024-06-10T00:00:00Z"),
        headers=h,
    )
    client.post(
        "/v1/articles",
        json={**_article(22, "Japan hosted the meeting."), "url": "https://other.example.org/22"},
        headers=h,
    )
    client.post("/v1/actors", json={"kind": "person", "name": "Filter Person"}, headers=h)

    def titles(**params):
        items = client.get("/v1/changes", params={"after": start, **params}).json()["items"]
        return [c["data"].get("title") or c["data"].get("name") for c in items if c["entity"] != "story"]

    # Finland joined NATO on 2023-04-04, Sweden on 2024-03-07: the January 2023 article mentions no member.
    assert titles(member_of="nato") == ["Feed test 21"]
    assert titles(member_of="ip4") == ["Feed test 22"]
    assert titles(actor="japan") == ["Feed test 22"]
    assert titles(actor=["finland", "japan"]) == ["Feed test 20", "Feed test 21", "Feed test 22"]
    assert titles(entity="actor") == ["Filter Person"]
    assert titles(source="other.example.org") == ["Feed test 22"]
    bad = client.get("/v1/changes", params={"actor": "no-such-actor"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/changes", params={"entity": "planet"}).status_code == 400
    assert client.get("/v1/changes", params={"after": -1}).status_code == 400
    assert client.get("/v1/changes", params={"wait": 31}).status_code == 400


def test_python_and_sql_filters_agree(client, write_headers, settings):
    """The followers (Python) and the pull endpoint (SQL) must pick the same changes."""
    h = write_headers
    start = client.get("/v1/changes").json()["head"]
    bodies = [
        ("Finland and Japan.", "2023-01-10T00:00:00Z"),
        ("Finland and Germany.", "2023-05-01T00:00:00Z"),
        ("Sweden alone.", "2024-01-01T00:00:00Z"),
        ("Sweden again.", "2024-04-01T00:00:00Z"),
        ("South Korea and Australia.", "2019-01-01T00:00:00Z"),
        ("NATO itself met.", "2015-01-01T00:00:00Z"),
    ]
    for i, (body, when) in enumerate(bodies):
        client.post("/v1/articles", json=_article(30 + i, body, when), headers=h)
    client.post("/v1/actors", json={"kind": "person", "name": "Agree Person"}, headers=h)
    ids = {s: client.get(f"/v1/actors/{s}").json()["id"] for s in ("nato", "ip4", "finland", "japan")}
    engine = make_sync_engine(settings)
    import asyncio

    async def rows():
        from app.db import Database

        db = Database(settings)
        try:
            async with db.reader() as s:
                from app.changes.repository import memberships

                return (
                    await newer(s, start, 1000),
                    {o: await memberships(s, ids[o]) for o in ("nato", "ip4")},
                )
        finally:
            await db.dispose()

    changes, members = asyncio.run(rows())
    engine.dispose()
    cases = [
        (ChangeFilter(org_id=ids["nato"]), {"member_of": "nato"}),
        (ChangeFilter(org_id=ids["ip4"]), {"member_of": "ip4"}),
        (ChangeFilter(actor_ids=frozenset({ids["finland"], ids["japan"]})), {"actor": ["finland", "japan"]}),
        (ChangeFilter(entities=frozenset({"actor"})), {"entity": "actor"}),
        (
            ChangeFilter(org_id=ids["nato"], entities=frozenset({"article"})),
            {"member_of": "nato", "entity": "article"},
        ),
    ]
    for flt, params in cases:
        org = "nato" if flt.org_id == ids["nato"] else "ip4"
        py = [c["seq"] for c in changes if flt.matches(c, members[org] if flt.org_id else None)]
        sql = [c["seq"] for c in client.get("/v1/changes", params={"after": start, **params}).json()["items"]]
        assert py == sql, params
        assert sql  # each case selects something


def test_long_poll_returns_when_a_change_commits(client, write_headers):
    head = client.get("/v1/changes").json()["head"]

    def later():
        time.sleep(0.5)
        client.post("/v1/articles", json=_article(40, "Australia spoke."), headers=write_headers)

    t = threading.Thread(target=later)
    t.start()
    r = client.get("/v1/changes", params={"after": head, "wait": 10, "entity": "article"})
    t.join()
    items = r.json()["items"]
    assert [c["data"]["title"] for c in items] == ["Feed test 40"]
    # Nothing new: an empty page after the wait, positioned at the head.
    page = client.get("/v1/changes", params={"after": items[-1]["seq"], "wait": 0.3}).json()
    stories = [c for c in page["items"] if c["entity"] == "story"]  # the article's story, same commit
    assert page["items"] == stories and page["next_after"] == (stories or items)[-1]["seq"]
    page = client.get("/v1/changes", params={"after": page["next_after"], "wait": 0.3}).json()
    assert page["items"] == [] and page["next_after"] == (stories or items)[-1]["seq"]


def test_pages_scan_a_bounded_window_and_never_skip(client, write_headers, monkeypatch):
    import app.changes.service as service

    monkeypatch.setattr(service, "SCAN_WINDOW", 3)
    start = client.get("/v1/changes").json()["head"]
    for i in range(5):
        client.post("/v1/actors", json={"kind": "person", "name": f"Window {i}"}, headers=write_headers)
    client.post("/v1/articles", json=_article(50, "Japan again."), headers=write_headers)
    seen, after = [], start
    for _ in range(10):
        page = client.get("/v1/changes", params={"after": after, "entity": "article"}).json()
        seen += page["items"]
        assert page["next_after"] <= page["head"]
        if page["next_after"] == page["head"]:
            break
        after = page["next_after"]
    assert [c["data"]["title"] for c in seen] == ["Feed test 50"]


def test_pruned_positions_are_gone(client, write_headers, settings):
    for i in range(3):
        client.post("/v1/actors", json={"kind": "person", "name": f"Old {i}"}, headers=write_headers)
    head = client.get("/v1/changes").json()["head"]
    engine = make_sync_engine(settings)
    with Session(engine) as s, s.begin():
        s.execute(update(Change).where(Change.seq <= head).values(at=utcnow() - timedelta(days=40)))
    with Session(immediate_writes(engine)) as s, s.begin():  # as `geonews changes prune` does
        deleted, through = prune(s, utcnow() - timedelta(days=30))
    engine.dispose()
    assert deleted >= 3 and through == head
    r = client.get("/v1/changes", params={"after": 0})
    assert r.status_code == 410
    assert r.headers["content-type"].startswith("application/problem+json")
    assert str(head) in r.json()["detail"]
    client.post("/v1/actors", json={"kind": "person", "name": "New"}, headers=write_headers)
    fresh = client.get("/v1/changes", params={"after": head}).json()["items"]
    assert [c["data"]["name"] for c in fresh] == ["New"]
    # A new change after pruning everything still gets a larger seq (never reused).
    assert fresh[0]["seq"] > head


@pytest.mark.parametrize("path", ["/v1/changes", "/v1/changes/stream"])
def test_bad_parameters_are_problems(client, path):
    for params in ({"after": "x"}, {"member_of": "nobody-at-all"}, {"limit": 0}, {"entity": "x"}):
        if path.endswith("stream") and "limit" in params:
            continue
        r = client.get(path, params=params)
        assert 400 <= r.status_code < 500, (params, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.get("/v1/changes/stream", headers={"Last-Event-ID": "abc"})
    assert r.status_code == 400
