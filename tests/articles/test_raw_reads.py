"""The rows of a search page (summaries with bodies for snippets, a frozen ranking's later pages, the
newest id in the first page's cursor) read through app.db.fetch_raw on SQLite answer exactly what the
SQLAlchemy statements answer; elsewhere that path steps aside."""

from __future__ import annotations

from typing import Any

from app.articles import repository


def _pages(client, params: dict[str, Any]) -> list[Any]:  # type: ignore[no-untyped-def]
    out, cursor = [], None
    while True:
        r = client.get("/v1/articles", params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        out.append(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return out


def test_search_pages_read_raw_are_those_read_by_sqlalchemy(client, write_headers, monkeypatch):
    items = [
        {
            "url": f"https://raw.example/read/{i}",
            "title": f"Harbour cranes report {i}",
            "body": f"Dock workers and harbour cranes: report {i} on the harbour's <b>cranes</b>, "
            * (1 + i % 3),
            "published_at": f"2024-05-{1 + i:02d}T09:00:00Z",
            "source": "raw.example",
            "language": "en",
        }
        for i in range(9)
    ]
    r = client.post("/v1/articles/bulk", json=items, headers=write_headers)
    assert r.status_code == 200, r.text
    used: list[int] = []
    real = repository.fetch_raw

    async def spy(session, make, values):  # type: ignore[no-untyped-def]
        rows = await real(session, make, values)
        used.append(rows is not None)
        return rows

    monkeypatch.setattr(repository, "fetch_raw", spy)
    params = {"q": "harbour cranes", "limit": 4, "consistency": "strong"}
    raw = _pages(client, params)
    assert used and len(set(used)) == 1  # one way for every read of one engine
    on_sqlite = used[0]
    assert on_sqlite == client.get("/readyz").json()["database"].startswith("sqlite")

    async def none(session, make, values):  # type: ignore[no-untyped-def]
        return None

    monkeypatch.setattr(repository, "fetch_raw", none)
    assert _pages(client, params) == raw
    assert sum(len(p) for p in raw) == len(items)
    assert all(item["snippet"] and "<mark>" in item["snippet"] for page in raw for item in page)
