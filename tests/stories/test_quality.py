"""Grouping quality through the HTTP API: the labelled set in tests/data/stories/ (bench/stories.py prints
the same figures), and the analyst's check from the issue: ten outlets on one summit, one story."""

from __future__ import annotations

import itertools
import random

from .conftest import article, labelled, post_bulk, walk


def pairwise(labels: dict[int, str], predicted: dict[int, int | None]) -> tuple[float, float]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(labels), 2):
        truth = labels[a] == labels[b]
        guess = predicted[a] is not None and predicted[a] == predicted[b]
        tp += truth and guess
        fp += guess and not truth
        fn += truth and not guess
    return tp / (tp + fp), tp / (tp + fn)


def test_labelled_set_is_grouped_with_precision_and_recall_floors(client, write_headers):
    recs = labelled()
    assert len(recs) >= 60 and len({r["story"] for r in recs if not r["story"].startswith("single-")}) >= 12
    random.Random(11).shuffle(recs)  # arrival order is not publication order
    ids: list[int] = []
    for k in range(0, len(recs), 10):
        ids += post_bulk(client, write_headers, recs[k : k + 10])
    story = {a["id"]: a["story_id"] for a in walk(client, "/v1/articles", limit=200)}
    labels = {aid: r["story"] for aid, r in zip(ids, recs, strict=True)}
    precision, recall = pairwise(labels, {aid: story[aid] for aid in ids})
    assert precision >= 0.95, precision
    assert recall >= 0.9, recall


def test_ten_outlets_on_one_summit_make_one_story_of_ten(client, write_headers):
    recs = labelled()
    summit = [r for r in recs if r["story"] == "nato-summit"]
    # The same days' other news, about some of the same actors (Turkey, Germany, the United States).
    others = [
        r
        for r in recs
        if r["story"] != "nato-summit" and r["published_at"][:10] in ("2026-03-10", "2026-03-11")
    ]
    assert len(summit) == 10 and len({r["source"] for r in summit}) == 10 and others
    ids = []
    for rec in sorted(summit + others, key=lambda r: r["published_at"]):
        r = client.post("/v1/articles", json=article(rec), headers=write_headers)
        assert r.status_code == 201, r.text
        assert r.json()["story_id"] is not None
        if rec["story"] == "nato-summit":
            ids.append(r.json()["id"])
    stories = {client.get(f"/v1/articles/{i}").json()["story_id"] for i in ids}
    assert len(stories) == 1
    (sid,) = stories
    s = client.get(f"/v1/stories/{sid}", params={"limit": 4})
    assert s.status_code == 200
    body = s.json()
    assert body["article_count"] == 10 and body["source_count"] == 10
    assert body["title"] == summit[0]["title"]
    assert body["first_seen"].startswith("2026-03-10T08:15") and body["last_seen"].startswith(
        "2026-03-11T20:30"
    )
    assert "nato" in [a["slug"] for a in body["top_actors"]]
    # Its articles in time order, paged.
    items, cursor = body["articles"]["items"], body["articles"]["next_cursor"]
    while cursor:
        page = client.get(f"/v1/stories/{sid}", params={"limit": 4, "cursor": cursor}).json()
        items += page["articles"]["items"]
        cursor = page["articles"]["next_cursor"]
    assert sorted(a["id"] for a in items) == sorted(ids)
    assert [a["published_at"] for a in items] == sorted(r["published_at"] for r in summit)
    # The others are not in it.
    assert {a["id"] for a in walk(client, "/v1/articles", story=sid)} == set(ids)
