"""Import GDELT 2.0 event exports and mentions files straight into the database.

An export row (61 tab-separated columns, no header) becomes one event with ``source="gdelt"`` and
``external_id=GLOBALEVENTID``; its CAMEO ``EventCode`` is the event type (an unknown code falls back to its
3- then 2-digit prefix). Actor1 is the ``initiator`` and Actor2 the ``target``: each resolves to our country
actor through its CAMEO country code (``cameo_countries`` maps CAMEO's region and non-ISO codes) and, when
its name or CAMEO group code names a person, organisation or alliance we know, to that actor as well. The
action location's FIPS 10-4 country code is mapped to ISO alpha-3. What GDELT measures (Goldstein scale,
quad class, mentions, tone, ...) and the raw codes are kept in ``attributes``.

Each event is linked to the article at its ``SOURCEURL``; a mentions file links events to every article
that mentions them. An article we do not have yet becomes a stub (``is_stub=True``, empty body, a title
made from its URL) keyed by its canonical URL, so a later full ingest of that URL completes it.

Speed: the rows are streamed and written in batches with SQLAlchemy Core bulk statements on the sync
engine (``INSERT ... ON CONFLICT DO UPDATE`` for events, ``DO NOTHING`` for stubs and links); actors and
event types are read once into dictionaries, so nothing is queried per row. One transaction per batch.

Idempotent: an event whose values and participants are what the row says is left alone (not even
``updated_at`` moves), so importing a file twice changes nothing; a later row for the same GLOBALEVENTID
updates the event and replaces its participants. A bad row (wrong column count, a bad date, a
non-numeric id) is skipped and reported with its file and line number; the rest lands.
"""

from __future__ import annotations

import math
import re
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, Engine, Table, any_, bindparam, delete, func, select

from ..config import Settings
from ..db import make_sync_engine
from ..models import Actor, ActorAlias, Article, Event, EventArticle, EventParticipant, EventType, ExternalId
from ..models.base import utcnow
from ..text import fold
from .cameo_countries import cameo_region, cameo_to_iso3, fips_to_iso3, is_known_fips

try:  # the ingestion package owns URL canonicalisation; fall back to the stripped URL without it
    from ..ingestion.urls import canonicalize_url as _canonicalize
except ImportError:  # pragma: no cover - only while app.ingestion.urls is absent

    def _canonicalize(url: str) -> str:
        url = url.strip()
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url!r}")
        return url


__all__ = [
    "EXPORT_COLUMNS",
    "KNOWN_GROUPS",
    "SOURCE",
    "ImportReport",
    "SkippedRow",
    "import_gdelt",
    "input_bytes",
    "is_mentions_file",
    "readable_name",
    "title_from_url",
]

SOURCE = "gdelt"
EXPORT_COLUMNS = 61
MENTIONS_COLUMNS = (15, 16)  # GDELT 2.0 mentions rows end in an (often empty) Extras column
DEFAULT_BATCH = 2000
MAX_URL = 2048  # articles.canonical_url is VARCHAR(2048)
MAX_SKIPPED_KEPT = 1000  # every skipped row is counted; this many are listed with file and line

# Export columns (GDELT 2.0 event codebook order).
C_ID, C_SQLDATE = 0, 1
A1, A2 = 5, 15  # each actor block: Code, Name, CountryCode, KnownGroupCode, Ethnic, Rel1, Rel2, Type1-3
C_IS_ROOT, C_CODE, C_BASE, C_ROOT, C_QUAD, C_GOLDSTEIN = 25, 26, 27, 28, 29, 30
C_MENTIONS, C_SOURCES, C_ARTICLES, C_TONE = 31, 32, 33, 34
C_GEO_TYPE, C_GEO_NAME, C_GEO_CC, C_GEO_ADM1, C_GEO_ADM2, C_GEO_LAT, C_GEO_LON, C_GEO_FID = range(51, 59)
C_DATEADDED, C_URL = 59, 60
ACTOR_FIELDS = ("code", "name", "country", "known_group", "ethnic", "religion1", "religion2")
ACTOR_TYPES = (7, 8, 9)  # offsets of Type1Code..Type3Code inside an actor block

# Mentions columns.
M_ID, M_EVENT_TIME, M_TIME, M_TYPE, M_SOURCE, M_IDENT = range(6)

