"""Extraction quality on real news pages: trafilatura as geonews configures it against the fragment cleaner.

Two measures over the pages of tests/data/pages (their origin and licence: tests/data/README.md):

1. Words, against each page's expected main text (the ScrapingHub article-extraction-benchmark's ground
   truth, plus one DW page annotated here): per page, precision = shared words / extracted words and
   recall = shared words / expected words, counting each word as often as it occurs (a multiset of
   lower-cased word tokens); the table gives their means over the pages and F1 of those means, as that
   benchmark's evaluate.py does.
2. Snippets, trafilatura's own evaluation (tests/evaluate.py in its repository): each page of its corpus
   lists passages that must be in the main text ("with") and boilerplate that must not ("without");
   precision = with found / (with found + without found), recall = with found / all with.

Title and date are scored on the pages whose annotation has them (trafilatura's corpus): exact title
after whitespace normalisation, and the same calendar day.

    .venv/bin/python bench/extraction.py            # the table
    .venv/bin/python bench/extraction.py --pages    # and one line per page
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py would shadow the standard library's http package that trafilatura's imports need.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from app.ingestion import extract as ex  # noqa: E402
from app.ingestion.cleaning import clean_text  # noqa: E402

PAGES = ROOT / "tests" / "data" / "pages"
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> Counter[str]:
    return Counter(w.casefold() for w in _WORD.findall(text))


def word_scores(expected: str, got: str) -> tuple[float, float]:
    want, have = words(expected), words(got)
    shared = sum((want & have).values())
    precision = shared / sum(have.values()) if have else 0.0
    recall = shared / sum(want.values()) if want else 0.0
    return precision, recall


def norm(text: str) -> str:
    return " ".join(text.split())


def load_word_pages() -> list[dict[str, Any]]:
    out = []
    expected = json.loads((PAGES / "scrapinghub" / "expected.json").read_text(encoding="utf-8"))
    for key, item in sorted(expected.items()):
        out.append({"name": f"sh:{key}", "path": PAGES / "scrapinghub" / f"{key}.html.gz", **item})
    annotated = json.loads((PAGES / "annotated.json").read_text(encoding="utf-8"))
    for key, item in sorted(annotated.items()):
        out.append({"name": key, "path": PAGES / item["file"], **item})
    return out


def load_snippet_pages() -> list[dict[str, Any]]:
    data = json.loads((PAGES / "trafilatura" / "evaldata.json").read_text(encoding="utf-8"))
    return [
        {
            "name": item["file"].removesuffix(".html.gz"),
            "url": url,
            "path": PAGES / "trafilatura" / item["file"],
            **item,
        }
        for url, item in sorted(data.items())
    ]


def read_html(path: Path) -> str:
    raw = gzip.decompress(path.read_bytes())
    from trafilatura.utils import decode_file

    return str(decode_file(raw))


def run_trafilatura(options: dict[str, Any]) -> Callable[[str, str | None], tuple[str, Any]]:
    def run(html: str, url: str | None) -> tuple[str, Any]:
        saved = dict(ex.EXTRACT_OPTIONS)
        ex.EXTRACT_OPTIONS.update(options)
        try:
            result = ex.extract(html, url)
        except ex.ExtractionError:
            return "", None
        finally:
            ex.EXTRACT_OPTIONS.clear()
            ex.EXTRACT_OPTIONS.update(saved)
        return clean_text(result.text, title=result.title, plain=True), result

    return run


def run_cleaner(html: str, url: str | None) -> tuple[str, Any]:
    return clean_text(html), None


SYSTEMS: dict[str, Callable[[str, str | None], tuple[str, Any]]] = {
    "trafilatura as geonews runs it (favor_precision)": run_trafilatura({}),
    "trafilatura balanced (its default)": run_trafilatura({"favor_precision": False}),
    "trafilatura favor_recall": run_trafilatura({"favor_precision": False, "favor_recall": True}),
    "trafilatura fast (no fallback)": run_trafilatura({"favor_precision": False, "fast": True}),
    "fragment cleaner (before)": run_cleaner,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", action="store_true", help="print one line per page")
    parser.add_argument("--only", help="comma list of systems to run (their names in the table)")
    args = parser.parse_args()
    systems = {k: v for k, v in SYSTEMS.items() if not args.only or k in args.only.split(",")}
    word_pages = load_word_pages()
    snippet_pages = load_snippet_pages()
    htmls = {p["name"]: read_html(p["path"]) for p in (*word_pages, *snippet_pages)}

    rows = []
    for name, run in systems.items():
        started = time.perf_counter()
        precisions, recalls = [], []
        tp = fp = fn = 0
        titles = dates = meta_pages = date_pages = 0
        for page in word_pages:
            got, _ = run(htmls[page["name"]], page.get("url"))
            p, r = word_scores(page["articleBody"], got)
            precisions.append(p)
            recalls.append(r)
            if args.pages:
                print(f"{name:28} {page['name']:24} P={p:.3f} R={r:.3f}")
        for page in snippet_pages:
            got, meta = run(htmls[page["name"]], page.get("url"))
            text = norm(got)
            found = sum(1 for s in page["with"] if norm(s) in text)
            wrong = sum(1 for s in page["without"] if norm(s) in text)
            tp, fp, fn = tp + found, fp + wrong, fn + len(page["with"]) - found
            if meta is not None and page.get("title"):
                meta_pages += 1
                titles += norm(meta.title or "") == norm(page["title"])
            if meta is not None and page.get("date"):
                date_pages += 1
                dates += bool(meta.published) and meta.published.date().isoformat() == page["date"]
            if args.pages:
                print(f"{name:28} {page['name']:24} with {found}/{len(page['with'])} without {wrong}")
        elapsed = time.perf_counter() - started
        p, r = statistics.mean(precisions), statistics.mean(recalls)
        sp, sr = tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0
        rows.append(
            (
                name,
                p,
                r,
                2 * p * r / (p + r) if p + r else 0.0,
                sp,
                sr,
                2 * sp * sr / (sp + sr) if sp + sr else 0.0,
                f"{titles}/{meta_pages}" if meta_pages else "-",
                f"{dates}/{date_pages}" if date_pages else "-",
                1000 * elapsed / (len(word_pages) + len(snippet_pages)),
            )
        )

    print(
        f"\n{len(word_pages)} pages with expected text (words), {len(snippet_pages)} pages of trafilatura's "
        "corpus (snippets, title, date)\n"
    )
    print(
        "| system | words P | words R | words F1 | snippets P | snippets R | snippets F1 | title | date | ms/page |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, p, r, f, sp, sr, sf, t, d, ms in rows:
        print(
            f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} | {sp:.3f} | {sr:.3f} | {sf:.3f} | {t} | {d} | {ms:.0f} |"
        )


if __name__ == "__main__":
    main()
