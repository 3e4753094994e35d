"""Facets and date histograms over every match, against the SQL facets of GET /v1/articles and the SQL
timeline of GET /v1/actors/{actor}/timeline."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.models import Actor, Mention
from app.search.engine import Filters
from app.search.engine.reader import FACET_TOP
from app.search.query import parse
from tests.search.engine.test_oracle import CASES, api_ids, resolve

FACET_CASES = ["no_filter", "word", "q_actor", "member_of", "languages", "everything", "phrase_exclusion"]


def same_top(sql: list[tuple[object, int]], engine: list[tuple[object, int]]) -> None:
    """Equal lists, except that values tied at the cut of a full top list may differ (both engines order
    ties by value, but SQL collations order some strings differently)."""
    assert [c for _, c in engine] == [c for _, c in sql]
    cut = sql[-1][1] if len(sql) == FACET_TOP else None
    assert {p for p in engine if p[1] != cut} == {p for p in sql if p[1] != cut}
    if cut is None:
        assert sorted(engine, key=str) == sorted(sql, key=str)


@pytest.mark.parametrize("name", FACET_CASES)
def test_facets_equal_sql_facets(world, name):
    params, q, filters = resolve(world, CASES[name])
    r = world.client.get(
        "/v1/articles", params={**params, "facets": "source,actor,language,actor_kind", "limit": 1}
    )
    assert r.status_code == 200, r.text
    sql = r.json()["facets"]
    got = world.reader.facets(q, filters, ["source", "actor", "language", "actor_kind", "country"])
    for facet in ("source", "language", "actor_kind"):
        same_top(
            [(f["value"], f["count"]) for f in sql[facet]], [(f["value"], f["count"]) for f in got[facet]]
        )
    same_top([(f["id"], f["count"]) for f in sql["actor"]], [(f["value"], f["count"]) for f in got["actor"]])
    assert sql["source"] and sql["actor"]

    # Countries have no SQL facet: count them from the mentions of the matching articles.
    ids = api_ids(world.client, params)
    with world.sync.connect() as conn:
        rows = conn.execute(
            select(Mention.article_id, Actor.country)
            .join(Actor, Actor.id == Mention.actor_id)
            .where(Mention.article_id.in_(ids), Actor.country.is_not(None))
            .distinct()
        ).all()
    counts = Counter(country for _, country in rows)
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_TOP]
    assert [(f["value"], f["count"]) for f in got["country"]] == expected


def test_facet_counts_cover_every_match(world):
    """No top-k window: the source counts of a common word add up to its whole match."""
    q = parse("talks")
    got = world.reader.facets(q, None, ["source", "language"], top=10_000)
    total = world.reader.count(q)
    assert sum(f["count"] for f in got["source"]) == total
    assert sum(f["count"] for f in got["language"]) == total  # None (no language) counted too
    assert any(f["value"] is None for f in got["language"])


TIMELINES = [
    ("month", "2021-03-15", "2025-10-10", None),
    ("week", "2023-02-01", "2024-02-07", None),  # starts on a Wednesday
    ("day", "2022-05-01", "2022-07-31", None),
    ("month", "2021-01-01", "2025-12-31", "russia"),
    ("week", "2021-06-02", "2023-06-30", "united-states"),
]


@pytest.mark.parametrize(("interval", "start", "end", "other"), TIMELINES)
def test_histograms_equal_sql_timeline(world, interval, start, end, other):
    actor = "ukraine"
    params = {"interval": interval, "from": start, "to": end}
    if other:
        params["with"] = other
    r = world.client.get(f"/v1/actors/{actor}/timeline", params=params)
    assert r.status_code == 200, r.text
    sql = r.json()["items"]
    ids = world.corpus.actors
    filters = Filters(actors_all=[ids[actor]] + ([ids[other]] if other else []))
    got = world.reader.histogram(None, filters, interval, date.fromisoformat(start), date.fromisoformat(end))
    assert [{"start": b["start"].isoformat(), "count": b["count"]} for b in got] == sql
    assert sum(b["count"] for b in got) > 0


def test_histogram_with_query_adds_up(world):
    q = parse("sanctions")
    got = world.reader.histogram(q, None, "month", date(2021, 1, 1), date(2025, 12, 31))
    window = Filters(published_after=datetime(2021, 1, 1), published_before=datetime(2026, 1, 1))
    assert sum(b["count"] for b in got) == world.reader.count(q, window) > 0
    assert len(got) == 60 and got[0]["start"] == date(2021, 1, 1)