# CAMEO codes of international organisations and alliances -> the slug of the actor they denote (used only
# when such an actor exists). An actor's external id with scheme "cameo" adds to or overrides this.
KNOWN_GROUPS: dict[str, str] = {
    "NAT": "nato",
    "EEC": "eu",
    "ASN": "asean",
    "UNO": "united-nations",
    "IMF": "imf",
    "WBK": "world-bank",
    "OPC": "opec",
    "GCC": "gcc",
    "OAS": "oas",
}

EVENT_COLUMNS = (
    "type_code",
    "title",
    "start_date",
    "location_name",
    "location_country",
    "lat",
    "lon",
    "attributes",
)


# -- report -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SkippedRow:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def _top(counter: Counter[str], n: int = 15) -> str:
    shown = ", ".join(f"{k} ×{v}" for k, v in counter.most_common(n))
    return shown + (f", … ({len(counter) - n} more)" if len(counter) > n else "")


@dataclass
class ImportReport:
    """What an import did. Events are counted once per distinct GLOBALEVENTID in a batch: created (new),
    updated (a value or a participant changed) or unchanged (left alone). ``articles_stubbed`` counts the
    article stubs created, ``source_links``/``mentions_linked`` the event-article links added. Every skipped
    row is counted in ``rows_skipped`` and ``skip_reasons``; the first thousand are listed in ``skipped``."""

    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    events_created: int = 0
    events_updated: int = 0
    events_unchanged: int = 0
    duplicate_rows: int = 0
    articles_stubbed: int = 0
    source_links: int = 0
    mentions_read: int = 0
    mentions_linked: int = 0
    mentions_already_linked: int = 0
    mentions_unknown_event: int = 0
    mentions_not_url: int = 0
    sources_not_url: int = 0
    rows_skipped: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    skip_reasons: Counter[str] = field(default_factory=Counter)
    type_fallbacks: Counter[str] = field(default_factory=Counter)
    unknown_types: Counter[str] = field(default_factory=Counter)
    unresolved_countries: Counter[str] = field(default_factory=Counter)
    unknown_fips: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return self.events_created + self.events_updated + self.events_unchanged

    def skip(self, file: str, line: int, kind: str, detail: str) -> None:
        self.rows_skipped += 1
        self.skip_reasons[kind] += 1
        if len(self.skipped) < MAX_SKIPPED_KEPT:
            self.skipped.append(SkippedRow(file, line, f"{kind}: {detail}" if detail else kind))

    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "events_created": self.events_created,
            "events_updated": self.events_updated,
            "events_unchanged": self.events_unchanged,
            "articles_stubbed": self.articles_stubbed,
            "source_links": self.source_links,
            "mentions_read": self.mentions_read,
            "mentions_linked": self.mentions_linked,
            "mentions_already_linked": self.mentions_already_linked,
            "mentions_unknown_event": self.mentions_unknown_event,
            "rows_skipped": self.rows_skipped,
        }

    def summary(self) -> str:
        rate = f", {self.rows_read / self.seconds:,.0f} rows/s" if self.seconds and self.rows_read else ""
        lines = [
            f"gdelt: {self.rows_read} export rows in {self.seconds:.2f}s{rate}",
            f"  events: {self.events_created} created, {self.events_updated} updated, "
            f"{self.events_unchanged} unchanged",
            f"  articles: {self.articles_stubbed} stubs created, {self.source_links} new source links"
            + (
                f" ({self.sources_not_url} source URLs were citations, not links)"
                if self.sources_not_url
                else ""
            ),
        ]
        if self.mentions_read:
            lines.append(
                f"  mentions: {self.mentions_read} read, {self.mentions_linked} linked, "
                f"{self.mentions_already_linked} already linked, {self.mentions_unknown_event} of events "
                f"not in the database, {self.mentions_not_url} without a URL"
            )
        if self.type_fallbacks:
            lines.append(
                f"  event codes not in the CAMEO table, filed under a parent: {_top(self.type_fallbacks)}"
            )
        if self.unknown_types:
            lines.append(f"  event codes with no known parent (type left empty): {_top(self.unknown_types)}")
        if self.unresolved_countries:
            lines.append(
                f"  actor country codes with no actor in the database: {_top(self.unresolved_countries)}"
            )
        if self.unknown_fips:
            lines.append(f"  unknown FIPS location codes: {_top(self.unknown_fips)}")
        if self.duplicate_rows:
            lines.append(
                f"  rows repeating an event of the same batch (the later one kept): {self.duplicate_rows}"
            )
        if self.rows_skipped:
            lines.append(f"  skipped rows: {self.rows_skipped} ({_top(self.skip_reasons)})")
        return "\n".join(lines)


