"""Linking quality on the gold set: precision, recall and F1, overall and per mention kind.

The gold set (tests/data/linking_gold/*.json) is 50 wire-style articles with every actor mention
annotated by hand: character offsets, the intended actor's slug and the kind of mention (name, alias,
abbreviation, demonym, metonym = a capital standing for its government, seat = a seat of government
such as the Kremlin, surname). Each article also lists traps that must NOT be linked (a city as a place,
an acronym in another sense, a person named like a country...). Articles are split into `dev` (used
to tune the linker) and `heldout` (never tuned on).

A predicted mention is correct when its span AND its actor equal a gold mention's. Precision per kind
counts a false positive under the kind the linker reports (name / alias / abbreviation / demonym /
metonym / seat / surname); recall per kind uses the gold kind.

    .venv/bin/python bench/linking.py [--gold DIR] [--database URL] [--errors] [--json] [--speed]

Without --database the seed data is loaded into a throw-away SQLite file first, so the figures are
those of a fresh `geonews seed`. The test suite runs the same evaluation (tests/ingestion/
test_linking_gold.py) on both engines and asserts precision >= 0.97 and recall >= 0.95 overall.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.actors.gazetteer import load_entries  # noqa: E402
from app.ingestion.linker import Gazetteer, GazetteerEntry, Match, is_seat_of_power  # noqa: E402
from app.models import Actor  # noqa: E402
from app.text import fold  # noqa: E402

GOLD_DIR = ROOT / "tests" / "data" / "linking_gold"
KINDS = ("name", "alias", "abbreviation", "demonym", "metonym", "seat", "surname")
SPLITS = ("dev", "heldout")


@dataclass(frozen=True)
class GoldArticle:
    id: str
    split: str
    text: str
    mentions: frozenset[tuple[int, int, str]]  # (start, end, actor slug)
    kinds: dict[tuple[int, int, str], str]
    traps: tuple[dict[str, Any], ...]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    overall: Counts = field(default_factory=Counts)
    by_kind: dict[str, Counts] = field(default_factory=dict)
    errors: list[tuple[str, str, int, int, str, str]] = field(
        default_factory=list
    )  # id, FP/FN, span, text, actor
    traps_linked: int = 0
    traps: int = 0
    articles: int = 0

    def kind(self, name: str) -> Counts:
        return self.by_kind.setdefault(name, Counts())


def load_gold(folder: Path = GOLD_DIR) -> list[GoldArticle]:
    articles = []
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        text = doc["text"]
        kinds = {}
        for m in doc["mentions"]:
            if text[m["start"] : m["end"]] != m["text"]:
                raise ValueError(f"{path.name}: text[{m['start']}:{m['end']}] is not {m['text']!r}")
            if m["kind"] not in KINDS:
                raise ValueError(f"{path.name}: unknown mention kind {m['kind']!r}")
            kinds[(m["start"], m["end"], m["actor"])] = m["kind"]
        for t in doc.get("non_mentions", []):
            if text[t["start"] : t["end"]] != t["text"]:
                raise ValueError(f"{path.name}: trap text[{t['start']}:{t['end']}] is not {t['text']!r}")
        articles.append(
            GoldArticle(
                doc["id"], doc["split"], text, frozenset(kinds), kinds, tuple(doc.get("non_mentions", []))
            )
        )
    if not articles:
        raise ValueError(f"no gold articles in {folder}")
    return articles


@dataclass(frozen=True)
class Linker:
    """A gazetteer built from a seeded database, with what is needed to name its predictions."""

    gazetteer: Gazetteer
    slugs: dict[int, str]
    names: dict[int, tuple[str, str]]  # id -> (kind, folded name)

    def predict(self, text: str) -> dict[tuple[int, int, str], str]:
        return {(m.start, m.end, self.slugs[m.actor_id]): self.kind_of(m) for m in self.gazetteer.find(text)}

    def kind_of(self, m: Match) -> str:
        """The mention kind of a prediction, in the gold set's vocabulary."""
        if m.alias_kind == "metonym":
            return "seat" if is_seat_of_power(m.text) else "metonym"
        if m.alias_kind in ("surname", "demonym", "abbreviation"):
            return m.alias_kind
        actor_kind, name = self.names[m.actor_id]
        if fold(m.text) == name:
            return "name"
        if actor_kind == "person" and len(m.text.split()) == 1:
            return "surname"
        return "alias"


def linker_for(settings: Any) -> Linker:
    """The linker of the database these settings name (a short-lived engine, disposed)."""
    from sqlalchemy.orm import Session

    from app.db import make_sync_engine

    engine = make_sync_engine(settings)
    try:
        with Session(engine) as session:
            return linker_from_session(session)
    finally:
        engine.dispose()


def linker_from_session(session: Session, extra: Iterable[GazetteerEntry] = ()) -> Linker:
    rows = session.execute(select(Actor.id, Actor.slug, Actor.kind, Actor.name)).all()
    return Linker(
        Gazetteer([*load_entries(session), *extra]),
        {r.id: r.slug for r in rows},
        {r.id: (r.kind, fold(r.name)) for r in rows},
    )


