"""Reading article files for `geonews ingest`: NDJSON, JSON (an array or one object) and RSS/Atom, plain
or compressed (.gz, .bz2, .zip), one by one or a whole directory.

Every record carries where it came from ("entry 3 of feeds/x.xml", "line 5 of a.ndjson"), so that every
failure can say where and why; a record that cannot become an article comes back with its reason
instead of its data. Problems with a whole file (an empty or ill-formed feed, an unreadable archive) are
collected as warnings.

Feeds: `source` is left to the pipeline (the site's host, as for HTTP articles) and the feed's title
goes to `feed_title`. An entry's date is its own; an undated entry gets the feed's own date, marked
`date_source: feed_updated`; with neither it fails ("no date"), unless the caller asks to keep it with
the ingestion time, marked `date_source: ingested` — never the ingestion time passed off as publication.
"""

from __future__ import annotations

import bz2
import calendar
import gzip
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from .cleaning import clean_text
from .language import declared_language

__all__ = ["FEED_SUFFIXES", "Input", "Record", "Warning_", "count_records", "expand", "read_input", "sniff"]

FEED_SUFFIXES = (".rss", ".atom", ".xml", ".rdf")
JSON_SUFFIXES = (".ndjson", ".jsonl", ".json")
COMPRESSED = (".gz", ".bz2")
TITLE_FROM_TEXT = 100  # an untitled feed entry is titled with the start of its text, cut at a word


@dataclass
class Record:
    where: str  # "entry 3 of feeds/x.xml"
    data: Any = None  # the record (a dict for valid ones), None when `reason` says why not
    reason: str | None = None  # why the record cannot become an article ("no link and no title")


@dataclass
class Warning_:
    file: str
    reason: str  # "empty feed", "ill-formed feed", "unreadable file", "skipped"
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Input:
    """One file to read: a path, or a member of a zip archive."""

    name: str  # as shown in messages: the path as given, "archive.zip:member.xml" inside an archive
    path: Path
    member: str | None = None

    @property
    def inner_name(self) -> str:
        """The name without the compression suffix, which tells the format."""
        name = (self.member or self.path.name).lower()
        for suffix in COMPRESSED:
            name = name.removesuffix(suffix)
        return name

    def open(self) -> IO[bytes]:
        if self.member is not None:
            with zipfile.ZipFile(self.path) as archive:
                return io.BufferedReader(io.BytesIO(archive.read(self.member)))
        name = self.path.name.lower()
        if name.endswith(".gz"):
            return gzip.GzipFile(self.path, "rb")  # type: ignore[return-value]
        if name.endswith(".bz2"):
            return bz2.BZ2File(self.path, "rb")  # type: ignore[return-value]
        return self.path.open("rb")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _known(name: str) -> bool:
    return name.endswith(FEED_SUFFIXES + JSON_SUFFIXES)


def expand(paths: list[Path], warnings: list[Warning_]) -> list[Input]:
    """The files to read: directories walked (sorted, hidden files left out), zip archives opened."""
    out: list[Input] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                out.extend(_inputs(child, warnings, from_directory=True))
        else:
            out.extend(_inputs(path, warnings, from_directory=False))
    return out


