"""How fast the explorer's search page paints, in headless Chromium, on the benchmark corpus.

    python bench/explorer.py                      # bench/data/100k.db (generated when missing)
    python bench/explorer.py --db bench/data/10k.db --runs 3

Starts `geonews serve` (one worker) on the corpus, then loads each search URL in a fresh browser context
(no HTTP cache: a first visit) and reads the browser's own timings: time to first byte, first contentful
paint, largest contentful paint (the results list: it is server-rendered, so the first paint is the
meaningful one) and when the deferred facet counts arrived. The first load after the server starts is
reported apart ("cold": imports, the OpenAPI document, SQLite's page cache). Prints a table and writes
bench/out/explorer.json. The target of issue 18: the search page's meaningful paint under 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import DATA, OUT, ROOT, geonews_server, sqlite_url  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
URLS = [
    "/",
    "/?q=sanctions",
    "/?q=ceasefire+talks",
    '/?q="peace+talks"&sort=-published_at',
    "/?actor=russia",
    "/?member_of=nato&published_after=2024-01-01",
    "/?q=nuclear&actor=iran",
]
# LCP is final once the page stops changing; the facets fragment is the last thing to arrive.
TIMINGS_JS = """
async () => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const lcp = await new Promise((resolve) => {
    let last = null;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) last = e; })
      .observe({ type: "largest-contentful-paint", buffered: true });
    setTimeout(() => resolve(last), 50);
  });
  return {
    ttfb: nav.responseStart,
    dom: nav.domContentLoadedEventEnd,
    fcp: fcp ? fcp.startTime : null,
    lcp: lcp ? lcp.startTime : null,
    lcp_element: lcp && lcp.element ? lcp.element.tagName + "." + lcp.element.className : null,
    results: document.querySelectorAll("#results-page > li").length,
  };
}
"""


def ensure_corpus(db: Path, articles: int) -> None:
    if db.exists():
        return
    cmd = [sys.executable, "bench/generate.py", "--articles", str(articles), "--db", sqlite_url(db)]
    subprocess.run([*cmd, "--replace-stale"], cwd=ROOT, check=True)


def measure(browser: Any, base: str, path: str) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    started = time.perf_counter()
    page.goto(base + path, wait_until="load")
    figures = page.evaluate(TIMINGS_JS)
    facets_box = page.locator("#facets")
    try:
        page.wait_for_function("() => !document.querySelector('#facets[data-src]')", timeout=60_000)
        figures["facets"] = (time.perf_counter() - started) * 1000
        figures["facet_groups"] = facets_box.locator(".facet").count()
    except Exception:  # noqa: BLE001 - a timeout is a figure too
        figures["facets"] = None
    figures["console_errors"] = errors
    context.close()
    return figures


def summarise(runs: list[dict[str, Any]], key: str) -> tuple[float | None, float | None]:
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values:
        return None, None
    return statistics.median(values), max(values)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=DATA / "100k.db", help="corpus (default bench/data/100k.db)")
    p.add_argument("--articles", type=int, default=100_000, help="articles when the corpus must be generated")
    p.add_argument("--runs", type=int, default=5, help="loads per URL after the cold one (default 5)")
    args = p.parse_args()

    from playwright.sync_api import sync_playwright

    ensure_corpus(args.db, args.articles)
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"db": str(args.db), "runs": args.runs, "urls": {}}
    with (
        geonews_server(sqlite_url(args.db), log=OUT / "explorer-server.log") as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        results["cold"] = measure(browser, server.url, URLS[0])
        for path in URLS:
            measure(browser, server.url, path)  # this query's first run warms SQLite's cache
            results["urls"][path] = [measure(browser, server.url, path) for _ in range(args.runs)]
        browser.close()

    print(
        f"explorer search page on {args.db.name}: median / max of {args.runs} loads, ms (fresh context each)"
    )
    print(f"{'url':48} {'ttfb':>11} {'fcp':>11} {'lcp':>11} {'facets':>13}")
    cold = results["cold"]
    print(
        f"{'cold: ' + URLS[0]:48} {cold['ttfb']:11.0f} {cold['fcp'] or 0:11.0f} "
        f"{cold['lcp'] or 0:11.0f} {cold['facets'] or 0:13.0f}"
    )
    worst_lcp = 0.0
    for path, runs in results["urls"].items():
        cells = []
        for key in ("ttfb", "fcp", "lcp", "facets"):
            med, top = summarise(runs, key)
            cells.append("-" if med is None else f"{med:.0f} / {top:.0f}")
            if key == "lcp" and top is not None:
                worst_lcp = max(worst_lcp, top)
        errors = sorted({e for r in runs for e in r["console_errors"]})
        print(
            f"{path:48} {cells[0]:>11} {cells[1]:>11} {cells[2]:>11} {cells[3]:>13}"
            + (f"  {errors}" if errors else "")
        )
    results["worst_warm_lcp_ms"] = worst_lcp
    print(f"worst warm largest contentful paint: {worst_lcp:.0f} ms (target < 1000 ms)")
    (OUT / "explorer.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