class _BadRow(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


# -- input files ----------------------------------------------------------------------------------------
def is_mentions_file(path: str | Path) -> bool:
    """GDELT names its files ``YYYYMMDDHHMMSS.export.CSV`` and ``….mentions.CSV`` (optionally ``.zip``)."""
    return "mentions" in Path(path).name.lower()


def input_bytes(path: str | Path) -> int:
    """How many (uncompressed) bytes importing the file reads: the progress total."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in zf.infolist() if not i.is_dir())
    return path.stat().st_size


def _members(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    with zf.open(info) as fh:
                        yield f"{path}:{info.filename}", fh
    else:
        with path.open("rb") as fh:
            yield str(path), fh


def _lines(
    paths: Iterable[str | Path], report: ImportReport, advance: Callable[[int], None]
) -> Iterator[tuple[str, int, list[str]]]:
    """(file name, 1-based line number, fields) for every non-blank line of every file."""
    for p in paths:
        for name, fh in _members(Path(p)):
            report.files.append(name)
            for lineno, raw in enumerate(fh, 1):
                advance(len(raw))
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                if text.strip():
                    yield name, lineno, text.split("\t")


# -- parsing helpers ------------------------------------------------------------------------------------
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


_SMALL_WORDS = frozenset(
    {"a", "an", "and", "at", "de", "del", "for", "in", "of", "on", "the", "to", "la", "le"}
)
_ACRONYMS = frozenset(
    {"UN", "US", "USA", "UK", "EU", "UAE", "NGO", "IMF", "FBI", "CIA", "ISIS", "ISIL", "NATO", "ASEAN", "SADC",
     "AU", "UNICEF", "WHO", "BBC", "CNN", "PKK", "IRA", "ANC", "OPEC", "GCC", "ECOWAS", "FARC", "KGB", "NSA",
     "ICC", "OAS", "WTO", "IAEA", "UNESCO", "UNHCR", "YPG", "SDF", "ETA", "LTTE", "MP", "MPS", "CEO", "PLO"}
)  # fmt: skip


def _cap_word(word: str, first: bool) -> str:
    if word.upper() in _ACRONYMS:
        return word.upper()
    if not first and word.lower() in _SMALL_WORDS:
        return word.lower()
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def readable_name(name: str) -> str:
    """GDELT's upper-case names in title case: ``THE EUROPEAN UNION`` -> ``The European Union``."""
    words = name.split()
    return " ".join(_cap_word(w, i == 0) for i, w in enumerate(words))


_EXT = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cms|cfm|shtml|xml)$", re.IGNORECASE)
_SPLIT = re.compile(r"[-_+.,\s]+")


