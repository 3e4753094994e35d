"""Place linking on the actor gold set (tests/data/linking_gold): its traps annotate the places.

The gold set was written for actors, and every trap says what a word is when it is not an actor. Those
noted as a place ("place", "city", "city, no actor", "dateline", "... capital, place", "district named as
a place") are the places to find; a place span found elsewhere is wrong when it overlaps a gold actor
mention (a capital acting for its government, a person) or another trap (a golfer named like a capital,
a U.S. state, a river, "Washington Post"). Spans the gold set does not annotate either way are not
scored (listed with --errors).

    .venv/bin/python bench/places.py [--errors] [--speed]

Recall is reported over every gold place and over those the gazetteer holds (a district or a small
town is not in it by design).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.ingestion.places import fold_name, place_linker, places  # noqa: E402
from bench.linking import GoldArticle, Linker, linker_from_url, load_gold, seeded_database  # noqa: E402

PLACE_NOTES = ("place", "city", "dateline", "capital, place")


def is_place_note(note: str) -> bool:
    return any(word in note for word in PLACE_NOTES) and "not" not in note.split(",")[0]


@dataclass
class PlaceReport:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    fn_known: int = 0  # missed places that the gazetteer holds
    unscored: list[tuple[str, int, int, str]] = field(default_factory=list)
    errors: list[tuple[str, str, int, int, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def recall_known(self) -> float:
        return self.tp / (self.tp + self.fn_known) if self.tp + self.fn_known else 1.0


def evaluate_places(linker: Linker, articles: list[GoldArticle]) -> PlaceReport:
    known = {fold_name(n) for r in places() for n in (r.name, *r.aliases)}
    report = PlaceReport()
    for art in articles:
        gold = {(t["start"], t["end"]) for t in art.traps if is_place_note(t["note"])}
        negatives = [(s, e) for s, e, _ in art.mentions] + [
            (t["start"], t["end"]) for t in art.traps if not is_place_note(t["note"])
        ]
        found = place_linker().find(art.text, linker.gazetteer.find(art.text))
        spans = {(p.start, p.end) for p in found}
        for p in found:
            if (p.start, p.end) in gold:
                report.tp += 1
            elif any(s < p.end and p.start < e for s, e in negatives):
                report.fp += 1
                report.errors.append((art.id, "FP", p.start, p.end, p.text))
            else:
                report.unscored.append((art.id, p.start, p.end, p.text))
        for s, e in gold - spans:
            report.fn += 1
            if fold_name(art.text[s:e]) in known:
                report.fn_known += 1
            report.errors.append((art.id, "FN", s, e, art.text[s:e]))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--speed", action="store_true", help="time the place linker on the gold texts")
    args = parser.parse_args(argv)
    articles = load_gold()
    with tempfile.TemporaryDirectory() as tmp:
        linker = linker_from_url(seeded_database(Path(tmp)))
    r = evaluate_places(linker, articles)
    print(
        f"places: precision {r.precision:.3f}  recall {r.recall:.3f}  recall (in gazetteer) {r.recall_known:.3f}"
    )
    print(
        f"  tp {r.tp}  fp {r.fp}  fn {r.fn} (of which in the gazetteer {r.fn_known})  unscored {len(r.unscored)}"
    )
    if args.errors:
        for e in r.errors:
            print("  ", *e)
        for u in r.unscored:
            print("   unscored", *u)
    if args.speed:
        texts = [a.text for a in articles]
        matches = [linker.gazetteer.find(t) for t in texts]
        pl = place_linker()
        rounds = 20
        t0 = time.process_time()
        for _ in range(rounds):
            for t in texts:
                linker.gazetteer.find(t)
        actors = time.process_time() - t0
        t0 = time.process_time()
        for _ in range(rounds):
            for t, m in zip(texts, matches, strict=True):
                pl.find(t, m)
        place = time.process_time() - t0
        n = rounds * len(texts)
        chars = sum(map(len, texts)) / len(texts)
        print(
            f"speed ({len(texts)} articles, mean {chars:.0f} chars, CPU time): actors {actors / n * 1e6:.0f} µs/article, "
            f"places {place / n * 1e6:.0f} µs/article"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
