"""The schemathesis (`--checks all`) failures that are deliberate, and a classifier for a run's output.

Each entry is documented in docs/clients.md ("What schemathesis reports, and why") under its id. The fuzz
job (tests/faults/fuzz.py) fails when a run reports a failure that matches none of them. Entries marked
`pending` are defects another change fixes (issue 13, item 6): remove them when it lands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Deliberate:
    id: str
    check: str  # schemathesis check code
    pattern: str  # searched in the response body and the "Invalid component" line
    pending: bool = False


DELIBERATE = [
    Deliberate("opaque-cursor", "ST202", r"Invalid cursor\."),
    Deliberate(
        "unknown-reference",
        "ST202",
        r"Unknown (actor|event type|proposition|relation type|article|event|parent event|speaker|type)\b"
        r"|No actor with|articles that do not exist",
    ),
    Deliberate("nul-byte", "ST202", r"NUL (byte|character)"),
    Deliberate(
        "order-of-dates",
        "ST202",
        r"must (not )?be (before|after)|valid_to must be after|`from` .* after `to`|minlat must not exceed",
    ),
    Deliberate("event-tree", "ST202", r"cannot be its own parent|would close a cycle"),
    Deliberate("self-relation", "ST202", r"A relation is between two different actors"),
    Deliberate("sort-needs-query", "ST202", r"sort=\w+ needs a full-text query"),
    Deliberate("digit-slug", "ST202", r"slug cannot be all digits"),
    Deliberate(
        "article-needs-title",
        "ST202",
        r"(title|published_at): required unless the body"
        r"|title: missing, and the page has none|published_at: missing, and the page declares no date",
    ),
    Deliberate("webhook-target", "ST202", r"cannot receive webhooks"),
    Deliberate("route-byte-limit", "ST201", r"The body is larger than \d+ bytes"),
    Deliberate("exclusive-parameters", "ST202", r"cannot be combined"),
    Deliberate("bucket-limit", "ST202", r"more than \d+ \w+ buckets; narrow it"),
    Deliberate("idempotency-key-reuse", "ST202", r"Idempotency-Key was used with a different request"),
    # A POST retried with an Idempotency-Key replays its first answer, even after the article was deleted.
    Deliberate("replay-of-deleted", "ST302", r"(?s)No article \d+\..*[Ii]dempotency-[Kk]ey"),
    Deliberate("url-normalised-length", "ST202", r"characters once normalised"),
    Deliberate("bulk-items-one-by-one", "ST201", r'"failed":\[\{"index":\d+,"status":422'),
    # A query string carries text: a generated boolean or null reaches the server as the word `false`,
    # `true` or `null`, which is a valid relation-type name (types are an open vocabulary).
    Deliberate(
        "query-word-of-a-scalar",
        "ST201",
        r"(?s)parameter `type` in query - violates.*[?&]type=(false|true|null)\b",
    ),
]

_BLOCK = re.compile(r"\n_{3,} (.+?) _{3,}\n")
_CASE = re.compile(r"\n\d+\. Test Case ID")
_CHECK = re.compile(r"^- (ST\d+) ", re.M)


def failures(stdout: str) -> list[tuple[str, str, str]]:
    """(operation, check code, evidence text) of every failure in a `schemathesis run` output."""
    if "=== FAILURES ===" not in stdout:
        return []
    text = stdout.split("=== FAILURES ===", 1)[1]
    text = re.split(r"\n=+ (WARNINGS|SUMMARY) =+\n", text)[0]
    parts = _BLOCK.split(text)
    found = []
    for i in range(1, len(parts), 2):
        operation, body = parts[i], parts[i + 1]
        for case in _CASE.split(body):
            codes = _CHECK.findall(case)
            if not codes:
                continue
            evidence = case  # the reproduction too: some entries are told apart by the request's headers
            for code in codes:
                found.append((operation, code, evidence))
    return found


def classify(stdout: str) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Counts of deliberate failures by id, and the failures that are none of them."""
    counts: dict[str, int] = {}
    other = []
    for operation, code, evidence in failures(stdout):
        match = next((d for d in DELIBERATE if d.check == code and re.search(d.pattern, evidence)), None)
        if match is None:
            other.append((operation, code, evidence.split("Reproduce with:", 1)[0].strip()[:600]))
        else:
            counts[match.id] = counts.get(match.id, 0) + 1
    return counts, other
