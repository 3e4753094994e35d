"""Reading article files for `geonews ingest`: NDJSON, JSON (an array or one object) and RSS/Atom."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson


def sniff(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix in (".rss", ".atom", ".xml"):
        return "feed"
    with path.open("rb") as fh:
        head = fh.read(512).lstrip()
    if head.startswith(b"<"):
        return "feed"
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "json" if suffix == ".json" else "ndjson"
    return "ndjson"


def _entry_time(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()
    return None


def read_feed(path: Path) -> Iterator[dict[str, Any]]:
    import feedparser

    feed = feedparser.parse(path.read_bytes())
    source = feed.feed.get("title")
    fallback = _entry_time(feed.feed) or datetime.now(UTC).isoformat()
    language = (feed.feed.get("language") or "").split("-")[0].lower() or None
    for entry in feed.entries:
        body = ""
        if entry.get("content"):
            body = "\n\n".join(c.get("value", "") for c in entry.content)
        summary = entry.get("summary")
        record: dict[str, Any] = {
            "url": entry.get("link"),
            "title": entry.get("title") or entry.get("link"),
            "body": body or summary or "",
            "published_at": _entry_time(entry) or fallback,
        }
        if summary and body:
            record["summary"] = summary
        if source:
            record["source"] = source[:255]
        if language and len(language) in (2, 3):
            record["language"] = language
        tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
        if tags:
            record["tags"] = tags[:100]
        yield record


def read_records(path: Path) -> Iterator[Any]:
    """Every record in the file, as parsed JSON values (invalid NDJSON lines come back as an Exception)."""
    kind = sniff(path)
    if kind == "feed":
        yield from read_feed(path)
        return
    if kind == "json":
        data = orjson.loads(path.read_bytes())
        yield from (data if isinstance(data, list) else [data])
        return
    with path.open("rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield ValueError(f"not valid JSON: {exc}")