def title_from_url(url: str, fallback: str) -> str:
    """A readable title from the last wordy path segment of a URL (``…/riverbend-plans-hotel.html`` ->
    ``Riverbend plans hotel``); ``fallback`` (the source's name) when the URL has no words to offer."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return fallback
    for seg in reversed([s for s in path.split("/") if s]):
        words = [
            w
            for w in _SPLIT.split(_EXT.sub("", unquote(seg)))
            if w and not w.isdigit() and not (len(w) > 5 and any(c.isdigit() for c in w))
        ]
        if len(words) >= 2:
            text = " ".join(words)[:300]
            return text[:1].upper() + text[1:]
    return fallback


_NOT_SPECIFIED = re.compile(r",?\s*not spec(?:ified)?(?: below)?\s*$", re.IGNORECASE)


def _clean_type_name(name: str) -> str:
    """``Make statement, not specified below`` -> ``Make statement``: the catch-all suffix reads badly."""
    return _NOT_SPECIFIED.sub("", name).strip() or name.strip()


# -- what the database knows, loaded once ---------------------------------------------------------------
@dataclass
class _Known:
    type_names: dict[str, str]
    iso3: dict[str, int]  # ISO alpha-3 -> country actor
    names: dict[str, int]  # folded name or alias -> non-country actor
    codes: dict[str, int]  # CAMEO actor or group code -> actor
    actor_names: dict[int, str]
    country_forms: dict[int, set[str]]  # country actor -> its folded name, names and abbreviations

    @classmethod
    def load(cls, conn: Connection) -> _Known:
        type_names = {c: n for c, n in conn.execute(select(EventType.code, EventType.name))}
        actors = conn.execute(select(Actor.id, Actor.kind, Actor.name, Actor.slug, Actor.country)).all()
        actor_names = {a.id: a.name for a in actors}
        kind = {a.id: a.kind for a in actors}
        iso3: dict[str, int] = {}
        for a in actors:
            if a.kind == "country" and a.country:
                iso3.setdefault(a.country.upper(), a.id)
        codes: dict[str, int] = {}
        by_slug = {a.slug: a.id for a in actors}
        for code, slug in KNOWN_GROUPS.items():
            if slug in by_slug:
                codes[code] = by_slug[slug]
        for scheme, value, actor_id in conn.execute(
            select(ExternalId.scheme, ExternalId.value, ExternalId.actor_id).where(
                ExternalId.scheme.in_(("iso3", "cameo"))
            )
        ):
            if scheme == "iso3":
                iso3[value.upper()] = actor_id
            else:
                codes[value.upper()] = actor_id

        country_forms: dict[int, set[str]] = defaultdict(set)
        names: dict[str, int] = {}
        clashes: set[str] = set()

        def add(form: str, actor_id: int) -> None:
            if not form:
                return
            if form in names and names[form] != actor_id:
                clashes.add(form)
            names.setdefault(form, actor_id)

        # Countries are resolved by their CAMEO code, which is authoritative; names add the actors that
        # codes cannot name: people, organisations, alliances. Metonyms and demonyms ("Brussels",
        # "American") depend on context and are left out, and so are aliases marked ambiguous.
        for a in actors:
            if a.kind == "country":
                country_forms[a.id].add(fold(a.name))
            else:
                add(fold(a.name), a.id)
        for actor_id, norm, ambiguous in conn.execute(
            select(ActorAlias.actor_id, ActorAlias.normalized, ActorAlias.ambiguous).where(
                ActorAlias.kind.in_(("name", "abbreviation"))
            )
        ):
            if kind.get(actor_id) == "country":
                country_forms[actor_id].add(norm)
            elif not ambiguous:
                add(norm, actor_id)
        for form in clashes:
            names.pop(form, None)
        return cls(type_names, iso3, names, codes, actor_names, dict(country_forms))


def _name_key(name: str) -> str:
    key = fold(name)
    return key[4:] if key.startswith("the ") else key


# -- the importer ---------------------------------------------------------------------------------------
def _dialect_insert(dialect: str) -> Callable[[Table], Any]:
    """The dialect's INSERT construct, the one with ON CONFLICT (DO UPDATE | DO NOTHING)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise NotImplementedError(f"GDELT import supports SQLite and PostgreSQL, not {dialect}")


