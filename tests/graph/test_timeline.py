"""GET /v1/actors/{actor}/timeline: buckets computed in Python from the test's own articles and events."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from tests import factories

ARTICLES = [
    # (published_at, which of p/q it mentions; "pp" = two mentions of p)
    ("2024-01-01T00:00:00Z", "p"),  # a Monday
    ("2024-01-07T23:59:59Z", "pq"),  # the Sunday of that ISO week
    ("2024-01-08T00:00:00Z", "pp"),  # the next Monday
    ("2024-01-08T10:00:00+02:00", "q"),
    ("2024-02-29T12:00:00Z", "pq"),
    ("2024-04-01T00:30:00+02:00", "p"),  # 2024-03-31 22:30 UTC: March
    ("2024-04-01T00:30:00Z", "pq"),
    ("2023-12-31T23:00:00Z", "p"),  # before the range asked for
    ("2024-05-01T00:00:00Z", "p"),  # after it
]


def _utc_day(value: str) -> date:
    return datetime.fromisoformat(value).astimezone(UTC).date()


def _bucket(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _starts(start: date, end: date, interval: str) -> list[date]:
    out, day = [], _bucket(start, interval)
    while day <= end:
        out.append(day)
        day = (
            (day + timedelta(days=32)).replace(day=1)
            if interval == "month"
            else day + timedelta(days=7 if interval == "week" else 1)
        )
    return out


@pytest.fixture
def pq(corpus):
    p, q = corpus.actor()["id"], corpus.actor()["id"]
    made = []
    for when, who in ARTICLES:
        corpus.article(when, [p if c == "p" else q for c in who])
        made.append((_utc_day(when), who))
    return p, q, made


@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize("dyad", [False, True])
def test_mention_timeline(client, pq, interval, dyad):
    p, q, made = pq
    start, end = date(2024, 1, 1), date(2024, 4, 30)
    params = {"interval": interval, "from": start.isoformat(), "to": end.isoformat()}
    if dyad:
        params["with"] = q
    r = client.get(f"/v1/actors/{p}/timeline", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    counts = Counter(
        _bucket(day, interval)
        for day, who in made
        if start <= day <= end and "p" in who and (not dyad or "q" in who)
    )
    expected = [{"start": d.isoformat(), "count": counts.get(d, 0)} for d in _starts(start, end, interval)]
    assert body["items"] == expected
    assert sum(i["count"] for i in body["items"]) == sum(counts.values()) > 0
    assert (body["interval"], body["from"], body["to"]) == (interval, "2024-01-01", "2024-04-30")


def test_weeks_start_on_monday_and_empty_buckets_are_kept(client, pq):
    p, _, _ = pq
    items = client.get(
        f"/v1/actors/{p}/timeline", params={"interval": "week", "from": "2024-01-03", "to": "2024-02-14"}
    ).json()["items"]
    assert [i["start"] for i in items] == [
        "2024-01-01",
        "2024-01-08",
        "2024-01-15",
        "2024-01-22",
        "2024-01-29",
        "2024-02-05",
        "2024-02-12",
    ]
    # 2024-01-01 is before `from`: only the Sunday article of the first week is counted
    assert [i["count"] for i in items] == [1, 1, 0, 0, 0, 0, 0]
    months = client.get(
        f"/v1/actors/{p}/timeline", params={"interval": "month", "from": "2024-03-01", "to": "2024-04-30"}
    ).json()["items"]
    assert months == [{"start": "2024-03-01", "count": 1}, {"start": "2024-04-01", "count": 1}]


def test_defaults_are_twelve_intervals_to_today(client, pq):
    p, _, _ = pq
    today = datetime.now(UTC).date()
    days = client.get(f"/v1/actors/{p}/timeline").json()
    assert days["interval"] == "day" and days["to"] == today.isoformat()
    assert days["from"] == (today - timedelta(days=12)).isoformat()
    assert [i["start"] for i in days["items"]] == [
        (today - timedelta(days=n)).isoformat() for n in range(12, -1, -1)
    ]
    months = client.get(f"/v1/actors/{p}/timeline", params={"interval": "month"}).json()["items"]
    assert len(months) == 13 and months[-1]["start"] == today.replace(day=1).isoformat()


def test_event_timeline(client, write_headers, corpus):
    p, q = corpus.actor()["id"], corpus.actor()["id"]
    events = [
        ("040", "2024-01-02", [p]),
        ("042", "2024-01-20", [p, q]),
        ("042", "2024-03-05", [p]),
        ("057", "2024-03-06", [p, q]),
        ("040", "2024-03-07", [q]),
        ("043", "2023-12-31", [p]),
    ]
    for code, start, who in events:
        factories.event(
            client,
            write_headers,
            type=code,
            start_date=start,
            participants=[{"actor": a, "role": "participant"} for a in who],
        )
    for event_type, with_ in (("04", None), ("042", None), ("05", None), ("04", q), ("Make a visit", None)):
        params = {"interval": "month", "from": "2024-01-01", "to": "2024-03-31", "event_type": event_type}
        if with_:
            params["with"] = with_
        r = client.get(f"/v1/actors/{p}/timeline", params=params)
        assert r.status_code == 200, r.text
        prefix = "042" if event_type == "Make a visit" else event_type
        counts = Counter(
            date.fromisoformat(start).replace(day=1)
            for code, start, who in events
            if code.startswith(prefix)
            and p in who
            and (with_ is None or with_ in who)
            and start >= "2024-01-01"
        )
        got = {i["start"]: i["count"] for i in r.json()["items"]}
        assert got == {
            d: counts.get(date.fromisoformat(d), 0) for d in ("2024-01-01", "2024-02-01", "2024-03-01")
        }
    # the seed: the Russia–North Korea treaty signing (057) in June 2024
    seed = client.get(
        "/v1/actors/north-korea/timeline",
        params={"interval": "month", "from": "2024-01-01", "to": "2024-12-31", "event_type": "05"},
    ).json()["items"]
    assert {i["start"]: i["count"] for i in seed if i["count"]} == {"2024-06-01": 1}


def test_seed_article_is_on_the_timeline(client):
    items = client.get(
        "/v1/actors/kim-seon-ho/timeline",
        params={"interval": "week", "from": "2024-10-01", "to": "2024-10-31", "with": "north-korea"},
    ).json()["items"]
    assert {i["start"]: i["count"] for i in items if i["count"]} == {"2024-10-14": 1}


@pytest.mark.parametrize(
    "params",
    [
        {"interval": "year"},
        {"from": "2024-02-01", "to": "2024-01-31"},
        {"interval": "day", "from": "2020-01-01", "to": "2024-01-01"},  # more than 1,000 buckets
        {"interval": "month", "from": "0001-01-01", "to": "2024-01-01"},
        {"interval": "week", "from": "2006-01-02", "to": "2025-03-03"},  # 1,001 weeks
        {"to": "9999-12-31"},
        {"to": "0001-01-05"},
        {"from": "2024-13-01"},
        {"with": "no-such-actor"},
        {"event_type": "no such type"},
        {"event_type": "999"},
        {"event_type": ""},
    ],
)
def test_bad_parameters_are_400(client, params):
    r = client.get("/v1/actors/north-korea/timeline", params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_largest_range_is_allowed(client):
    r = client.get(
        "/v1/actors/north-korea/timeline",
        params={"interval": "week", "from": "2006-01-02", "to": "2025-02-24"},
    )
    assert r.status_code == 200 and len(r.json()["items"]) == 1000


def test_unknown_actor_is_404(client):
    assert client.get("/v1/actors/no-such-actor/timeline").status_code == 404
