"""Bulk bodies prepared in worker processes (GEONEWS_INGEST_PROCESSES > 0) store exactly what the inline
pipeline prepares, account for every item as the inline path does, and small bodies stay inline."""

from __future__ import annotations

import time
from datetime import datetime

import orjson
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.actors.gazetteer import load_entries
from app.articles import bulk
from app.articles.bulk import to_input
from app.articles.preparer import Preparer
from app.articles.schemas import ArticleCreate
from app.db import make_sync_engine
from app.ingestion.linker import Gazetteer
from app.ingestion.pipeline import prepare
from app.ingestion.places import PlaceLinker
from app.main import create_app
from app.places.gazetteer import load_records
from tests.conftest import index_ready

BODIES = [
    "SEOUL: Pyongyang and Moscow signed new deals on Tuesday, while North Korean officials met Russian "
    "envoys in Vladivostok. The Kremlin said the talks went well; Washington and Tokyo were watching.",
    "Le gouvernement français a annoncé mardi à Paris de nouvelles sanctions contre la Russie, a déclaré "
    "le ministre, tandis que Berlin et Bruxelles préparent leur propre réponse à Moscou.",
    "Beijing and Taipei traded accusations after Chinese ships were seen near Kinmen; Manila said its "
    "coast guard was monitoring the South China Sea.",
]


def _item(i: int) -> dict:
    return {
        "url": f"https://pool.example.com/story/{i}",
        "title": f"Pool story {i}",
        "body": f"{BODIES[i % len(BODIES)]} Item {i}.",
        "published_at": "2024-10-18T00:00:00Z",
        **({"language": "en"} if i % 4 == 3 else {}),
    }


async def _not_inline(*args, **kwargs):
    raise AssertionError("prepared inline")


def test_pool_prepares_what_the_inline_pipeline_prepares(settings, write_headers, monkeypatch):
    items = [_item(i) for i in range(40)]
    lines = [orjson.dumps(x) for x in items]
    lines.insert(5, b'{"url": "https://pool.example.com/broken", ')  # broken JSON: 400
    untitled = {k: v for k, v in _item(99).items() if k != "title"}  # no title, none in the body: 422
    lines.insert(9, orjson.dumps(untitled))
    lines.insert(12, orjson.dumps({**_item(98), "url": "not a url"}))  # the schema refuses it: 422
    # A whole page without a title: valid, but preparing finds none (422).
    page = {
        **untitled,
        "url": "https://pool.example.com/page",
        "body": "<html><body><p>Hi.</p></body></html>",
    }
    lines.insert(15, orjson.dumps(page))
    pooled = settings.model_copy(update={"ingest_processes": 2, "ingest_pool_min_items": 10})
    app = create_app(pooled)
    with TestClient(app, raise_server_exceptions=False) as client:
        h = {**write_headers, "content-type": "application/x-ndjson"}
        with monkeypatch.context() as m:  # the pool, not the inline path, prepares these
            m.setattr(Preparer, "_inline", _not_inline)
            r = client.post("/v1/articles/bulk", content=b"\n".join(lines), headers=h)
        assert r.status_code == 200, r.text
        report = r.json()
        failed = [(f["index"], f["status"]) for f in report["failed"]]
        assert failed == [(5, 400), (9, 422), (12, 422), (15, 422)]
        # Decoded and validated in the processes: the same entries as the inline parse gives.
        _, decoding = bulk.decode_all(bulk.split(b"\n".join(lines), ndjson=True))
        assert report["failed"][:3] == decoding and "url" in decoding[2]["detail"]
        assert report["failed"][3]["detail"] == "title: missing, and the page has none"
        assert report["created"] == len(items)
        ids = {res["index"]: res["id"] for res in report["results"]}
        details = [client.get(f"/v1/articles/{ids[k]}").json() for k in sorted(ids)]

        # A small body stays inline and a pool-prepared repeat is recognised as stored.
        again = client.post("/v1/articles/bulk", content=b"\n".join(lines[:3]), headers=h).json()
        assert again["unchanged"] == 3 and again["created"] == 0

    engine = make_sync_engine(settings)
    with Session(engine) as s:
        gazetteer, places = Gazetteer(load_entries(s)), PlaceLinker(load_records(s))
    engine.dispose()
    for i, (item, got) in enumerate(zip(items, details, strict=True)):
        want = prepare(i, to_input(ArticleCreate(**item)), gazetteer, places)
        for key in ("canonical_url", "title", "body", "source", "language", "language_confidence"):
            assert got[key] == want.values[key], (i, key)
        assert [(m["actor"]["id"], m["start"], m["end"]) for m in got["mentions"]] == [
            (m["actor_id"], m["start_offset"], m["end_offset"]) for m in want.mentions
        ]
        assert sorted(o for p in got["places"] for o in map(tuple, p["offsets"])) == sorted(
            (p["start_offset"], p["end_offset"]) for p in want.places
        )
    assert any(d["mentions"] for d in details) and any(d["places"] for d in details)
    assert {d["language"] for d in details} >= {"en", "fr"}


def test_the_pool_starts_with_the_worker_and_encodes_the_index_documents(settings, write_headers):
    """With GEONEWS_INGEST_PROCESSES the processes start with the worker, and while they run they encode
    the indexer's documents: the same JSON as the indexer's own, and searches find what was posted."""
    from app.search.engine.documents import ArticleDoc, to_json_all

    pooled = settings.model_copy(update={"ingest_processes": 2, "ingest_pool_min_items": 2})
    app = create_app(pooled)
    with TestClient(app, raise_server_exceptions=False) as client:
        preparer = app.state.preparer
        deadline = time.monotonic() + 60
        while not (preparer._warming.done() and preparer._pool is not None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert preparer._pool is not None and len(preparer._pool._processes) == 2  # before any bulk body
        index_ready(app)
        encoded: list[int] = []  # documents the pool encoded for the indexer

        def counted(docs: list[ArticleDoc]) -> list[str] | None:
            out = preparer.encode_documents(docs)
            encoded.append(len(docs) if out is not None else 0)
            return out

        app.state.search.indexer.encoder = counted

        docs = [
            ArticleDoc(i, f"Title {i} ünïcode", f"{BODIES[i % 3]} {i}", "s", "en", datetime(2024, 1, i + 1))
            for i in range(5)
        ]
        assert preparer.encode_documents(docs) == to_json_all(docs)
        assert preparer.encode_documents(docs[:1]) is None  # fewer than the pool's minimum: here

        items = [_item(i) for i in range(12)]
        h = {**write_headers, "content-type": "application/x-ndjson"}
        r = client.post("/v1/articles/bulk", content=b"\n".join(orjson.dumps(x) for x in items), headers=h)
        assert r.status_code == 200 and r.json()["created"] == 12, r.text
        q = {"q": '"Russian envoys"', "consistency": "strong", "limit": 50}
        found = client.get("/v1/articles", params=q)
        assert found.headers["x-answered-by"] == "index", found.text
        assert len(found.json()["items"]) == len([i for i in range(12) if i % 3 == 0])
        assert sum(encoded) >= 12  # the pool encoded them