class _Importer:
    def __init__(
        self,
        engine: Engine,
        report: ImportReport,
        batch_size: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.engine = engine
        self.writer = (
            engine.execution_options(sqlite_begin="immediate") if engine.dialect.name == "sqlite" else engine
        )
        self.report = report
        self.batch_size = max(1, batch_size)
        self.progress = progress
        self._pending_bytes = 0
        self._insert = _dialect_insert(engine.dialect.name)
        self.known: _Known | None = None
        self._actors: dict[tuple[str, ...], tuple[str, dict[str, Any], tuple[int, ...], str | None]] = {}
        self._urls: dict[str, str | None] = {}
        self.events: Table = Event.__table__  # type: ignore[assignment]
        self.articles: Table = Article.__table__  # type: ignore[assignment]
        self.participants: Table = EventParticipant.__table__  # type: ignore[assignment]
        self.links: Table = EventArticle.__table__  # type: ignore[assignment]

    def _in(self, column: Any, values: Iterable[Any]) -> Any:
        """``column IN (values)``; on PostgreSQL ``= ANY(array)``: one parameter instead of thousands, which
        the driver would otherwise parse out of a very long statement on every batch."""
        values = list(values)
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
        return column.in_(values)

    # progress is reported per batch: cheap even for files of millions of rows
    def _advance(self, n: int) -> None:
        self._pending_bytes += n

    def _flush_progress(self) -> None:
        if self.progress and self._pending_bytes:
            self.progress(self._pending_bytes)
        self._pending_bytes = 0

    def prepare(self) -> None:
        with self.writer.begin() as conn:
            ensure_event_types(conn, self._insert)
            self.known = _Known.load(conn)

    # -- export rows ------------------------------------------------------------------------------------
    def run_exports(self, paths: Sequence[str | Path]) -> None:
        batch: dict[str, dict[str, Any]] = {}
        for name, lineno, cols in _lines(paths, self.report, self._advance):
            self.report.rows_read += 1
            try:
                row = self._parse_event(cols)
            except _BadRow as bad:
                self.report.skip(name, lineno, bad.kind, bad.detail)
                continue
            if row["external_id"] in batch:
                self.report.duplicate_rows += 1
            batch[row["external_id"]] = row
            if len(batch) >= self.batch_size:
                self._write_events(batch)
                batch = {}
        if batch:
            self._write_events(batch)
        self._flush_progress()

    def _actor(
        self, cols: list[str], base: int, role: str, out: set[tuple[int, str]]
    ) -> tuple[str, dict[str, Any]]:
        """Resolve one actor block: adds (actor_id, role) pairs to ``out``; returns the display name and
        the raw fields kept in attributes. Blocks repeat a lot, so each distinct one is resolved once."""
        block = tuple(cols[base : base + 10])
        info = self._actors.get(block)
        if info is None:
            info = self._actors[block] = self._resolve_actor(block)
        display, kept, actor_ids, unresolved = info
        out.update((actor_id, role) for actor_id in actor_ids)
        if unresolved:
            self.report.unresolved_countries[unresolved] += 1
        return display, kept

    def _resolve_actor(
        self, block: tuple[str, ...]
    ) -> tuple[str, dict[str, Any], tuple[int, ...], str | None]:
        known = self.known
        assert known is not None
        raw = {k: block[i].strip() for i, k in enumerate(ACTOR_FIELDS)}
        types = [block[i].strip() for i in ACTOR_TYPES if block[i].strip()]
        kept: dict[str, Any] = {k: v for k, v in raw.items() if v}
        if types:
            kept["types"] = types
        gdelt_name = raw["name"]
        display = readable_name(gdelt_name) if gdelt_name else ""
        key = _name_key(gdelt_name) if gdelt_name else ""
        actor_ids: list[int] = []
        unresolved = None

        country_code = raw["country"].upper()
        if country_code:
            region = cameo_region(country_code)
            iso3 = cameo_to_iso3(country_code)
            country_id = known.iso3.get(iso3) if iso3 else None
            if region:
                kept["region"] = region
            elif country_id is None:
                unresolved = country_code
            if country_id is not None:
                actor_ids.append(country_id)
                # "THE US", "UNITED STATES": name the country as we do
                if not gdelt_name or key in known.country_forms.get(country_id, ()):
                    display = known.actor_names[country_id]

        named = known.names.get(key) if key else None
        if named is None:
            for code in (raw["known_group"].upper(), raw["code"].upper()):
                if code and code in known.codes:
                    named = known.codes[code]
                    break
        if named is not None:
            actor_ids.append(named)
            display = known.actor_names[named]
        return display, kept, tuple(actor_ids), unresolved

    def _canonical(self, url: str) -> str | None:
        """The canonical URL, or None when it is not an http(s) URL we can store; memoised (a source URL
        usually carries many events)."""
        try:
            return self._urls[url]
        except KeyError:
            pass
        try:
            canonical: str | None = _canonicalize(url)
        except ValueError:
            canonical = None
        if canonical is not None and len(canonical) > MAX_URL:
            canonical = None
        if len(self._urls) > 200_000:
            self._urls.clear()
        self._urls[url] = canonical
        return canonical

    def _parse_event(self, cols: list[str]) -> dict[str, Any]:
        known = self.known
        assert known is not None
        if len(cols) != EXPORT_COLUMNS:
            raise _BadRow(
                "wrong column count", f"expected {EXPORT_COLUMNS} tab-separated columns, found {len(cols)}"
            )
        ext = cols[C_ID].strip()
        if not (ext.isascii() and ext.isdigit() and len(ext) <= 20):
            raise _BadRow("non-numeric GLOBALEVENTID", repr(ext))
        try:
            start = _yyyymmdd(cols[C_SQLDATE])
        except ValueError:
            raise _BadRow("bad SQLDATE", repr(cols[C_SQLDATE])) from None

        code = cols[C_CODE].strip()
        type_code = next((c for c in (code, code[:3], code[:2]) if c and c in known.type_names), None)
        if type_code is None:
            self.report.unknown_types[code] += 1
        elif type_code != code:
            self.report.type_fallbacks[f"{code}->{type_code}"] += 1

        participants: set[tuple[int, str]] = set()
        name1, raw1 = self._actor(cols, A1, "initiator", participants)
        name2, raw2 = self._actor(cols, A2, "target", participants)
        action = _clean_type_name(known.type_names[type_code]) if type_code else f"CAMEO event {code or '?'}"
        title = " — ".join(p for p in (name1, action, name2) if p)

        fips = cols[C_GEO_CC].strip().upper()
        country = fips_to_iso3(fips) if fips else None
        if fips and not is_known_fips(fips):
            self.report.unknown_fips[fips] += 1
        lat, lon = _float(cols[C_GEO_LAT]), _float(cols[C_GEO_LON])
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None
        location_name = cols[C_GEO_NAME].strip()[:512] or None

        added = _timestamp(cols[C_DATEADDED])
        url = cols[C_URL].strip()
        attributes: dict[str, Any] = {
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
        if raw1:
            attributes["actor1"] = raw1
        if raw2:
            attributes["actor2"] = raw2
        geo = {
            "type": _int(cols[C_GEO_TYPE]),
            "fips": fips,
            "adm1": cols[C_GEO_ADM1].strip(),
            "adm2": cols[C_GEO_ADM2].strip(),
            "feature_id": cols[C_GEO_FID].strip(),
        }
        geo = {k: v for k, v in geo.items() if v not in ("", None, 0)}
        if geo:
            attributes["action_geo"] = geo
        return {
            "external_id": ext,
            "type_code": type_code,
            "title": title,
            "start_date": start,
            "location_name": location_name,
            "location_country": country,
            "lat": lat,
            "lon": lon,
            "attributes": attributes,
            "_participants": participants,
            "_url": url,
            "_published": added or datetime(start.year, start.month, start.day),
        }

    def _write_events(self, batch: dict[str, dict[str, Any]]) -> None:
        ev = self.events
        report = self.report
        with self.writer.begin() as conn:
            existing = {
                r.external_id: r
                for r in conn.execute(
                    select(ev.c.id, ev.c.external_id, *(ev.c[c] for c in EVENT_COLUMNS)).where(
                        ev.c.source == SOURCE, self._in(ev.c.external_id, batch)
                    )
                )
            }
            have_parts: dict[int, set[tuple[int, str]]] = defaultdict(set)
            if existing:
                ids = [r.id for r in existing.values()]
                pt = self.participants
                for part in conn.execute(
                    select(pt.c.event_id, pt.c.actor_id, pt.c.role).where(self._in(pt.c.event_id, ids))
                ):
                    have_parts[part.event_id].add((part.actor_id, part.role))

            event_ids: dict[str, int] = {}
            to_write: list[dict[str, Any]] = []
            replaced: list[int] = []
            for ext, row in batch.items():
                old = existing.get(ext)
                if old is None:
                    to_write.append(row)
                    continue
                event_ids[ext] = old.id
                same = all(getattr(old, c) == row[c] for c in EVENT_COLUMNS if c != "attributes")
                same = same and old.attributes == row["attributes"]
                if same and have_parts[old.id] == row["_participants"]:
                    report.events_unchanged += 1
                else:
                    to_write.append(row)
                    replaced.append(old.id)

            if to_write:
                now = utcnow()
                ins = self._insert(ev)
                # No RETURNING: a plain executemany (psycopg pipelines it) beats one huge multi-row
                # statement on PostgreSQL; the new ids are read back with one query.
                stmt = ins.on_conflict_do_update(
                    index_elements=[ev.c.source, ev.c.external_id],
                    set_={**{c: ins.excluded[c] for c in EVENT_COLUMNS}, "updated_at": now},
                )
                values = [
                    {"source": SOURCE, "status": "reported", "created_at": now, "updated_at": now}
                    | {k: v for k, v in row.items() if not k.startswith("_")}
                    for row in to_write
                ]
                conn.execute(stmt, values)
                new_exts = [row["external_id"] for row in to_write if row["external_id"] not in event_ids]
                if new_exts:
                    event_ids.update(
                        conn.execute(
                            select(ev.c.external_id, ev.c.id).where(
                                ev.c.source == SOURCE, self._in(ev.c.external_id, new_exts)
                            )
                        ).all()
                    )
                report.events_updated += len(replaced)
                report.events_created += len(to_write) - len(replaced)
                if replaced:
                    conn.execute(
                        delete(self.participants).where(self._in(self.participants.c.event_id, replaced))
                    )
                parts = [
                    {"event_id": event_ids[row["external_id"]], "actor_id": actor_id, "role": role}
                    for row in to_write
                    for actor_id, role in sorted(row["_participants"])
                ]
                if parts:
                    conn.execute(self._insert(self.participants).on_conflict_do_nothing(), parts)

            # Every row, changed or not, makes sure its source article and link exist: cheap, and it
            # repairs links to articles deleted since the last import.
            wanted: list[tuple[int, str, str, datetime]] = []
            for ext, row in batch.items():
                url = row["_url"]
                if not url:
                    continue
                canonical = self._canonical(url)
                if canonical is None:
                    report.sources_not_url += 1
                    continue
                wanted.append((event_ids[ext], url, canonical, row["_published"]))
            article_ids = self._stub_articles(conn, [(u, c, None, p) for _, u, c, p in wanted])
            report.source_links += self._link(conn, {(e, article_ids[c]) for e, _, c, _ in wanted})
        self._flush_progress()

    # -- articles and links -----------------------------------------------------------------------------
    def _stub_articles(
        self, conn: Connection, items: list[tuple[str, str, str | None, datetime]]
    ) -> dict[str, int]:
        """Make sure an article exists for every (url, canonical url, source name, published_at); returns
        canonical url -> article id. Existing articles, stubs or not, are left as they are."""
        art = self.articles
        by_canonical: dict[str, tuple[str, str | None, datetime]] = {}
        for url, canonical, source, published in items:
            by_canonical.setdefault(canonical, (url, source, published))
        if not by_canonical:
            return {}
        found = dict(
            conn.execute(
                select(art.c.canonical_url, art.c.id).where(self._in(art.c.canonical_url, by_canonical))
            ).all()
        )
        missing = [c for c in by_canonical if c not in found]
        if missing:
            now = utcnow()
            rows = []
            for canonical in missing:
                url, source, published = by_canonical[canonical]
                host = (urlsplit(canonical).hostname or "").removeprefix("www.")
                source_name = (source or host or "unknown")[:255]
                rows.append(
                    {
                        "url": url,
                        "canonical_url": canonical,
                        "title": title_from_url(canonical, source_name),
                        "body": "",
                        "source": source_name,
                        "published_at": published,
                        "is_stub": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            stmt = self._insert(art).on_conflict_do_nothing(index_elements=[art.c.canonical_url])
            conn.execute(stmt, rows)
            inserted: dict[str, int] = dict(
                conn.execute(
                    select(art.c.canonical_url, art.c.id).where(self._in(art.c.canonical_url, missing))
                ).all()
            )
            # Rows another writer stored between our look-up and insert are not ours, but only a
            # PostgreSQL import racing another ingest can see that; it only skews the count.
            self.report.articles_stubbed += len(inserted)
            found.update(inserted)
        return found

    def _link(self, conn: Connection, pairs: set[tuple[int, int]]) -> int:
        """Insert the (event_id, article_id) links that are missing; returns how many were new."""
        if not pairs:
            return 0
        lk = self.links
        have = set(
            conn.execute(
                select(lk.c.event_id, lk.c.article_id).where(self._in(lk.c.event_id, {e for e, _ in pairs}))
            ).all()
        )
        new = sorted(pairs - have)
        if new:
            conn.execute(
                self._insert(lk).on_conflict_do_nothing(), [{"event_id": e, "article_id": a} for e, a in new]
            )
        return len(new)

    # -- mentions ---------------------------------------------------------------------------------------
    def run_mentions(self, paths: Sequence[str | Path]) -> None:
        batch: list[tuple[str, str, str, datetime]] = []
        for name, lineno, cols in _lines(paths, self.report, self._advance):
            self.report.mentions_read += 1
            if len(cols) not in MENTIONS_COLUMNS:
                self.report.skip(
                    name, lineno, "wrong column count", f"expected 16 columns, found {len(cols)}"
                )
                continue
            ext = cols[M_ID].strip()
            if not (ext.isascii() and ext.isdigit() and len(ext) <= 20):
                self.report.skip(name, lineno, "non-numeric GLOBALEVENTID", repr(ext))
                continue
            when = _timestamp(cols[M_TIME])
            if when is None:
                self.report.skip(name, lineno, "bad MentionTimeDate", repr(cols[M_TIME]))
                continue
            batch.append((ext, cols[M_IDENT].strip(), cols[M_SOURCE].strip(), when))
            if len(batch) >= self.batch_size:
                self._write_mentions(batch)
                batch = []
        if batch:
            self._write_mentions(batch)
        self._flush_progress()

    def _write_mentions(self, batch: list[tuple[str, str, str, datetime]]) -> None:
        ev = self.events
        report = self.report
        with self.writer.begin() as conn:
            ids: dict[str, int] = dict(
                conn.execute(
                    select(ev.c.external_id, ev.c.id).where(
                        ev.c.source == SOURCE, self._in(ev.c.external_id, {m[0] for m in batch})
                    )
                ).all()
            )
            wanted: list[tuple[int, str, str, str, datetime]] = []
            for ext, url, source, when in batch:
                event_id = ids.get(ext)
                if event_id is None:
                    report.mentions_unknown_event += 1
                    continue
                canonical = self._canonical(url)
                if canonical is None:
                    report.mentions_not_url += 1
                    continue
                wanted.append((event_id, url, canonical, source, when))
            article_ids = self._stub_articles(conn, [(u, c, s or None, w) for _, u, c, s, w in wanted])
            pairs = {(e, article_ids[c]) for e, _, c, _, _ in wanted}
            new = self._link(conn, pairs)
            report.mentions_linked += new
            report.mentions_already_linked += len(pairs) - new
        self._flush_progress()


def ensure_event_types(conn: Connection, insert: Any) -> int:
    """Load the CAMEO table when event_types is empty (a migrated but unseeded database)."""
    if conn.execute(select(func.count()).select_from(EventType)).scalar():
        return 0
    from ..seed.events import cameo_types
    from ..seed.loader import SEED_DIR

    path = SEED_DIR / "cameo-event-codes.tsv"
    if not path.exists():
        return 0
    rows = cameo_types(path)
    table: Table = EventType.__table__  # type: ignore[assignment]
    conn.execute(insert(table).on_conflict_do_nothing(), rows)
    return len(rows)


def import_gdelt(
    database: str | Settings | Engine,
    exports: Sequence[str | Path] = (),
    mentions: Sequence[str | Path] = (),
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import GDELT 2.0 export files (plain or .zip), then mentions files, into ``database`` (a URL, the
    Settings, or a sync Engine). ``progress`` is called with the number of bytes read since its last call.
    The schema must be migrated; the CAMEO table is loaded if event_types is empty."""
    start = time.perf_counter()
    owned = not isinstance(database, Engine)
    if isinstance(database, Engine):
        engine = database
    else:
        settings = database if isinstance(database, Settings) else Settings(database_url=database)
        engine = make_sync_engine(settings)
    report = ImportReport()
    try:
        importer = _Importer(engine, report, batch_size, progress)
        importer.prepare()
        if exports:
            importer.run_exports(exports)
        if mentions:
            importer.run_mentions(mentions)
    finally:
        if owned:
            engine.dispose()
    report.seconds = time.perf_counter() - start
    return report
