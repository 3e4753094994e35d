"""`geonews relink`: articles stored before an actor existed are linked to it afterwards, once, with their
changes in the feed; and `geonews ingest` on a fresh database seeds it first, so its articles are linked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from app.db import make_sync_engine


def _cli(args: list[str], url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GEONEWS_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_relink_links_stored_articles_to_a_new_actor(client, settings, write_headers, tmp_path):
    body = "Envoys of Zubrowkistan met in Vienna. Zubrowkistan asked for talks."
    r = client.post(
        "/v1/articles",
        json={
            "url": "https://relink.example.org/a",
            "title": "Envoys meet",
            "body": body,
            "published_at": "2025-02-03T10:00:00Z",
        },  # fmt: skip
        headers=write_headers,
    )
    assert r.status_code == 201, r.text
    article = r.json()["id"]
    assert not [m for m in client.get(f"/v1/articles/{article}").json()["mentions"] if "Zubrowk" in m["text"]]
    created = client.post(
        "/v1/actors", json={"kind": "country", "name": "Zubrowkistan"}, headers=write_headers
    )
    assert "geonews relink" in created.headers["geonews-relink"]  # the response says what to run
    actor = created.json()
    head = client.get("/v1/changes", params={"limit": 1}).json()["head"]

    out = _cli(["relink"], settings.database_url, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "changed" in out.stdout
    mentions = client.get(f"/v1/articles/{article}").json()["mentions"]
    linked = [m for m in mentions if m["actor"]["id"] == actor["id"]]
    first = body.index("Zubrowkistan")
    second = body.index("Zubrowkistan", first + 1)
    assert [(m["start"], m["end"]) for m in linked] == [(first, first + 12), (second, second + 12)]
    assert [a["id"] for a in client.get("/v1/articles", params={"actor": actor["id"]}).json()["items"]] == [
        article
    ]
    # The change feed says so, with the new actor among the change's actors.
    changes = client.get(
        "/v1/changes", params={"after": head, "entity": "article", "actor": actor["id"]}
    ).json()["items"]
    assert [(c["entity_id"], c["op"]) for c in changes] == [(article, "updated")]

    # A second run finds nothing to change and writes nothing.
    again = _cli(["relink"], settings.database_url, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "changed 0 " in again.stdout
    assert client.get("/v1/changes", params={"after": changes[-1]["seq"]}).json()["items"] == []


def test_ingest_into_a_fresh_database_seeds_it_and_links(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    (tmp_path / "a.ndjson").write_text(
        '{"url": "https://fresh.example.org/1", "title": "Seoul and Tokyo", '
        '"body": "South Korea and Japan held talks in Tokyo.", "published_at": "2025-01-01T00:00:00Z"}\n'
    )
    out = _cli(["ingest", "a.ndjson"], url, tmp_path)
    assert out.returncode == 0, out.stderr
    engine = make_sync_engine_for(url)
    with engine.connect() as conn:
        slugs = set(
            conn.execute(
                text(
                    "SELECT actors.slug FROM mentions JOIN actors ON actors.id = mentions.actor_id "
                    "JOIN articles ON articles.id = mentions.article_id WHERE articles.url LIKE '%fresh.example%'"
                )
            ).scalars()
        )
    engine.dispose()
    assert {"south-korea", "japan"} <= slugs


def make_sync_engine_for(url: str):  # type: ignore[no-untyped-def]
    from app.config import Settings

    return make_sync_engine(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
