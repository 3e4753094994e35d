"""Whole-result export of any list: NDJSON, CSV or (for lists with a `point`) a GeoJSON FeatureCollection,
streamed with constant memory.

The rows come from a server-side cursor (`AsyncSession.stream`) in its own session: the request's
session closes when the endpoint returns, before the body has been sent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import orjson
from fastapi.responses import StreamingResponse

from .responses import ORJSON_OPTIONS

NDJSON = "application/x-ndjson"
GEOJSON = "application/geo+json"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=ORJSON_OPTIONS).decode()
    if hasattr(value, "isoformat"):
        return orjson.dumps(value, option=ORJSON_OPTIONS).decode().strip('"')
    return value


def _feature(item: dict[str, Any], point: Callable[[dict[str, Any]], tuple[float, float] | None]) -> bytes:
    """One GeoJSON Feature: a Point at (lon, lat), or a null geometry; the item as its properties."""
    where = point(item)
    geometry = {"type": "Point", "coordinates": [where[0], where[1]]} if where is not None else None
    feature = {"type": "Feature", "id": item.get("id"), "geometry": geometry, "properties": item}
    return orjson.dumps(feature, option=ORJSON_OPTIONS)


def stream(
    db: Any,
    stmt: Any,
    fmt: str,
    to_item: Callable[[Any], dict[str, Any]],
    columns: Sequence[str],
    name: str,
    point: Callable[[dict[str, Any]], tuple[float, float] | None] | None = None,
) -> StreamingResponse:
    async def rows() -> AsyncIterator[bytes]:
        async with db.reader() as session:
            result = await session.stream(stmt.execution_options(yield_per=1000))
            if fmt == "geojson":
                assert point is not None
                yield b'{"type":"FeatureCollection","features":['
                first = True
                async for part in result.mappings().partitions(1000):
                    chunk = b",".join(_feature(to_item(r), point) for r in part)
                    if chunk:
                        yield chunk if first else b"," + chunk
                        first = False
                yield b"]}\n"
            elif fmt == "csv":
                buf = io.StringIO()
                writer = csv.writer(buf)
                writer.writerow(columns)
                yield buf.getvalue().encode()
                async for part in result.mappings().partitions(1000):
                    buf.seek(0)
                    buf.truncate()
                    for row in part:
                        item = to_item(row)
                        writer.writerow([_cell(item.get(c)) for c in columns])
                    yield buf.getvalue().encode()
            else:
                async for part in result.mappings().partitions(1000):
                    yield b"".join(orjson.dumps(to_item(r), option=ORJSON_OPTIONS) + b"\n" for r in part)

    if fmt == "geojson":
        return StreamingResponse(rows(), media_type=GEOJSON)
    if fmt == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
        return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=headers)
    return StreamingResponse(rows(), media_type=NDJSON)
