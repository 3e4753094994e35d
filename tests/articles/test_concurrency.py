"""Several writers posting overlapping articles at once to a real multi-process server store every
distinct article exactly once, with no error, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson

from tests.conftest import make_key


def _article(i: int) -> dict:
    return {
        "url": f"https://race.example.com/a/{i}",
        "title": f"Race article {i}",
        "body": f"Article {i} mentions Moscow and Kyiv and the number {i * 7919}.",
        "published_at": "2024-10-18T00:00:00Z",
    }


def test_concurrent_overlapping_writers(server, settings):  # `server`: tests/conftest.py
    key = make_key(settings, "write")
    headers = {"Authorization": f"Bearer {key}"}
    writers = 6
    # Writer w posts articles [w*30, w*30 + 90): every article is posted by up to three writers.
    ranges = [range(w * 30, w * 30 + 90) for w in range(writers)]
    expected = set().union(*ranges)

    def bulk(r: range) -> dict:
        payload = b"\n".join(orjson.dumps(_article(i)) for i in r)
        with httpx.Client(base_url=server, headers=headers, timeout=60) as c:
            resp = c.post(
                "/v1/articles/bulk", content=payload, headers={"content-type": "application/x-ndjson"}
            )
            assert resp.status_code == 200, resp.text
            return resp.json()

    def singles(r: range) -> list[int]:
        statuses = []
        with httpx.Client(base_url=server, headers=headers, timeout=60) as c:
            for i in list(r)[::9]:
                resp = c.post("/v1/articles", json=_article(i))
                statuses.append(resp.status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=writers * 2) as pool:
        bulk_reports = list(pool.map(bulk, ranges))
        single_statuses = [s for ss in pool.map(singles, ranges) for s in ss]

    assert all(not r["failed"] for r in bulk_reports)
    assert set(single_statuses) <= {200, 201}
    assert sum(r["created"] for r in bulk_reports) + single_statuses.count(201) == len(expected)

    seen: list[str] = []
    cursor = None
    with httpx.Client(base_url=server, timeout=30) as c:
        while True:
            params = {"source": "race.example.com", "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = c.get("/v1/articles", params=params).json()
            seen += [a["url"] for a in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == {_article(i)["url"] for i in expected}
