"""Keyset pagination: signed opaque cursors, the list envelope and the Link header.

A cursor carries the sort key of the last item served, the name of the sort order and a fingerprint of the
filters it was made for, signed with the server's secret. A forged, truncated or foreign cursor is a 400.
Walking the chain yields each match once even while rows are inserted, because the next page is "strictly
after this key" rather than an offset.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_, tuple_
from sqlalchemy.sql.elements import ColumnElement

from . import export
from .config import get_settings
from .db import fetch
from .errors import BadRequest
from .responses import JSON

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    facets: dict[str, list[dict[str, Any]]] | None = None


@dataclass(frozen=True)
class SortKey:
    """One sort order: columns (with direction) ending in a unique column."""

    name: str
    columns: tuple[tuple[Any, bool], ...]  # (column expression, descending)
    kinds: tuple[str, ...]  # "int", "float", "str", "datetime", "date" — how to decode cursor values
    # The row keys holding each column's value (default: each column's own key).
    fields: tuple[str, ...] | None = None

    def values_of(self, row: Any) -> list[Any]:
        fields = self.fields or tuple(c.key for c, _ in self.columns)
        return [row[f] for f in fields]


@dataclass
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1–200)."),
    cursor: str | None = Query(None, description="Opaque cursor from `next_cursor`.", max_length=2048),
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def _sign(payload: bytes) -> str:
    secret = get_settings().cursor_secret.encode()
    return (
        base64.urlsafe_b64encode(hmac.new(secret, payload, hashlib.sha256).digest()[:12]).decode().rstrip("=")
    )


def _encode_value(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


_INT_RANGE = (-(2**63), 2**63 - 1)
_MAX_CURSOR_TEXT = 2048


def _decode_value(v: Any, kind: str) -> Any:
    """One sort-key value from a verified cursor, checked for type and range before it reaches SQL (a
    cursor signed with a leaked or default secret must still not be able to make the database fail)."""
    if v is None:
        return None
    if kind == "int":
        if not isinstance(v, int) or isinstance(v, bool) or not _INT_RANGE[0] <= v <= _INT_RANGE[1]:
            raise ValueError("int")
        return v
    if kind == "float":
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            raise ValueError("float")
        return float(v)
    if not isinstance(v, str) or len(v) > _MAX_CURSOR_TEXT or "\x00" in v:
        raise ValueError("text")
    v.encode("utf-8")  # a lone surrogate raises
    if kind == "str":
        return v
    if kind == "datetime":
        parsed = datetime.fromisoformat(v)
        if parsed.tzinfo is not None:  # stored timestamps are naive UTC
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed
    if kind == "date":
        return date.fromisoformat(v)
    raise ValueError(kind)


def filters_fingerprint(filters: dict[str, Any]) -> str:
    raw = orjson.dumps(filters, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(raw, digest_size=6).hexdigest()


def encode_cursor(key: SortKey, values: Sequence[Any], fingerprint: str) -> str:
    payload = orjson.dumps({"s": key.name, "f": fingerprint, "v": [_encode_value(v) for v in values]})
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sign(payload)}"


def decode_cursor(cursor: str, key: SortKey, fingerprint: str) -> list[Any]:
    try:
        body, sig = cursor.split(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if not hmac.compare_digest(sig, _sign(payload)):
            raise ValueError("signature")
        data = orjson.loads(payload)
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("s"), str)
            or not isinstance(data.get("f"), str)
        ):
            raise ValueError("shape")
        if data["s"] != key.name or data["f"] != fingerprint:
            raise BadRequest(
                "This cursor belongs to a different query or sort order; start again without it."
            )
        values = data["v"]
        if not isinstance(values, list) or len(values) != len(key.columns):
            raise ValueError("length")
        return [_decode_value(v, k) for v, k in zip(values, key.kinds, strict=True)]
    except BadRequest:
        raise
    except Exception as exc:  # any malformed cursor is the client's error
        raise BadRequest(
            "Invalid cursor.", errors=[{"loc": ["query", "cursor"], "msg": "malformed or forged cursor"}]
        ) from exc


def cursor_kind(cursor: str) -> str | None:
    """The sort-order name a cursor claims (unverified: decode_cursor checks the signature)."""
    try:
        body = cursor.split(".", 1)[0]
        name = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["s"]
        return name if isinstance(name, str) else None
    except Exception:
        return None


def keyset_condition(key: SortKey, values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order `key` describes."""
    cols = [c for c, _ in key.columns]
    descs = {d for _, d in key.columns}
    if len(descs) == 1:
        if descs == {True}:
            return tuple_(*cols) < tuple_(*values)
        return tuple_(*cols) > tuple_(*values)
    clauses = []
    for i, (col, desc) in enumerate(key.columns):
        eqs = [c == v for (c, _), v in zip(key.columns[:i], values[:i], strict=True)]
        step = col < values[i] if desc else col > values[i]
        clauses.append(and_(*eqs, step))
    return or_(*clauses)


