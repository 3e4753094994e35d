"""The SSE wire format of app/sse.py's events."""

from __future__ import annotations

import json

from app.changes.cli import sse_events
from app.sse import Event


def _parse(raw: bytes) -> list[dict[str, str]]:
    # Lines as a client splits them: at CR, LF or CRLF only (the SSE grammar).
    text = raw.decode().replace("\r\n", "\n").replace("\r", "\n")
    return list(sse_events(iter(text.split("\n"))))


def test_fields_and_multiline_data_round_trip():
    raw = Event("one\ntwo\r\nthree", id="7", event="overflow").encode()
    assert raw == b"event: overflow\nid: 7\ndata: one\ndata: two\ndata: three\n\n"
    assert _parse(raw) == [{"event": "overflow", "id": "7", "data": "one\ntwo\nthree"}]


def test_json_with_unicode_line_separators_stays_one_data_line():
    item = {"title": "a\u2028b\u2029c\x85d\x1ce"}  # str.splitlines would split at each of these
    raw = Event(json.dumps(item, ensure_ascii=False), id="1").encode()
    assert raw.count(b"data:") == 1
    (event,) = _parse(raw)
    assert json.loads(event["data"]) == item


def test_an_id_or_name_cannot_break_the_frame():
    raw = Event("x", id="1\n\ndata: injected", event="a\rb").encode()
    assert _parse(raw) == [{"event": "a b", "id": "1  data: injected", "data": "x"}]
