"""The fast path of the lists the search index answers (full text, actors, member_of, facets; see
app/articles/fastpath.py) sends what the route sends — bytes and headers, page after page — answers the
service's problems as the app's handler does, and leaves to the route what it might read otherwise."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from app.articles.fastpath import search_list
from tests.articles.test_page_fast_path import _both, _same, answered_by, index_state, stored

TEXTS = [
    "Japan and Australia agreed on new defence cooperation in Tokyo, with Canberra sending ships.",
    "France and Germany discussed sanctions on Russia in Paris; Moscow rejected the proposal.",
    "South Korea and Japan held talks on North Korea's missile launches near the peninsula.",
    "Russia said the sanctions would fail, while France pushed for a new package in Brussels.",
]


@pytest.fixture
def corpus(client, write_headers) -> list[dict[str, Any]]:
    """24 articles over eight days, mentioning actors (some of them NATO members, some IP4)."""
    items = [
        {
            "url": f"https://search{i % 3}.example/fast-search/{i}",
            "title": f"Talks and sanctions, dispatch {i}",
            "body": f"{TEXTS[i % len(TEXTS)]} Dispatch {i}: ministers met again on day {i // 3}.",
            "published_at": f"2024-05-{1 + i // 3:02d}T{8 + i % 3:02d}:00:00Z",
            "source": f"search{i % 3}.example",
            "language": "en",
        }
        for i in range(24)
    ]
    return stored(client, write_headers, items)


@pytest.fixture
def answered(monkeypatch) -> list[bytes]:
    """The query strings the search fast path answered."""
    return answered_by(monkeypatch, "_search")


# Date orders: every page's bytes are the route's (the cursors are deterministic).
BY_DATE = [
    [("actor", "japan")],
    [("actor", "japan"), ("actor", "france"), ("limit", "4")],
    [("actor", "russia"), ("sort", "published_at"), ("limit", "3")],
    [("member_of", "nato"), ("limit", "5")],
    [("member_of", "ip4"), ("published_after", "2024-05-03"), ("limit", "4")],
    [("q", "sanctions"), ("sort", "-published_at"), ("limit", "3")],
    [("q", "talks"), ("actor", "japan"), ("sort", "published_at"), ("source", "search1.example")],
    [("actor", "france"), ("facets", "source,actor,language"), ("limit", "5")],
    [("actor", "japan"), ("consistency", "strong"), ("limit", "6")],
]


@pytest.mark.parametrize("query", BY_DATE, ids=[urlencode(q) for q in BY_DATE])
def test_every_page_of_a_search_by_date_is_the_routes(client, corpus, answered, query):
    fast, routed = _both(client, query)
    pages = 0
    while True:
        _same(fast, routed, client)
        assert fast.status_code == 200
        assert fast.json()["items"], fast.text
        pages += 1
        cursor = fast.json()["next_cursor"]
        if cursor is None:
            break
        fast, routed = _both(client, [*query, ("cursor", cursor)])
    assert len(answered) == pages
    if any(k == "limit" and int(v) < 6 for k, v in query):
        assert pages > 1


RANKED = [
    [("q", "sanctions")],
    [("q", "sanctions"), ("limit", "3")],
    [("q", '"new package" OR talks'), ("limit", "4")],
    [("q", "sanctions"), ("member_of", "nato"), ("limit", "2")],
    [("q", "japan"), ("facets", "actor , source"), ("sort", "relevance"), ("limit", "3")],
    [("q", "talks"), ("published_after", "2024-05-02"), ("published_before", "2024-05-06T12:00:00Z")],
]


@pytest.mark.parametrize("query", RANKED, ids=[urlencode(q) for q in RANKED])
def test_a_ranked_search_is_the_routes(client, corpus, answered, query):
    """The first page's bytes are the route's; later pages (whose cursors name a snapshot of the ranking,
    one for each client that pages) list the same articles."""
    fast, routed = _both(client, query)
    _same(fast, routed, client)
    assert fast.status_code == 200 and fast.json()["items"]
    assert all("<mark>" in (item["snippet"] or "") for item in fast.json()["items"])
    items = {"fast": [], "routed": []}
    for name, response in (("fast", fast), ("routed", routed)):
        while True:
            items[name] += [a["id"] for a in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
            extra = [("via", "route")] if name == "routed" else []
            response = client.get("/v1/articles?" + urlencode([*query, *extra, ("cursor", cursor)]))
            assert response.status_code == 200, response.text
    assert items["fast"] == items["routed"], index_state(client)
    assert len(items["fast"]) == len(set(items["fast"]))
    assert len(answered) >= 1


def test_hybrid_lists_what_the_route_lists(client, corpus, answered):
    fast, routed = _both(client, [("q", "sanctions"), ("sort", "hybrid")])
    assert fast.status_code == routed.status_code == 200
    assert [a["id"] for a in fast.json()["items"]] == [a["id"] for a in routed.json()["items"]]
    assert answered


PROBLEMS = [
    [("actor", "no-such-actor")],  # the service's 404 (or 400): answered by the fast path as the handler does
    [("member_of", "no-such-alliance")],
    [("sort", "relevance"), ("actor", "japan")],  # relevance needs q: the service's 400
    [("q", '"unclosed'), ("limit", "2")],
    [("actor", "japan"), ("cursor", "not-a-cursor")],
]


@pytest.mark.parametrize("query", PROBLEMS, ids=[urlencode(q)[:40] for q in PROBLEMS])
def test_the_services_problems_are_the_routes(client, corpus, answered, query):
    fast, routed = _both(client, query)
    assert fast.status_code == routed.status_code, (fast.text, routed.text)
    assert fast.content == routed.content
    assert fast.headers["content-type"] == routed.headers["content-type"]
    if fast.status_code >= 400:
        assert fast.headers["content-type"].startswith("application/problem+json")
        assert answered  # answered here, not run a second time on the route


ASIDE = [
    [("q", "x" * 501)],  # longer than the route allows: its 422
    [("member_of", "n" * 256)],
    [("q", "")],
    [("q", "talks"), ("q", "sanctions")],
    [("q", "talks"), ("sort", "newest")],
    [("q", "talks"), ("facets", "source,country")],
    [("q", "talks"), ("facets", "source\n")],
    [("q", "talks"), ("consistency", "eventually")],
    [("q", "talks"), ("limit", "0")],
    [("q", "talks"), ("published_after", "20240501")],  # a number is not a date: the app-wide 400
    [("actor", "japan"), ("actors_all", "france")],
    [("actor", "japan"), ("format", "ndjson")],
    [("actor", "japan"), ("bbox", "120,20,150,50")],
    [("story", "1"), ("q", "talks")],
]


@pytest.mark.parametrize("query", ASIDE, ids=[urlencode(q)[:40] for q in ASIDE])
def test_what_the_search_fast_path_leaves_to_the_route(client, corpus, answered, query):
    fast, routed = _both(client, query)
    assert answered == []
    assert fast.status_code == routed.status_code
    if fast.status_code >= 400:
        assert fast.headers["content-type"].startswith("application/problem+json")


def test_what_search_list_reads():
    found = search_list(b"q=a+b&actor=japan&actor=2&member_of=nato&sort=hybrid&limit=7&facets=source")
    assert found is not None
    assert found.filters.q == "a b" and found.filters.actors == ["japan", "2"]
    assert found.filters.member_of == "nato" and found.sort == "hybrid" and found.facets == "source"
    assert found.page.limit == 7 and found.consistency is None
    assert search_list(b"source=x&limit=5") is None  # the plain page's, not the index's
    assert search_list(b"q=a&sort=relevance&consistency=strong").consistency == "strong"  # type: ignore[union-attr]


def test_the_fast_search_is_counted_under_the_list_route(client, corpus, admin_headers):
    assert client.get("/v1/articles", params={"q": "talks"}).status_code == 200
    metrics = client.get("/metrics", headers=admin_headers).text
    assert 'route="/v1/articles",status="200"' in metrics


@pytest.mark.parametrize(
    ("accept", "ctype"),
    [
        ("application/x-ndjson", "application/x-ndjson"),
        ("text/csv", "text/csv"),
        ("application/geo+json", "application/geo+json"),
        ("application/json, text/csv", "application/json"),
    ],
)
@pytest.mark.parametrize("query", [{"actor": "japan"}, {"q": "sanctions"}, {"source": "search1.example"}])
def test_a_list_in_another_format_by_accept_is_the_routes(client, corpus, answered, accept, ctype, query):
    """The Accept header chooses a streamed format when `format=` is absent (params.geo_list_format): the
    fast paths answer only what it leaves in JSON."""
    r = client.get("/v1/articles", params=query, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(ctype), r.headers["content-type"]
    if ctype == "application/json":
        assert r.json()["items"]
    assert bool(answered) == (ctype == "application/json" and "source" not in query)
