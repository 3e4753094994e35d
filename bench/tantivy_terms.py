"""What indexing an article costs in Tantivy (all its threads), with the title and body analyzed by Tantivy
(schema version 4: the raw text under the `en_geonews` analyzer) and as the analyzer's terms made in
Python (version 5: `schema.tokens`, space-separated, split on whitespace), and the Python time of encoding
each document (`ArticleDoc.to_json`: the pairs are made from the same terms either way).

    python bench/tantivy_terms.py                     # 8,000 generated articles, best of 3 rounds
    python bench/tantivy_terms.py --articles 16000 --commit-every 1000 --rounds 5

The articles are bench/ingest.py's generated ones (title, body, source, date; no actors: the fast fields
are the same either way). Each round indexes them into a fresh index (one indexing thread, 128 MB heap, a
commit every --commit-every documents, as the indexer commits about every second under ingestion, merges
waited for), timed by the process's CPU (`time.process_time`: Tantivy's threads included). Rounds alternate
between the two schemas; the best of each is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.ingest import write_ndjson  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=8000)
    ap.add_argument("--commit-every", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    import orjson
    import tantivy

    from app.search.engine import schema as s
    from app.search.engine.documents import ArticleDoc

    def analyzer_schema() -> tantivy.Schema:
        """Version 5's schema with version 4's text fields (the analyzer in Tantivy)."""
        sb = tantivy.SchemaBuilder()
        sb.add_unsigned_field(s.ID, indexed=True, fast=True)
        sb.add_text_field(s.TITLE, tokenizer_name=s.ANALYZER, index_option="position")
        sb.add_text_field(s.BODY, tokenizer_name=s.ANALYZER, index_option="position")
        sb.add_text_field(s.TITLE_PAIRS, tokenizer_name=s.TERMS_TOKENIZER, index_option="freq")
        sb.add_text_field(s.BODY_PAIRS, tokenizer_name=s.TERMS_TOKENIZER, index_option="freq")
        sb.add_text_field(s.SOURCE, tokenizer_name="raw", index_option="basic", fast=True)
        sb.add_integer_field(s.PUBLISHED, indexed=False, fast=True)
        sb.add_unsigned_field(s.SEQ, indexed=False, fast=True)
        return sb.build()

    def raw_json(doc: ArticleDoc) -> str:
        """Version 4's document: the raw texts, the pairs made in Python."""
        title_pairs = s.word_pairs(doc.title)
        return orjson.dumps({
            s.ID: doc.id, s.TITLE: doc.title, s.BODY: [doc.title, doc.body], s.TITLE_PAIRS: title_pairs,
            s.BODY_PAIRS: f"{title_pairs} {s.word_pairs(doc.body)}", s.SOURCE: doc.source,
            s.PUBLISHED: s.to_micros(doc.published_at), s.SEQ: doc.seq,
        }).decode()  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="geonews-tantivy-terms-") as tmpdir:
        tmp = Path(tmpdir)
        ndjson = tmp / "articles.ndjson"
        write_ndjson(ndjson, args.articles)
        docs = []
        for i, line in enumerate(ndjson.read_text().splitlines(), 1):
            rec = json.loads(line)
            published = datetime.fromisoformat(rec["published_at"].rstrip("Z"))
            docs.append(ArticleDoc(i, rec["title"], rec["body"], rec["source"], "en", published))
        n = len(docs)
        encoders = {"analyzer in Tantivy (v4)": raw_json, "terms made in Python (v5)": ArticleDoc.to_json}
        schemas = {"analyzer in Tantivy (v4)": analyzer_schema(), "terms made in Python (v5)": s.schema()}
        encoded = {name: [encode(d) for d in docs] for name, encode in encoders.items()}  # warms the caches
        encode_us: dict[str, list[float]] = {name: [] for name in encoders}
        index_us: dict[str, list[float]] = {name: [] for name in encoders}
        for round_no in range(args.rounds):
            for name, encode in encoders.items():
                t = time.thread_time()
                for d in docs:
                    encode(d)
                encode_us[name].append((time.thread_time() - t) / n * 1e6)
                path = tmp / f"index-{round_no}-{len(index_us[name])}-{name[:4]}"
                path.mkdir()
                index = s._prepare(tantivy.Index(schemas[name], str(path), reuse=False))
                writer = index.writer(128_000_000, 1)
                c = time.process_time()
                for k, doc_json in enumerate(encoded[name], 1):
                    writer.add_json(doc_json)
                    if k % args.commit_every == 0:
                        writer.commit()
                writer.commit()
                writer.wait_merging_threads()
                index_us[name].append((time.process_time() - c) / n * 1e6)
                del writer, index
        print(f"## Indexing {n:,} generated articles, CPU µs an article (best of {args.rounds}; a commit every "
              f"{args.commit_every:,})\n")  # fmt: skip
        print("| title and body | encoding (Python) | indexing (Tantivy, all threads) | in all |")
        print("| --- | ---: | ---: | ---: |")
        for name in encoders:
            e, i = min(encode_us[name]), min(index_us[name])
            print(f"| {name} | {e:.0f} | {i:.0f} | {e + i:.0f} |")


if __name__ == "__main__":
    main()
