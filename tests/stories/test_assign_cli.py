"""`geonews stories assign`: articles stored without a story (before stories existed, or by the seed
loader) get one, with their signatures computed; a second run has nothing to do."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db import make_sync_engine
from app.models import Article

from .conftest import labelled, post_bulk


def _assign(settings) -> int:
    env = {**os.environ, "GEONEWS_DATABASE_URL": settings.database_url}
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "stories", "assign", "--batch", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip().splitlines()[-1])


def test_articles_without_a_story_get_one(client, write_headers, settings):
    recs = [r for r in labelled() if r["story"] == "opec-cut"]
    ids = post_bulk(client, write_headers, recs)
    # As if stored before stories existed: no story, no signature.
    engine = make_sync_engine(settings)
    with Session(engine) as s, s.begin():
        s.execute(update(Article).where(Article.id.in_(ids)).values(story_id=None, story_sig=None))
    engine.dispose()
    seeded = [
        a for a in client.get("/v1/articles", params={"limit": 200}).json()["items"] if a["id"] not in ids
    ]
    assert seeded and all(a["story_id"] is None for a in seeded)  # the seed loader assigns none

    assert _assign(settings) == len(ids) + len(seeded)
    stories = {client.get(f"/v1/articles/{i}").json()["story_id"] for i in ids}
    assert len(stories) == 1 and None not in stories
    (sid,) = stories
    assert client.get(f"/v1/stories/{sid}").json()["article_count"] == len(ids)
    assert all(
        a["story_id"] is not None for a in client.get("/v1/articles", params={"limit": 200}).json()["items"]
    )
    assert _assign(settings) == 0