def order_by(key: SortKey) -> list[Any]:
    return [c.desc() if d else c.asc() for c, d in key.columns]


def paginate(
    stmt: Select[*tuple[Any, ...]], key: SortKey, params: PageParams, fingerprint: str
) -> Select[*tuple[Any, ...]]:
    """Apply cursor, order and limit (+1 to learn whether there is a next page)."""
    after = decode_cursor(params.cursor, key, fingerprint) if params.cursor else None
    return page_of(stmt, key, after, params.limit + 1)


def page_of(
    stmt: Select[*tuple[Any, ...]], key: SortKey, after: Sequence[Any] | None, limit: Any
) -> Select[*tuple[Any, ...]]:
    """`stmt` in `key` order, strictly after the key values `after` (if any), at most `limit` rows (values
    or bind parameters: app/articles/fastpath.py compiles one statement per shape)."""
    if after is not None:
        stmt = stmt.where(keyset_condition(key, after))
    return stmt.order_by(*order_by(key)).limit(limit)


def next_cursor(
    rows: list[Any], key: SortKey, params: PageParams, fingerprint: str
) -> tuple[list[Any], str | None]:
    """Trim the extra row and make the cursor for the next page from the last row served."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(key, key.values_of(rows[-1]), fingerprint)


def link_header(request: Request, cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    url = request.url.include_query_params(cursor=cursor)
    return {"Link": f'<{url}>; rel="next"'}


# -- the one chain every list follows: filters -> statement -> (export | keyset page) -> response --------


@dataclass
class PageResult:
    """One page of a list: its items, the cursor of the next page, facet counts when asked."""

    items: list[Any]
    next_cursor: str | None = None
    facets: dict[str, Any] | None = None
    answered_by: str | None = None  # which engine answered ("index", "sql"), sent as X-Answered-By


@dataclass
class Export:
    """Every match of a list, streamed as NDJSON, CSV or GeoJSON: `stmt` unordered and unpaged, read in
    `key` order in keyset-paged chunks (see app/export.py); `point` gives an item's (lon, lat) for GeoJSON."""

    stmt: Any
    key: SortKey
    fmt: str
    columns: Sequence[str]
    to_item: Callable[[Any], dict[str, Any]]
    name: str
    point: Callable[[dict[str, Any]], tuple[float, float] | None] | None = None


async def keyset_page(
    session: Any,
    stmt: Select[*tuple[Any, ...]],
    key: SortKey,
    params: PageParams,
    filters: dict[str, Any],
    render: Callable[[list[dict[str, Any]]], Awaitable[list[Any]]] | None = None,
) -> PageResult:
    """A page of `stmt` in `key` order after the cursor; `render` turns the rows into items."""
    fp = filters_fingerprint(filters)
    rows = [dict(r) for r in (await fetch(session, paginate(stmt, key, params, fp))).mappings()]
    rows, cursor = next_cursor(rows, key, params, fp)
    return PageResult(await render(rows) if render else rows, cursor)


def list_response(request: Request, result: PageResult | Export) -> Response:
    """The envelope with its Link header, or the streamed export."""
    if isinstance(result, Export):
        return _export_response(request, result)
    body: dict[str, Any] = {"items": result.items, "next_cursor": result.next_cursor}
    if result.facets is not None:
        body["facets"] = result.facets
    headers = link_header(request, result.next_cursor)
    if result.answered_by:
        headers["X-Answered-By"] = result.answered_by
    return JSON(body, headers=headers)


def _export_response(request: Request, result: Export) -> Response:
    settings = request.app.state.settings
    state = request.app.state
    slots = getattr(state, "export_slots", None)
    if slots is None:
        slots = state.export_slots = export.ExportSlots(settings.export_max_per_client)
    key, stmt = result.key, result.stmt

    def statement_after(after: Sequence[Any] | None) -> Any:
        s = stmt if after is None else stmt.where(keyset_condition(key, after))
        return s.order_by(*order_by(key))

    client = request.client
    return export.stream(
        export.chunk_reader(state.db, statement_after, settings.export_chunk_rows),
        key.values_of,
        result.fmt,
        result.to_item,
        result.columns,
        result.name,
        chunk_rows=settings.export_chunk_rows,
        send_timeout=settings.export_send_timeout,
        slots=slots,
        address=client.host if client else "unknown",
        point=result.point,
    )


PageDep = Annotated[PageParams, Depends(page_params)]