def _inputs(path: Path, warnings: list[Warning_], *, from_directory: bool) -> list[Input]:
    name = _display(path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = sorted(m.filename for m in archive.infolist() if not m.is_dir())
        except (zipfile.BadZipFile, OSError) as exc:
            warnings.append(Warning_(name, "unreadable file", f"not a zip archive: {exc}"))
            return []
        inputs = [Input(f"{name}:{m}", path, m) for m in members]
        known = [i for i in inputs if _known(i.inner_name)]
        for i in inputs:
            if i not in known:
                warnings.append(Warning_(i.name, "skipped", "not NDJSON, JSON or a feed"))
        return known
    item = Input(name, path)
    if from_directory and not _known(item.inner_name):
        warnings.append(Warning_(name, "skipped", "not NDJSON, JSON or a feed"))
        return []
    return [item]


def sniff(item: Input, head: bytes) -> str:
    """ "feed", "json" or "ndjson", from the name (without .gz/.bz2) or else the first bytes."""
    name = item.inner_name
    if name.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    if name.endswith(FEED_SUFFIXES):
        return "feed"
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "feed"
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "json" if name.endswith(".json") else "ndjson"
    return "ndjson"


def read_input(
    item: Input, warnings: list[Warning_], *, undated_as_ingested: bool = False, parse: bool = True
) -> Iterator[Record]:
    """Every record of one file, each with where it came from (and why it failed, if it did). Without
    `parse`, NDJSON's records come unread (`_UNREAD`), one a non-blank line: what count_records counts."""
    try:
        fh = item.open()
        head = fh.peek(512)[:512] if hasattr(fh, "peek") else b""
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        warnings.append(Warning_(item.name, "unreadable file", str(exc)))
        return
    with fh:
        try:
            kind = sniff(item, head)
            if kind == "feed":
                yield from _read_feed(item.name, fh.read(), warnings, undated_as_ingested)
            elif kind == "json":
                yield from _read_json(item.name, fh.read(), warnings)
            else:
                yield from _read_ndjson(item.name, fh) if parse else _ndjson_lines(fh)
        except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
            # A truncated or corrupt compressed file: what was read before stays read.
            warnings.append(Warning_(item.name, "unreadable file", str(exc) or type(exc).__name__))


def count_records(item: Input, *, undated_as_ingested: bool = False) -> int:
    """How many records `read_input` gives for `item`, NDJSON's lines counted without parsing them (a line
    that is not JSON is a record too: it fails)."""
    return sum(1 for _ in read_input(item, [], undated_as_ingested=undated_as_ingested, parse=False))


_UNREAD = Record("")


def _ndjson_lines(fh: IO[bytes]) -> Iterator[Record]:
    return (_UNREAD for line in fh if line.strip())


def _read_ndjson(name: str, fh: IO[bytes]) -> Iterator[Record]:
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        where = f"line {number} of {name}"
        try:
            yield Record(where, orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield Record(where, reason=f"not valid JSON ({exc})")


def _read_json(name: str, raw: bytes, warnings: list[Warning_]) -> Iterator[Record]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        warnings.append(Warning_(name, "unreadable file", f"not valid JSON: {exc}"))
        return
    items = data if isinstance(data, list) else [data]
    for number, obj in enumerate(items, start=1):
        yield Record(f"record {number} of {name}", obj)


def _time(value: Any) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()
    except (OverflowError, ValueError, TypeError):
        return None


def _entry_time(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = _time(entry.get(key))
        if value:
            return value
    return None


def _ill_formed(feed: Any) -> str | None:
    """Why the feed is not well-formed, or None (a declared encoding that was wrong is not a reason)."""
    if not feed.get("bozo"):
        return None
    import feedparser

    exc = feed.get("bozo_exception")
    if isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType):
        return None
    line = getattr(exc, "getLineNumber", lambda: None)()
    message = getattr(exc, "getMessage", lambda: str(exc))()
    return f"line {line}: {message}" if line else str(message or type(exc).__name__)


def _title_from_text(text: str) -> str | None:
    if not text:
        return None
    first = text.split("\n\n", 1)[0]
    if len(first) <= TITLE_FROM_TEXT:
        return first
    cut = first.rfind(" ", 0, TITLE_FROM_TEXT)
    return first[: cut if cut > 20 else TITLE_FROM_TEXT].rstrip(" ,;:-") + "…"


def _read_feed(
    name: str, raw: bytes, warnings: list[Warning_], undated_as_ingested: bool
) -> Iterator[Record]:
    import feedparser

    feed = feedparser.parse(raw)
    problem = _ill_formed(feed)
    if not feed.entries:
        if problem:
            warnings.append(Warning_(name, "ill-formed feed", f"{problem}; no entries"))
        elif not feed.get("version"):
            warnings.append(Warning_(name, "empty feed", "not an RSS or Atom feed, no entries"))
        else:
            warnings.append(Warning_(name, "empty feed", "no entries"))
        return
    if problem:
        warnings.append(
            Warning_(
                name,
                "ill-formed feed",
                f"{problem}; {len(feed.entries)} entr{'y' if len(feed.entries) == 1 else 'ies'} read",
            )
        )
    meta = feed.feed
    feed_title = " ".join((meta.get("title") or "").split())[:500] or None
    feed_date = _time(meta.get("updated_parsed")) or _time(meta.get("published_parsed"))
    language = declared_language(meta.get("language"))
    for number, entry in enumerate(feed.entries, start=1):
        where = f"entry {number} of {name}"
        link = (entry.get("link") or "").strip()
        title = " ".join((entry.get("title") or "").split())
        content = "\n\n".join(c.get("value", "") for c in entry.get("content", ()) if c.get("value"))
        summary = entry.get("summary") or ""
        body = content or summary
        if not link:
            yield Record(where, reason="no link and no title" if not title else "no link")
            continue
        if not title:
            title = _title_from_text(clean_text(summary or content)) or ""
            if not title:
                yield Record(where, reason="no title and no text")
                continue
        published, date_source = _entry_time(entry), "published"
        if published is None and feed_date is not None:
            published, date_source = feed_date, "feed_updated"
        if published is None:
            if not undated_as_ingested:
                yield Record(where, reason="no date (neither the entry nor the feed has one)")
                continue
            published, date_source = datetime.now(UTC).isoformat(), "ingested"
        record: dict[str, Any] = {
            "url": link,
            "title": title[:2000],
            "body": body,
            "published_at": published,
            "date_source": date_source,
            # An entry is a fragment even when it holds a whole page (some feeds do): never extracted.
            "extract": False,
        }
        if summary and content:
            record["summary"] = summary[:20000]
        if feed_title:
            record["feed_title"] = feed_title
        if language:
            record["language"] = language
        tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
        if tags:
            record["tags"] = [t[:100] for t in tags[:100]]
        yield Record(where, record)
