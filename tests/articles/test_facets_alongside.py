"""A list with facets that the search index answers counts the facets while it finds the page: the two
searches run at once (each in a thread of its own), and a page that fails leaves nothing behind."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.search.engine.reader import Reader
from tests.articles.test_page_fast_path import stored


@pytest.fixture
def indexed(client, write_headers) -> list[dict[str, Any]]:
    items = [
        {
            "url": f"https://alongside.example/{i}",
            "title": f"Sanctions talks, dispatch {i}",
            "body": f"France and Germany discussed sanctions on Russia in Paris; dispatch {i}.",
            "published_at": f"2024-05-{1 + i:02d}T08:00:00Z",
            "source": f"alongside{i % 2}.example",
            "language": "en",
        }
        for i in range(6)
    ]
    stored(client, write_headers, items)
    r = client.get("/v1/articles", params={"q": "sanctions", "consistency": "strong", "limit": 1})
    assert r.status_code == 200 and r.headers["x-answered-by"] == "index", r.text
    return items


@pytest.mark.parametrize("sort", ["relevance", "-published_at"])
def test_the_facets_and_the_page_are_searched_at_once(client, indexed, monkeypatch, sort):
    """Each search waits for the other to have started: done one after the other, the first would wait
    in vain and the request fail."""
    meet = threading.Barrier(2, timeout=10)
    search, facets = Reader.search, Reader.facets

    def searching(self: Reader, *args: Any, **kwargs: Any) -> Any:
        meet.wait()
        return search(self, *args, **kwargs)

    def counting(self: Reader, *args: Any, **kwargs: Any) -> Any:
        meet.wait()
        return facets(self, *args, **kwargs)

    monkeypatch.setattr(Reader, "search", searching)
    monkeypatch.setattr(Reader, "facets", counting)
    r = client.get("/v1/articles", params={"q": "sanctions", "facets": "source", "sort": sort, "limit": 2})
    assert r.status_code == 200, r.text
    assert r.headers["x-answered-by"] == "index"
    body = r.json()
    assert len(body["items"]) == 2
    assert sorted((f["value"], f["count"]) for f in body["facets"]["source"]) == [
        ("alongside0.example", 3),
        ("alongside1.example", 3),
    ]


def test_a_page_that_fails_answers_its_problem_and_leaves_the_facets_behind(client, indexed, caplog):
    r = client.get("/v1/articles", params={"q": "sanctions", "facets": "source", "cursor": "not-a-cursor"})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    again = client.get("/v1/articles", params={"q": "sanctions", "facets": "source,language"})
    assert again.status_code == 200 and again.json()["facets"]["language"] == [{"value": "en", "count": 6}]
    assert "never retrieved" not in caplog.text
