"""GDELT rows -> typed records: an export row becomes an ``EventRecord``, a mentions row a ``MentionRecord``.

An export row's CAMEO ``EventCode`` is the event type (an unknown code falls back to its 3- then 2-digit
prefix); its actors resolve through ``actors.ActorResolver``; the action location's FIPS 10-4 country
code is mapped to ISO alpha-3. What GDELT measures and the raw codes are kept in ``attributes``. A row
that cannot be read (wrong column count, bad date, non-numeric id) raises ``BadRow``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from .actors import ActorResolver
from .codes import fips_to_iso3, is_known_fips
from .columns import (
    A1,
    A2,
    C_ARTICLES,
    C_BASE,
    C_CODE,
    C_DATEADDED,
    C_GEO_ADM1,
    C_GEO_ADM2,
    C_GEO_CC,
    C_GEO_FID,
    C_GEO_LAT,
    C_GEO_LON,
    C_GEO_NAME,
    C_GEO_TYPE,
    C_GOLDSTEIN,
    C_ID,
    C_IS_ROOT,
    C_MENTIONS,
    C_QUAD,
    C_ROOT,
    C_SOURCES,
    C_SQLDATE,
    C_TONE,
    C_URL,
    EXPORT_COLUMNS,
    M_ID,
    M_IDENT,
    M_SOURCE,
    M_TIME,
    MENTIONS_COLUMNS,
)
from .names import clean_type_name
from .report import ImportReport


class BadRow(Exception):
    """A row that cannot be imported: ``kind`` is what the report groups by, ``detail`` the offending value."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


@dataclass(slots=True)
class EventRecord:
    """One export row, ready to store: ``values`` are the events columns it sets (``repository.EVENT_COLUMNS``),
    ``participants`` the (actor id, role) pairs, ``url`` its source article, ``published`` that article's
    date (DATEADDED, else the event's day)."""

    external_id: str
    values: dict[str, Any]
    participants: set[tuple[int, str]]
    url: str
    published: datetime


class MentionRecord(NamedTuple):
    external_id: str  # the GLOBALEVENTID mentioned
    url: str
    source: str
    when: datetime


# -- field parsers ------------------------------------------------------------------------------------------
def _int(s: str) -> int | None:
    try:
        return int(s)
    except ValueError:
        return None


def _float(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _yyyymmdd(s: str) -> date:
    s = s.strip()
    if len(s) != 8 or not s.isdigit():
        raise ValueError(s)
    return date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def _timestamp(s: str) -> datetime | None:
    s = s.strip()
    if len(s) != 14 or not s.isdigit():
        return None
    try:
        return datetime(int(s[:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None


def _event_id(s: str) -> str:
    ext = s.strip()
    if not (ext.isascii() and ext.isdigit() and len(ext) <= 20):
        raise BadRow("non-numeric GLOBALEVENTID", repr(ext))
    return ext


# -- rows ---------------------------------------------------------------------------------------------------
def parse_mention(cols: list[str]) -> MentionRecord:
    if len(cols) not in MENTIONS_COLUMNS:
        raise BadRow("wrong column count", f"expected 16 columns, found {len(cols)}")
    ext = _event_id(cols[M_ID])
    when = _timestamp(cols[M_TIME])
    if when is None:
        raise BadRow("bad MentionTimeDate", repr(cols[M_TIME]))
    return MentionRecord(ext, cols[M_IDENT].strip(), cols[M_SOURCE].strip(), when)


class EventParser:
    """Parses export rows against the event types and actors the database knows."""

    def __init__(self, type_names: dict[str, str], actors: ActorResolver, report: ImportReport) -> None:
        self.type_names = type_names
        self.actors = actors
        self.report = report

    def _type_code(self, code: str) -> str | None:
        type_code = next((c for c in (code, code[:3], code[:2]) if c and c in self.type_names), None)
        if type_code is None:
            self.report.unknown_types[code] += 1
        elif type_code != code:
            self.report.type_fallbacks[f"{code}->{type_code}"] += 1
        return type_code

    def parse(self, cols: list[str]) -> EventRecord:
        if len(cols) != EXPORT_COLUMNS:
            raise BadRow(
                "wrong column count", f"expected {EXPORT_COLUMNS} tab-separated columns, found {len(cols)}"
            )
        ext = _event_id(cols[C_ID])
        try:
            start = _yyyymmdd(cols[C_SQLDATE])
        except ValueError:
            raise BadRow("bad SQLDATE", repr(cols[C_SQLDATE])) from None

        code = cols[C_CODE].strip()
        type_code = self._type_code(code)
        participants: set[tuple[int, str]] = set()
        name1, raw1 = self.actors.resolve(cols, A1, "initiator", participants)
        name2, raw2 = self.actors.resolve(cols, A2, "target", participants)
        action = clean_type_name(self.type_names[type_code]) if type_code else f"CAMEO event {code or '?'}"
        title = " — ".join(p for p in (name1, action, name2) if p)

        fips = cols[C_GEO_CC].strip().upper()
        country = fips_to_iso3(fips) if fips else None
        if fips and not is_known_fips(fips):
            self.report.unknown_fips[fips] += 1
        lat, lon = _float(cols[C_GEO_LAT]), _float(cols[C_GEO_LON])
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None

        added = _timestamp(cols[C_DATEADDED])
        url = cols[C_URL].strip()
        attributes = _attributes(cols, code, added, url)
        if raw1:
            attributes["actor1"] = raw1
        if raw2:
            attributes["actor2"] = raw2
        geo = _action_geo(cols, fips)
        if geo:
            attributes["action_geo"] = geo
        values = {
            "type_code": type_code,
            "title": title,
            "start_date": start,
            "location_name": cols[C_GEO_NAME].strip()[:512] or None,
            "location_country": country,
            "lat": lat,
            "lon": lon,
            "attributes": attributes,
        }
        published = added or datetime(start.year, start.month, start.day)
        return EventRecord(ext, values, participants, url, published)


def _attributes(cols: list[str], code: str, added: datetime | None, url: str) -> dict[str, Any]:
    """What GDELT measures about the event, and its raw codes."""
    return {
        "event_code": code,
        "event_base_code": cols[C_BASE].strip(),
        "event_root_code": cols[C_ROOT].strip(),
        "quad_class": _int(cols[C_QUAD]),
        "goldstein": _float(cols[C_GOLDSTEIN]),
        "num_mentions": _int(cols[C_MENTIONS]),
        "num_sources": _int(cols[C_SOURCES]),
        "num_articles": _int(cols[C_ARTICLES]),
        "avg_tone": _float(cols[C_TONE]),
        "is_root_event": cols[C_IS_ROOT].strip() == "1",
        "date_added": added.isoformat() + "Z" if added else cols[C_DATEADDED].strip() or None,
        "source_url": url or None,
    }


def _action_geo(cols: list[str], fips: str) -> dict[str, Any]:
    """The action location's raw codes, without the empty ones."""
    geo = {
        "type": _int(cols[C_GEO_TYPE]),
        "fips": fips,
        "adm1": cols[C_GEO_ADM1].strip(),
        "adm2": cols[C_GEO_ADM2].strip(),
        "feature_id": cols[C_GEO_FID].strip(),
    }
    return {k: v for k, v in geo.items() if v not in ("", None, 0)}
