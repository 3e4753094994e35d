"""Parsing a bulk body (NDJSON or a JSON array) into validated items and per-line failures.

Two steps: `split` cuts the body into its items (an NDJSON line stays bytes), `decode` turns one item
into a validated article or its failure entry. With a preparing pool, `split` runs in the worker and
`decode` in the preparing processes (`prepare_raw`): decoding and validating an article (~60-100 µs)
is then off the worker's GIL, which stores and indexes. Both paths give the same failures.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from ..dates import to_utc_naive
from ..errors import BadRequest, Unprocessable
from ..ingestion.pipeline import ArticleInput, Prepared
from ..ingestion.workers import prepare_chunk
from .schemas import ArticleCreate

MAX_ITEMS = 10_000
_ADAPTER = TypeAdapter(ArticleCreate)

Failure = dict[str, Any]  # {"index", "status", "detail"}


def _describe(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()))
        parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
    return "; ".join(parts)


def to_input(data: ArticleCreate) -> ArticleInput:
    return ArticleInput(
        url=data.url,
        title=data.title,
        body=data.body,
        published_at=to_utc_naive(data.published_at) if data.published_at is not None else None,
        source=data.source,
        language=data.language,
        summary=data.summary,
        tags=data.tags,
        extract=data.extract,
        keep_raw=data.keep_raw,
        date_source=data.date_source,
        feed_title=data.feed_title,
    )


def split(raw: bytes, *, ndjson: bool) -> list[tuple[int, Any]]:
    """The body's items, numbered: each NDJSON line that is not blank (as bytes, not decoded yet), or each
    element of a JSON array. A body that holds none, or too many, is refused whole."""
    objects: list[tuple[int, Any]]
    if ndjson:
        objects = list(enumerate(line for line in raw.split(b"\n") if line.strip()))
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"The body is not valid JSON: {exc}") from exc
        if not isinstance(data, list):
            raise Unprocessable("Send a JSON array of articles, or NDJSON with one article per line.")
        objects = list(enumerate(data))
    if not objects:
        raise BadRequest(
            "The bulk body holds no articles: send NDJSON with one article per line, or a JSON array.",
            errors=[{"loc": ["body"], "msg": "no articles"}],
        )
    if len(objects) > MAX_ITEMS:
        raise Unprocessable(f"At most {MAX_ITEMS} articles per bulk request.")
    return objects


def decode(index: int, obj: Any) -> ArticleCreate | Failure:
    """One item validated, or its failure entry: 400 for a line that is not JSON, 422 for an article the
    schema refuses."""
    if isinstance(obj, bytes):
        try:
            obj = orjson.loads(obj)
        except orjson.JSONDecodeError as exc:
            return {"index": index, "status": 400, "detail": f"not valid JSON: {exc}"}
    try:
        return _ADAPTER.validate_python(obj)
    except ValidationError as exc:
        return {"index": index, "status": 422, "detail": _describe(exc)}


def decode_all(objects: list[tuple[int, Any]]) -> tuple[list[tuple[int, ArticleCreate]], list[Failure]]:
    """`decode` over `split`'s items: those that validate, and the failure entries of the others."""
    items: list[tuple[int, ArticleCreate]] = []
    failed: list[Failure] = []
    for index, obj in objects:
        out = decode(index, obj)
        if isinstance(out, dict):
            failed.append(out)
        else:
            items.append((index, out))
    return items, failed


def prepare_raw(chunk: list[tuple[int, Any]]) -> list[Prepared | tuple[int, str] | Failure]:
    """A preparing process's task: decode and validate each (index, item) of `split`, then prepare the
    valid ones. Failures of decoding come back as entries, those of preparing as (index, reason)."""
    items, failed = decode_all(chunk)
    return [*failed, *prepare_chunk([(index, to_input(data)) for index, data in items])]
