"""Whole-result export of any list: NDJSON, CSV or (for lists with a `point`) a GeoJSON FeatureCollection,
streamed with constant memory.

An export must not hold anything of the database while it waits for its client, because a client that
stops reading can make it wait for as long as it likes (and reads need no key):
- the rows are read in keyset-paged chunks (`chunk_rows`, 1000 by default), each chunk in its own short
  session: the connection goes back to the pool (and on SQLite the read transaction ends, so the WAL can
  be checkpointed) before the chunk's bytes are handed to the socket;
- a client that takes no bytes for `send_timeout` seconds is cut off (the connection is aborted, so the
  unsent bytes do not keep the socket either);
- each client address may run `max_per_client` exports at once in each worker; past that, 429.

The request's own session has closed by then: the endpoint returns the response before its body is sent.
The first chunk is read before the response starts, so a database fault at the start is still a 503
problem document rather than a truncated 200.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from .errors import TooManyRequests
from .inline import heavy
from .responses import ORJSON_OPTIONS

log = logging.getLogger("geonews.export")

NDJSON = "application/x-ndjson"
GEOJSON = "application/geo+json"
ABORT_KEY = "geonews.abort"  # set by app/server.py: drops the connection without flushing its buffer


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


@dataclass
class ExportSlots:
    """How many exports each client address runs in this worker, bounded by `limit` (0: no bound)."""

    limit: int
    retry_after: int = 5
    running: dict[str, int] = field(default_factory=dict)

    def acquire(self, address: str) -> None:
        n = self.running.get(address, 0)
        if self.limit and n >= self.limit:
            raise TooManyRequests(
                f"At most {self.limit} exports may run at once from one address; wait for one to finish.",
                headers={"Retry-After": str(self.retry_after)},
            )
        self.running[address] = n + 1

    def release(self, address: str) -> None:
        n = self.running.get(address, 0) - 1
        if n > 0:
            self.running[address] = n
        else:
            self.running.pop(address, None)


# A chunk reader: the rows strictly after `after` (the last row's sort-key values; None: from the start).
ChunkReader = Callable[[Sequence[Any] | None], Awaitable[list[Any]]]


def chunk_reader(
    db: Any,
    statement_after: Callable[[Sequence[Any] | None], Any],
    size: int,
) -> ChunkReader:
    """Each call reads one chunk of `size` rows in a session of its own, closed before it returns."""

    async def read(after: Sequence[Any] | None) -> list[Any]:
        async with db.session(write=False) as session, heavy(session):
            result = await session.execute(statement_after(after).limit(size))
            return [dict(r) for r in result.mappings()]

    return read


class ExportResponse(StreamingResponse):
    """A streamed export that holds its slot while it runs and gives up on a client that stops reading."""

    body_iterator: AsyncIterable[bytes]  # the `rows` given: bytes only, never str

    def __init__(
        self,
        rows: AsyncIterator[bytes],
        first: Callable[[], Awaitable[None]],
        *,
        send_timeout: float,
        on_close: Callable[[], None],
        media_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(rows, media_type=media_type, headers=headers)
        self._first = first
        self.send_timeout = send_timeout
        self._on_close = on_close
        self._abort: Callable[[], None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            self._abort = scope.get(ABORT_KEY)
            await self._first()  # a fault here is still a problem document: nothing has been sent
            await super().__call__(scope, receive, send)
        finally:
            self._on_close()

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator:
            if not await self._send_within(send, chunk, more=True):
                return
        await self._send_within(send, b"", more=False)

    async def _send_within(self, send: Send, body: bytes | memoryview, more: bool) -> bool:
        """Hand bytes to the server; False (and the connection dropped) when the client took none within
        the send timeout."""
        try:
            with anyio.fail_after(self.send_timeout):
                await send({"type": "http.response.body", "body": body, "more_body": more})
            return True
        except TimeoutError:
            log.info("export client took no bytes for %g s: connection dropped", self.send_timeout)
            if self._abort is not None:
                self._abort()
                await asyncio.sleep(0)  # let the server see the connection go before this returns
            return False


def stream(
    read: ChunkReader,
    values_of: Callable[[Any], Sequence[Any]],
    fmt: str,
    to_item: Callable[[Any], dict[str, Any]],
    columns: Sequence[str],
    name: str,
    *,
    chunk_rows: int,
    send_timeout: float,
    slots: ExportSlots,
    address: str,
    point: Callable[[dict[str, Any]], tuple[float, float] | None] | None = None,
) -> ExportResponse:
    """The export response: `read` gives chunks of `chunk_rows` rows in order, `values_of` the sort-key
    values of a row (where the next chunk starts). Takes a slot of `address` now (429 when none is free)
    and gives it back when the response ends, however it ends."""
    slots.acquire(address)
    state: dict[str, Any] = {"rows": None}

    async def first() -> None:
        state["rows"] = await read(None)

    async def chunks() -> AsyncIterator[list[Any]]:
        rows: list[Any] = state["rows"] or []
        while rows:
            yield rows
            if len(rows) < chunk_rows:
                return
            rows = await read(values_of(rows[-1]))

    async def encoded() -> AsyncIterator[bytes]:
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow(columns)
            async for part in chunks():
                for row in part:
                    item = to_item(row)
                    writer.writerow([_cell(item.get(c)) for c in columns])
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
            if buf.tell():  # only the header: an empty export
                yield buf.getvalue().encode()
        elif fmt == "geojson":
            assert point is not None
            yield b'{"type":"FeatureCollection","features":['
            started = False
            async for part in chunks():
                chunk = b",".join(_feature(to_item(r), point) for r in part)
                if chunk:
                    yield chunk if not started else b"," + chunk
                    started = True
            yield b"]}\n"
        else:
            async for part in chunks():
                yield b"".join(orjson.dumps(to_item(r), option=ORJSON_OPTIONS) + b"\n" for r in part)

    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            slots.release(address)

    if fmt == "csv":
        return ExportResponse(
            encoded(),
            first,
            send_timeout=send_timeout,
            on_close=release,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    media_type = GEOJSON if fmt == "geojson" else NDJSON
    return ExportResponse(
        encoded(), first, send_timeout=send_timeout, on_close=release, media_type=media_type
    )
