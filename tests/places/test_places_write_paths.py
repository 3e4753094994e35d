"""Places reach the database through every write path: `geonews ingest` straight into the database, and
the seed step (idempotent)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import make_sync_engine
from app.models import Place
from app.seed.loader import seed


def test_cli_ingest_links_places(client, settings, tmp_path):
    src = f"cli-{uuid.uuid4().hex[:8]}"
    rows = [
        {
            "url": f"https://cli.example.com/{src}/{i}",
            "title": f"Story {i}",
            "body": body,
            "published_at": "2024-10-18T09:30:00Z",
            "source": src,
        }
        for i, body in enumerate(
            [
                "Ministers met in Brussels on Monday to discuss energy prices.",
                "Brussels and Washington agreed on Tuesday to cut tariffs on steel.",
            ]
        )
    ]
    path = tmp_path / "articles.ndjson"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    env = {**os.environ, "GEONEWS_DATABASE_URL": settings.database_url, "COLUMNS": "200"}
    with (tmp_path / "out.txt").open("w") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "app.cli", "ingest", str(path), "--batch", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=300,
            cwd=tmp_path,
        )
    assert proc.returncode == 0, (tmp_path / "out.txt").read_text()
    items = client.get("/v1/articles", params={"source": src}).json()["items"]
    details = {d["title"]: d for d in (client.get(f"/v1/articles/{a['id']}").json() for a in items)}
    assert [p["id"] for p in details["Story 0"]["places"]] == ["brussels-be"]
    assert details["Story 1"]["places"] == []
    assert {"eu", "united-states"} <= {m["actor"]["slug"] for m in details["Story 1"]["mentions"]}
    # The bbox filter finds the CLI-ingested article by its place.
    found = client.get("/v1/articles", params={"source": src, "bbox": "4,50.5,4.7,51"}).json()["items"]
    assert [a["title"] for a in found] == ["Story 0"]


def test_seed_loads_places_once(settings):
    engine = make_sync_engine(settings)
    try:
        with Session(engine) as session:
            count = session.scalar(select(func.count()).select_from(Place))
            capitals = session.scalar(select(func.count()).select_from(Place).where(Place.capital))
            linked = session.scalar(
                select(func.count()).select_from(Place).where(Place.country_actor_id.is_not(None))
            )
        assert count > 1000 and capitals >= 193 and linked > 0.9 * count
        report = seed(engine)
        assert "places" not in report.created and "places" not in report.updated, report.summary()
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Place)) == count
    finally:
        engine.dispose()
