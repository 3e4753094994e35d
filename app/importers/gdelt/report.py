"""What an import did: counts, the rows it skipped (file and line) and the codes it could not place."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_SKIPPED_KEPT = 1000  # every skipped row is counted; this many are listed with file and line


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
