"""`member_of` for articles and events: the alliance itself, or a member on the article's (UTC) publication
date or the event's start date. Expected answers come from /v1/actors/{org}/members on each date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.articles.repository import member_of_condition as articles_member_of_condition
from app.events.repository import member_of_condition as events_member_of_condition
from app.models import Article, Event
from tests import factories
from tests.graph.support import all_pages

ARTICLES = [
    # (published_at as sent, slugs mentioned)
    ("2020-06-01T10:00:00Z", ["finland"]),  # before Finland's accession
    ("2023-04-03T23:59:59.999999Z", ["finland"]),  # the last instant before it
    ("2023-04-04T01:00:00+02:00", ["finland"]),  # still 2023-04-03 in UTC
    ("2023-04-04T00:00:00Z", ["finland"]),  # accession day
    ("2024-05-01T12:00:00Z", ["finland", "finland"]),
    ("2024-03-06T12:00:00Z", ["sweden"]),  # the day before Sweden's
    ("2024-03-07T00:00:01Z", ["sweden"]),
    ("2020-06-01T10:00:00Z", ["nato"]),  # the alliance itself
    ("2024-05-01T12:00:00Z", ["japan"]),  # never a member
    ("2020-01-31T12:00:00Z", ["united-kingdom"]),  # EU member until Brexit
    ("2020-02-01T00:00:00Z", ["united-kingdom"]),
    ("1949-08-23T12:00:00Z", ["france"]),  # before the North Atlantic Treaty entered into force
    ("1949-08-24T12:00:00Z", ["france"]),
    ("2024-05-01T12:00:00Z", []),
]


def _utc_day(published_at: str) -> date:
    return datetime.fromisoformat(published_at).astimezone(UTC).date()


def _members(client, org: str, day: date) -> set[str]:
    return {m["actor"]["slug"] for m in all_pages(client, f"/v1/actors/{org}/members", as_of=day.isoformat())}


def _expected(client, org: str, made: dict[int, tuple[str, list[str]]]) -> set[int]:
    return {
        aid
        for aid, (published_at, slugs) in made.items()
        if org in slugs or set(slugs) & _members(client, org, _utc_day(published_at))
    }


@pytest.fixture
def member_corpus(corpus):
    made: dict[int, tuple[str, list[str]]] = {}
    for published_at, slugs in ARTICLES:
        made[corpus.article(published_at, [corpus.ref(s) for s in slugs])] = (published_at, slugs)
    return made


def _matching(engine, cond, ids) -> set[int]:
    with engine.connect() as conn:
        return set(conn.scalars(select(Article.id).where(Article.id.in_(ids), cond)))


@pytest.mark.parametrize("org", ["nato", "eu", "ip4"])
def test_articles_member_of_on_publication_date(client, corpus, engine, member_corpus, org):
    expected = _expected(client, org, member_corpus)
    got = _matching(engine, articles_member_of_condition(corpus.ref(org)), list(member_corpus))
    assert got == expected


def test_finland_counts_for_nato_only_from_its_accession(client, corpus, engine, member_corpus):
    by_when = {(p, tuple(s)): aid for aid, (p, s) in member_corpus.items()}
    got = _matching(engine, articles_member_of_condition(corpus.ref("nato")), list(member_corpus))
    assert by_when[("2020-06-01T10:00:00Z", ("finland",))] not in got
    assert by_when[("2023-04-03T23:59:59.999999Z", ("finland",))] not in got
    assert by_when[("2023-04-04T01:00:00+02:00", ("finland",))] not in got
    assert by_when[("2023-04-04T00:00:00Z", ("finland",))] in got
    assert by_when[("2024-05-01T12:00:00Z", ("finland", "finland"))] in got
    assert by_when[("2024-03-06T12:00:00Z", ("sweden",))] not in got
    assert by_when[("2024-03-07T00:00:01Z", ("sweden",))] in got
    assert by_when[("2020-06-01T10:00:00Z", ("nato",))] in got
    assert by_when[("1949-08-23T12:00:00Z", ("france",))] not in got
    assert by_when[("1949-08-24T12:00:00Z", ("france",))] in got
    eu = _matching(engine, articles_member_of_condition(corpus.ref("eu")), list(member_corpus))
    assert by_when[("2020-01-31T12:00:00Z", ("united-kingdom",))] in eu
    assert by_when[("2020-02-01T00:00:00Z", ("united-kingdom",))] not in eu


def test_member_of_combines_with_other_filters_and_the_seed_article(client, corpus, engine, member_corpus):
    ids = list(member_corpus) + [
        client.get("/v1/articles", params={"source": "seed"}).json()["items"][0]["id"]
    ]
    cond = articles_member_of_condition(corpus.ref("ip4"))
    with engine.connect() as conn:
        recent = set(
            conn.scalars(
                select(Article.id).where(
                    Article.id.in_(ids), cond, Article.published_at >= datetime(2024, 1, 1)
                )
            )
        )
    # The seed article (2024-10-18) mentions South Korea, Japan, Australia, New Zealand and the IP4 itself;
    # the 2024 article mentioning Japan is an IP4 article too.
    assert ids[-1] in recent
    assert recent == _expected(client, "ip4", member_corpus) | {ids[-1]}


EVENTS = [
    ("2023-04-03", ["finland"]),
    ("2023-04-04", ["finland"]),
    ("2024-03-06", ["sweden", "japan"]),
    ("2024-03-07", ["sweden"]),
    ("2019-01-01", ["nato"]),
    ("2024-01-01", ["japan"]),
]


def test_events_member_of_on_start_date(client, write_headers, corpus, engine):
    made = {}
    for start, slugs in EVENTS:
        ev = factories.event(
            client,
            write_headers,
            start_date=start,
            participants=[{"actor": s, "role": "participant"} for s in slugs],
        )
        made[ev["id"]] = (start, slugs)
    nato = corpus.ref("nato")
    with engine.connect() as conn:
        got = set(
            conn.scalars(select(Event.id).where(Event.id.in_(list(made)), events_member_of_condition(nato)))
        )
    expected = {
        eid
        for eid, (start, slugs) in made.items()
        if "nato" in slugs or set(slugs) & _members(client, "nato", date.fromisoformat(start))
    }
    assert got == expected
    assert {made[e][0] for e in got} == {"2023-04-04", "2024-03-07", "2019-01-01"}


def _accepts_member_of(client, path: str) -> bool:
    params = client.get("/openapi.json").json()["paths"][path]["get"].get("parameters", [])
    return any(p["name"] == "member_of" for p in params)


def test_articles_endpoint_member_of(client, corpus, member_corpus):
    if not _accepts_member_of(client, "/v1/articles"):
        pytest.skip("GET /v1/articles does not take member_of yet")
    expected = _expected(client, "nato", member_corpus)
    items = all_pages(client, "/v1/articles", member_of="nato", source="graph.example.org")
    assert {a["id"] for a in items} == expected
    r = client.get("/v1/articles", params={"member_of": "no-such-alliance"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")


def test_events_endpoint_member_of(client, write_headers):
    if not _accepts_member_of(client, "/v1/events"):
        pytest.skip("GET /v1/events does not take member_of yet")
    a = factories.event(client, write_headers, start_date="2023-04-03", participants=[{"actor": "finland"}])
    b = factories.event(client, write_headers, start_date="2023-04-04", participants=[{"actor": "finland"}])
    items = all_pages(
        client, "/v1/events", member_of="nato", start_after="2023-04-01", start_before="2023-04-05"
    )
    ids = {e["id"] for e in items}
    assert b["id"] in ids and a["id"] not in ids