def evaluate(linker: Linker, articles: Iterable[GoldArticle]) -> Report:
    report = Report()
    for art in articles:
        report.articles += 1
        predicted = linker.predict(art.text)
        for key, kind in art.kinds.items():
            c = report.kind(kind)
            if key in predicted:
                c.tp += 1
                report.overall.tp += 1
            else:
                c.fn += 1
                report.overall.fn += 1
                report.errors.append(
                    (art.id, "FN", key[0], key[1], art.text[key[0] : key[1]], f"{key[2]} ({kind})")
                )
        for key, kind in predicted.items():
            if key not in art.mentions:
                report.kind(kind).fp += 1
                report.overall.fp += 1
                report.errors.append(
                    (art.id, "FP", key[0], key[1], art.text[key[0] : key[1]], f"{key[2]} ({kind})")
                )
        spans = {(s, e) for s, e, _ in predicted}
        for trap in art.traps:
            report.traps += 1
            if any(s < trap["end"] and trap["start"] < e for s, e in spans):
                report.traps_linked += 1
    return report


def seeded_database(folder: Path) -> str:
    """A migrated SQLite file in `folder` holding a fresh `geonews seed`."""
    from app import migrate
    from app.config import Settings
    from app.db import make_sync_engine
    from app.seed.loader import seed

    url = f"sqlite:///{folder / 'linking.db'}"
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    try:
        seed(engine)
    finally:
        engine.dispose()
    return url


def linker_from_url(url: str, extra: Iterable[GazetteerEntry] = ()) -> Linker:
    from app.config import Settings
    from app.db import make_sync_engine

    engine = make_sync_engine(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    try:
        with Session(engine) as session:
            return linker_from_session(session, extra)
    finally:
        engine.dispose()


def synthetic_entries(n: int) -> list[GazetteerEntry]:
    """n made-up actors (persons, organisations, short codes) that never occur in real text."""
    out = []
    for i in range(n):
        actor_id = 10_000_000 + i
        if i % 3 == 0:
            out.append(GazetteerEntry(actor_id, "person", f"Zorvan{i} Quillet{i}", "name"))
        elif i % 3 == 1:
            out.append(GazetteerEntry(actor_id, "organization", f"Synthetic Agency Number {i}", "name"))
        else:
            out.append(GazetteerEntry(actor_id, "organization", f"Q{i:06d}", "abbreviation"))
    return out


def speed(url: str, articles: list[GoldArticle], rounds: int = 20) -> str:
    """Microseconds per article for find(), with the seeded gazetteer and with 50,000 more entries."""
    import time

    texts = [a.text for a in articles]
    chars = sum(len(t) for t in texts)
    lines = []
    for label, extra in (("seeded", ()), ("seeded + 50,000 synthetic", synthetic_entries(50_000))):
        linker = linker_from_url(url, extra)
        for t in texts:  # warm up
            linker.gazetteer.find(t)
        best = float("inf")
        for _ in range(rounds):
            t0 = time.process_time()
            for t in texts:
                linker.gazetteer.find(t)
            best = min(best, time.process_time() - t0)
        lines.append(
            f"| {label} | {len(linker.gazetteer):,} | {best / len(texts) * 1e6:,.0f} | {best / chars * 1e9:,.0f} |"
        )
    return "\n".join(
        [
            f"\nfind() on the {len(texts)} gold articles ({chars:,} characters), CPU time, best of {rounds} rounds:",
            "| gazetteer | keys | µs per article | µs per 1,000 characters |",
            "| --- | ---: | ---: | ---: |",
            *lines,
        ]
    )


def _row(label: str, c: Counts) -> str:
    return f"| {label} | {c.tp + c.fn} | {c.tp} | {c.fp} | {c.fn} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} |"


def render(reports: dict[str, Report]) -> str:
    lines = []
    for split, rep in reports.items():
        lines.append(
            f"\n### {split}: {rep.articles} articles, {rep.overall.tp + rep.overall.fn} gold mentions, "
            f"{rep.traps_linked}/{rep.traps} traps linked"
        )
        lines.append("| kind | gold | correct | false pos. | missed | precision | recall | F1 |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for kind in KINDS:
            if kind in rep.by_kind:
                lines.append(_row(kind, rep.by_kind[kind]))
        lines.append(_row("**all**", rep.overall))
    return "\n".join(lines)


def as_json(reports: dict[str, Report]) -> dict[str, Any]:
    def counts(c: Counts) -> dict[str, Any]:
        return {"tp": c.tp, "fp": c.fp, "fn": c.fn, "precision": c.precision, "recall": c.recall, "f1": c.f1}

    return {
        split: {
            "articles": rep.articles,
            "overall": counts(rep.overall),
            "by_kind": {k: counts(v) for k, v in rep.by_kind.items()},
            "traps": rep.traps,
            "traps_linked": rep.traps_linked,
        }
        for split, rep in reports.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=GOLD_DIR, help="folder of gold articles (*.json)")
    parser.add_argument("--database", help="a seeded database URL (default: seed a temporary SQLite file)")
    parser.add_argument("--errors", action="store_true", help="list every false positive and missed mention")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--speed", action="store_true", help="also time find() (and with 50,000 more entries)"
    )
    args = parser.parse_args(argv)

    articles = load_gold(args.gold)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or seeded_database(Path(tmp))
        linker = linker_from_url(url)
        timing = speed(url, articles) if args.speed else ""
    reports = {split: evaluate(linker, [a for a in articles if a.split == split]) for split in SPLITS}
    reports = {k: v for k, v in reports.items() if v.articles}
    reports["all"] = evaluate(linker, articles)
    if args.json:
        print(json.dumps(as_json(reports), indent=1))
    else:
        print(
            f"Linking gold set {args.gold} ({len(articles)} articles); a mention counts when span and actor match."
        )
        print(render(reports))
        if timing:
            print(timing)
    if args.errors:
        for art_id, what, start, end, text, actor in sorted(reports["all"].errors):
            print(f"{art_id} {what} {start}-{end} {text!r} -> {actor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
