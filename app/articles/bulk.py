"""Parsing a bulk body (NDJSON or a JSON array) into validated items and per-line failures."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from ..errors import BadRequest, Unprocessable
from .schemas import ArticleCreate

MAX_ITEMS = 10_000
_ADAPTER = TypeAdapter(ArticleCreate)


def _describe(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        loc = ".".join(str(p) for p in e.get("loc", ()))
        parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
    return "; ".join(parts)


def parse(raw: bytes, *, ndjson: bool) -> tuple[list[tuple[int, ArticleCreate]], list[dict[str, Any]]]:
    """Items that validate, and a failure entry (index, status, detail) for each that does not."""
    objects: list[tuple[int, Any]] = []
    failed: list[dict[str, Any]] = []
    if ndjson:
        index = 0
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                objects.append((index, orjson.loads(line)))
            except orjson.JSONDecodeError as exc:
                failed.append({"index": index, "status": 400, "detail": f"not valid JSON: {exc}"})
            index += 1
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"The body is not valid JSON: {exc}") from exc
        if not isinstance(data, list):
            raise Unprocessable("Send a JSON array of articles, or NDJSON with one article per line.")
        objects = list(enumerate(data))
    if not objects and not failed:
        raise BadRequest(
            "The bulk body holds no articles: send NDJSON with one article per line, or a JSON array.",
            errors=[{"loc": ["body"], "msg": "no articles"}],
        )
    if len(objects) + len(failed) > MAX_ITEMS:
        raise Unprocessable(f"At most {MAX_ITEMS} articles per bulk request.")
    items = []
    for index, obj in objects:
        try:
            items.append((index, _ADAPTER.validate_python(obj)))
        except ValidationError as exc:
            failed.append({"index": index, "status": 422, "detail": _describe(exc)})
    return items, failed
