"""The classifier of schemathesis failures, on a recorded run's output, and its list against the docs."""

from __future__ import annotations

from pathlib import Path

from tests.faults.deliberate import DELIBERATE, classify, failures

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """
=================================== FAILURES ===================================
________________________________ GET /v1/actors ________________________________
1. Test Case ID: JjgKTJ

- ST202 Schema-valid request rejected

[400] Bad Request:

    `{"status":400,"detail":"Invalid cursor.","errors":[{"loc":["query","cursor"],"msg":"malformed"}]}`

Reproduce with:

    curl -X GET 'http://127.0.0.1:1/v1/actors?cursor=0'

_______________________________ POST /v1/claims ________________________________
1. Test Case ID: QEqmLk

- ST202 Schema-valid request rejected

[422] Unprocessable Content:

    `{"status":422,"detail":"Unknown actor."}`

Reproduce with:

    curl -X POST http://127.0.0.1:1/v1/claims

2. Test Case ID: Zz

- ST105 Undocumented Content-Type

    Received: text/csv
    Documented: application/json

Reproduce with:

    curl -X GET 'http://127.0.0.1:1/v1/claims?detail=Invalid cursor.'

=================================== SUMMARY ====================================
"""


def test_failures_are_read_per_case():
    found = failures(SAMPLE)
    assert [(op, code) for op, code, _ in found] == [
        ("GET /v1/actors", "ST202"),
        ("POST /v1/claims", "ST202"),
        ("POST /v1/claims", "ST105"),
    ]


def test_deliberate_failures_are_counted_and_others_reported():
    counts, other = classify(SAMPLE)
    assert counts == {"opaque-cursor": 1, "unknown-reference": 1}
    # The request line is not evidence: an undocumented content type stays a failure.
    assert [(op, code) for op, code, _ in other] == [("POST /v1/claims", "ST105")]
    assert classify("no failures here") == ({}, [])


def test_every_deliberate_failure_is_documented():
    doc = (ROOT / "docs" / "clients.md").read_text()
    for d in DELIBERATE:
        assert f"`{d.id}`" in doc, d.id


# Copied from a CI run's output (2026-12-03): the event-tree rule was reported as an unknown failure.
EVENT_TREE = """
=================================== FAILURES ===================================
__________________________ PATCH /v1/events/{event_id} __________________________
1. Test Case ID: 4mCYmR

- ST202 Schema-valid request rejected

    Valid data should have been accepted

    Expected: 2xx, 3xx, 401, 403, 404, 409, 429, 5xx

[422] Unprocessable Content:

    `{"type":"https://geonews.dev/problems/validation-error","title":"Unprocessable Entity","status":422,"detail":"An event cannot be its own parent."}`

Reproduce with:

    curl -X PATCH -d '{"parent_id": 1}' http://127.0.0.1:1/v1/events/1

2. Test Case ID: 5nDZnS

- ST202 Schema-valid request rejected

[422] Unprocessable Content:

    `{"status":422,"detail":"end_date must not be before start_date."}`

Reproduce with:

    curl -X PATCH -d '{"end_date": "2000-01-01"}' http://127.0.0.1:1/v1/events/1

=================================== SUMMARY ====================================
"""


def test_the_event_tree_and_the_order_of_an_events_dates_are_deliberate():
    counts, other = classify(EVENT_TREE)
    assert other == []
    assert counts == {"event-tree": 1, "order-of-dates": 1}


# Copied from a CI run's output (2026-12-05, the stateful phase): an article whose body is a page with no
# title was reported as an unknown failure; it is the article-needs-title rule on the extraction path.
PAGE_WITHOUT_TITLE = """
=================================== FAILURES ===================================
_______________________________ POST /v1/articles _______________________________
1. Test Case ID: s9PMqd

- ST202 Schema-valid request rejected

    Valid data should have been accepted

    Expected: 2xx, 3xx, 401, 403, 404, 409, 429, 5xx

[422] Unprocessable Content:

    `{"type":"https://geonews.dev/problems/validation-error","title":"Unprocessable Entity","status":422,"detail":"title: missing, and the page has none"}`

Reproduce with:

    curl -X POST -d '{"url": "https://example.org/a", "body": "<html><body>x</body></html>"}' http://127.0.0.1:1/v1/articles

2. Test Case ID: s9PMqe

- ST202 Schema-valid request rejected

[422] Unprocessable Content:

    `{"status":422,"detail":"published_at: missing, and the page declares no date"}`

Reproduce with:

    curl -X POST http://127.0.0.1:1/v1/articles

=================================== SUMMARY ====================================
"""


def test_a_page_without_a_title_or_a_date_is_the_article_needs_title_rule():
    counts, other = classify(PAGE_WITHOUT_TITLE)
    assert other == []
    assert counts == {"article-needs-title": 2}
