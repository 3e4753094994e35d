"""The article page's fast path (app/articles/fastpath.py) answers what the route answers, byte for byte,
and leaves to the route every request it might read differently."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from app.articles.fastpath import ArticleReadFastPath

SOURCES = ("alpha.example", "beta.example", "gamma.example")


@pytest.fixture
def corpus(client, write_headers) -> list[dict[str, Any]]:
    """36 articles: three sources, two declared languages, twelve days, two to a timestamp (ties)."""
    items = [
        {
            "url": f"https://{SOURCES[i % 3]}/fast-path/{i}",
            "title": f"Fast path article {i}",
            "body": f"Body of fast path article {i}, about the page that skips the framework.",
            "published_at": f"2024-03-{1 + i // 3:02d}T{8 + (i // 2) % 2:02d}:00:00Z",
            "source": SOURCES[i % 3],
            "language": ("en", "fr")[i % 2],
        }
        for i in range(36)
    ]
    return stored(client, write_headers, items)


def stored(client, write_headers, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`items`, posted in one bulk body, every one created."""
    r = client.post("/v1/articles/bulk", json=items, headers=write_headers)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == len(items), r.text
    return items


def answered_by(monkeypatch, handler: str) -> list[bytes]:
    """The query strings that ArticleReadFastPath's `handler` (`_page`, `_search`) answered."""
    seen: list[bytes] = []
    original = getattr(ArticleReadFastPath, handler)

    async def spy(self, scope, *args):  # type: ignore[no-untyped-def]
        done = await original(self, scope, *args)
        if done:
            seen.append(scope["query_string"])
        return done

    monkeypatch.setattr(ArticleReadFastPath, handler, spy)
    return seen


@pytest.fixture
def answered(monkeypatch) -> list[bytes]:
    """The query strings the plain page's fast path answered."""
    return answered_by(monkeypatch, "_page")


def _both(client, query: list[tuple[str, str]]) -> tuple[Any, Any]:
    """The response to `query` (fast path where it applies) and to the same query with a parameter the
    fast path does not take (always the route)."""
    fast = client.get("/v1/articles?" + urlencode(query))
    routed = client.get("/v1/articles?" + urlencode([*query, ("via", "route")]))
    return fast, routed


def _same(fast, routed, client=None) -> None:
    """`client`: say in a failure what the app's search index was doing (which engine answers depends
    on it)."""
    assert fast.status_code == routed.status_code, (fast.text, routed.text)
    assert fast.content == routed.content
    for header in ("content-type", "content-length", "x-answered-by", "etag"):
        assert fast.headers.get(header) == routed.headers.get(header), (header, index_state(client))
    link = routed.headers.get("link")
    assert fast.headers.get("link") == (
        link.replace("via=route&", "").replace("&via=route", "") if link else None
    )


def index_state(client) -> str | None:
    index = getattr(client.app.state, "search", None) if client is not None else None
    if index is None:
        return None
    return (
        f"index {index.state}, usable {index.usable}, seq {index.seq}, applied {index.applied}, "
        f"log {index.hub.position}, indexer {index.indexer is not None}"
    )


PLAIN = [
    [],
    [("limit", "5")],
    [("source", "alpha.example")],
    [("source", "alpha.example"), ("source", "gamma.example"), ("limit", "4")],
    [("language", "fr"), ("limit", "3")],
    [("language", "en"), ("language", "fr"), ("source", "beta.example")],
    [("published_after", "2024-03-04"), ("published_before", "2024-03-09"), ("limit", "4")],
    [("published_after", "2024-03-04T09:00:00Z"), ("limit", "7"), ("sort", "published_at")],
    [("published_before", "2024-03-06T10:30:00+02:00"), ("sort", "-published_at"), ("limit", "2")],
    [("published_after", "2024-03-02T08:00:00"), ("source", "beta.example"), ("language", "en")],
    [("source", "nowhere.example")],
    [("limit", "200")],
]


@pytest.mark.parametrize("query", PLAIN, ids=[urlencode(q) or "none" for q in PLAIN])
def test_every_page_of_a_plain_query_is_the_routes(client, corpus, answered, settings, query):
    """Page after page (each next link followed on both), the same bytes and headers as the route."""
    fast, routed = _both(client, query)
    pages = 0
    while True:
        _same(fast, routed)
        assert fast.status_code == 200
        pages += 1
        cursor = fast.json()["next_cursor"]
        if cursor is None:
            break
        fast, routed = _both(client, [*query, ("cursor", cursor)])
    expected = pages if settings.database_url.startswith("sqlite") else 0  # PostgreSQL: always the route
    assert len(answered) == expected


def test_a_page_walk_finds_every_match_once_in_order(client, corpus, answered):
    query = [("source", "alpha.example"), ("source", "beta.example"), ("limit", "5")]
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = client.get("/v1/articles?" + urlencode([*query, *([("cursor", cursor)] if cursor else [])]))
        assert r.status_code == 200
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    mine = [a for a in corpus if a["source"] in ("alpha.example", "beta.example")]
    assert len(seen) == len({a["id"] for a in seen}) == len(mine) == 24
    keys = [(a["published_at"], a["id"]) for a in seen]
    assert keys == sorted(keys, reverse=True)


ASIDE = [
    [("limit", "0")],
    [("limit", "201")],
    [("limit", "05")],
    [("limit", "5"), ("limit", "6")],
    [("source", "")],
    [("published_after", "yesterday")],
    [("published_after", "2024-02-30")],
    [("published_after", "0")],  # a number is not a date (schemas.no_numeric_query_dates): 400
    [("published_before", "1700000000")],
    [("sort", "relevance")],
    [("cursor", "not-a-cursor")],
    [("cursor", "x" * 3000)],
    [("q", "fast")],
    [("actor", "no-such-actor")],
    [("format", "ndjson"), ("limit", "2")],
]


@pytest.mark.parametrize("query", ASIDE, ids=[urlencode(q)[:40] for q in ASIDE])
def test_what_the_fast_path_leaves_to_the_route_is_answered_by_it(client, corpus, answered, query):
    fast, routed = _both(client, query)
    assert answered == []
    assert fast.status_code == routed.status_code
    if fast.status_code >= 400:
        assert fast.headers["content-type"].startswith("application/problem+json")


def test_a_cursor_of_another_query_is_the_routes_400(client, corpus, answered):
    cursor = client.get("/v1/articles", params={"limit": 2, "source": "alpha.example"}).json()["next_cursor"]
    r = client.get("/v1/articles", params={"limit": 2, "source": "beta.example", "cursor": cursor})
    assert r.status_code == 400
    assert "different query" in r.json()["detail"]


def test_the_fast_page_is_counted_under_the_list_route(client, corpus, admin_headers, settings):
    assert client.get("/v1/articles", params={"limit": 3}).status_code == 200
    metrics = client.get("/metrics", headers=admin_headers).text
    assert 'route="/v1/articles",status="200"' in metrics


def test_the_app_wide_dependencies_are_those_the_fast_path_mirrors(app):
    """The fast page skips FastAPI's dependencies, so it applies the app-wide ones itself (the numeric
    date rule): a new app-wide dependency must be mirrored in app/articles/fastpath.py, and this fails."""
    assert {d.dependency.__name__ for d in app.router.dependencies} == {"no_numeric_query_dates"}
