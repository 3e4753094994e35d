from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

LABELLED = Path(__file__).resolve().parents[1] / "data" / "stories" / "labelled.jsonl"


def labelled() -> list[dict[str, Any]]:
    """The labelled set: each record with its story label and a URL of its own."""
    out = []
    for i, line in enumerate(LABELLED.read_text(encoding="utf-8").splitlines()):
        rec = json.loads(line)
        rec["url"] = f"https://{rec['source']}/news/{rec['story']}-{i}"
        out.append(rec)
    return out


def article(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec[k] for k in ("url", "title", "body", "published_at", "source")}


def post_bulk(client: Any, headers: dict[str, str], recs: list[dict[str, Any]]) -> list[int]:
    """POST /v1/articles/bulk; the ids of the stored articles in the order given."""
    r = client.post(
        "/v1/articles/bulk",
        content=b"\n".join(orjson.dumps(article(x)) for x in recs),
        headers={**headers, "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    assert not r.json()["failed"], r.json()["failed"]
    return [x["id"] for x in sorted(r.json()["results"], key=lambda x: x["index"])]


def walk(client: Any, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items
