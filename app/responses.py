"""Fast JSON rendering: orjson with UTC 'Z' timestamps, used for every response body."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from fastapi.responses import JSONResponse

ORJSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=ORJSON_OPTIONS)


class JSON(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def iso(value: date | datetime | None) -> str | None:
    """Dates as YYYY-MM-DD, naive UTC datetimes as ...Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z" if value.tzinfo is None else value.isoformat()
    return value.isoformat()
