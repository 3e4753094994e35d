"""Stories as a client sees them: merges and redirects, the list's filters, sorts and paging, the story
filter on articles, and story changes in the feed."""

from __future__ import annotations

import orjson
import pytest

from .conftest import labelled, post_bulk, walk

T0 = "2026-04-01T08:00:00Z"


def _post(client, headers, n: int, title: str, body: str, at: str) -> dict:
    rec = {
        "url": f"https://merge.example.com/{n}",
        "title": title,
        "body": body,
        "published_at": at,
        "source": f"outlet{n}.example",
    }
    r = client.post("/v1/articles", json=rec, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_bridging_article_merges_the_smaller_story_into_the_larger_and_the_old_id_redirects(
    client, write_headers
):
    head = client.get("/v1/changes").json()["head"]
    h = write_headers
    a1 = _post(
        client,
        h,
        1,
        "Odesa grain corridor reopens",
        "Ukraine reopened the grain corridor from Odesa port as shipping insurance and convoy rules let wheat exports pass the Bosphorus.",
        "2026-04-01T08:00:00Z",
    )
    a2 = _post(
        client,
        h,
        2,
        "Wheat convoy sails from Odesa",
        "Ukraine: wheat exports resume through the Odesa grain corridor; shipping insurance covers each convoy to the Bosphorus port.",
        "2026-04-01T09:00:00Z",
    )
    b1 = _post(
        client,
        h,
        3,
        "Cyberattack hits Ukrainian banks",
        "Ukraine hit by cyberattack: banking servers outage after hackers deployed ransomware, payments and Kyivstar telecom disrupted.",
        "2026-04-01T10:00:00Z",
    )
    big, small = a1["story_id"], b1["story_id"]
    assert a2["story_id"] == big and small != big  # two stories so far
    listed = {s["id"] for s in walk(client, "/v1/stories", published_after="2026-04-01")}
    assert listed == {big, small}

    bridge = _post(
        client,
        h,
        4,
        "Cyberattack disrupts Odesa grain corridor",
        "Ukraine faces grain corridor disruption at Odesa port: shipping insurance, convoy, wheat exports and Bosphorus transit hit after a cyberattack on banking servers, an outage caused by hackers with ransomware, payments and Kyivstar telecom down.",
        "2026-04-01T11:00:00Z",
    )
    assert bridge["story_id"] == big  # the larger story's id stays
    assert client.get(f"/v1/articles/{b1['id']}").json()["story_id"] == big

    r = client.get(f"/v1/stories/{small}?limit=2", follow_redirects=False)
    assert r.status_code == 308
    assert r.headers["location"] == f"/v1/stories/{big}?limit=2"
    followed = client.get(f"/v1/stories/{small}")
    assert followed.status_code == 200 and followed.json()["id"] == big
    assert followed.json()["article_count"] == 4 and followed.json()["source_count"] == 4
    assert [a["id"] for a in walk(client, "/v1/articles", story=small)] == [
        bridge["id"],
        b1["id"],
        a2["id"],
        a1["id"],
    ]
    # A merged story is no longer listed.
    assert {s["id"] for s in walk(client, "/v1/stories", published_after="2026-04-01")} == {big}

    changes = client.get("/v1/changes", params={"after": head, "entity": "story", "limit": 100}).json()[
        "items"
    ]
    ops = [(c["op"], c["entity_id"]) for c in changes]
    assert ops[:3] == [("created", big), ("updated", big), ("created", small)]
    assert ("merged", small) in ops and ("updated", big) in ops[3:]
    merged = next(c for c in changes if c["op"] == "merged")
    assert merged["data"] == {"merged_into": big}
    last = [c for c in changes if c["entity_id"] == big][-1]
    assert last["data"]["article_count"] == 4 and last["data"]["merged_into"] is None
    # Article changes are still one per article: the story's are apart.
    kinds = {
        c["entity"] for c in client.get("/v1/changes", params={"after": head, "limit": 100}).json()["items"]
    }
    assert kinds == {"article", "story"}


def test_deleting_an_article_recounts_its_story(client, write_headers):
    h = write_headers
    a1 = _post(
        client,
        h,
        11,
        "Odesa grain corridor reopens",
        "Ukraine reopened the grain corridor from Odesa port as shipping insurance and convoy rules let wheat exports pass the Bosphorus.",
        T0,
    )
    a2 = _post(
        client,
        h,
        12,
        "Wheat convoy sails from Odesa",
        "Ukraine: wheat exports resume through the Odesa grain corridor; shipping insurance covers each convoy to the Bosphorus port.",
        "2026-04-01T09:00:00Z",
    )
    sid = a1["story_id"]
    assert a2["story_id"] == sid and client.get(f"/v1/stories/{sid}").json()["article_count"] == 2
    head = client.get("/v1/changes").json()["head"]
    assert client.delete(f"/v1/articles/{a2['id']}", headers=h).status_code == 204
    s = client.get(f"/v1/stories/{sid}").json()
    assert s["article_count"] == 1 and s["last_seen"].startswith("2026-04-01T08:00")
    changes = client.get("/v1/changes", params={"after": head, "entity": "story"}).json()["items"]
    assert [(c["op"], c["entity_id"], c["data"]["article_count"]) for c in changes] == [("updated", sid, 1)]
    # A PATCH keeps the article in its story.
    r = client.patch(f"/v1/articles/{a1['id']}", json={"title": "Odesa corridor open again"}, headers=h)
    assert r.status_code == 200 and r.json()["story_id"] == sid


WANTED = ("us-china-trade", "dprk-missile", "opec-cut", "single-japan-rice")


@pytest.fixture
def some_stories(client, write_headers) -> dict[str, int]:
    recs = sorted((r for r in labelled() if r["story"] in WANTED), key=lambda r: r["published_at"])
    ids = post_bulk(client, write_headers, recs)
    got: dict[str, set[int]] = {}
    for aid, rec in zip(ids, recs, strict=True):
        got.setdefault(rec["story"], set()).add(client.get(f"/v1/articles/{aid}").json()["story_id"])
    assert all(len(v) == 1 for v in got.values()), got
    return {k: next(iter(v)) for k, v in got.items()}


def test_story_list_filters_sorts_and_pages(client, some_stories):
    s = some_stories
    everything = walk(client, "/v1/stories", limit=200)
    assert {x["id"] for x in everything} == set(s.values())
    by_id = {x["id"]: x for x in everything}
    assert (
        by_id[s["us-china-trade"]]["article_count"] == 5
        and by_id[s["single-japan-rice"]]["article_count"] == 1
    )
    assert by_id[s["opec-cut"]]["title"] == "OPEC+ agrees surprise oil output cut of 1 million barrels a day"
    top = [a["slug"] for a in by_id[s["dprk-missile"]]["top_actors"]]
    assert top[0] == "north-korea" and len(top) <= 5
    assert by_id[s["dprk-missile"]]["top_actors"][0]["count"] == 5

    # recency (default): latest article first; size: most articles first; limit=1 walks each once.
    recency = walk(client, "/v1/stories", limit=1)
    assert [x["last_seen"] for x in recency] == sorted((x["last_seen"] for x in everything), reverse=True)
    size = walk(client, "/v1/stories", limit=1, sort="size")
    assert [x["article_count"] for x in size] == sorted(
        (x["article_count"] for x in everything), reverse=True
    )
    assert sorted(x["id"] for x in size) == sorted(by_id)

    def ids(**params) -> set[int]:
        return {x["id"] for x in walk(client, "/v1/stories", **params)}

    assert ids(actor="north-korea") == {s["dprk-missile"]}
    assert ids(actor=["north-korea", "saudi-arabia"]) == {s["dprk-missile"], s["opec-cut"]}
    assert s["single-japan-rice"] not in ids(member_of="nato") and s["us-china-trade"] in ids(
        member_of="nato"
    )
    assert ids(published_before="2026-03-10") == {s["opec-cut"]}
    assert ids(published_after="2026-03-16") == {s["dprk-missile"], s["single-japan-rice"]}
    assert ids(q="Geneva TALKS") == {s["us-china-trade"]}
    assert ids(q="nothing-like-this") == set()
    assert ids(min_articles=2) == set(s.values()) - {s["single-japan-rice"]}

    # Exports stream every match in the list's order.
    lines = client.get("/v1/stories", params={"format": "ndjson", "sort": "size"}).text.splitlines()
    exported = [orjson.loads(line) for line in lines]
    assert [x["id"] for x in exported] == [x["id"] for x in size]
    assert exported[0]["article_count"] == size[0]["article_count"]
    csv = client.get("/v1/stories", params={"actor": "north-korea"}, headers={"accept": "text/csv"}).text
    assert csv.splitlines()[0].startswith("id,title") and len(csv.splitlines()) == 2


def test_story_filter_on_articles_on_sql_even_with_full_text(client, some_stories):
    sid = some_stories["us-china-trade"]
    arts = walk(client, "/v1/articles", story=sid)
    assert len(arts) == 5 and all(a["story_id"] == sid for a in arts)
    r = client.get("/v1/articles", params={"story": sid, "q": "Asia"})
    assert r.status_code == 200 and r.headers["x-answered-by"] == "sql"
    hits = r.json()["items"]
    assert hits and {a["id"] for a in hits} < {a["id"] for a in arts}
    assert len(hits) == 1 and "asia" in (hits[0]["snippet"] or "").lower()
    assert client.get("/v1/articles", params={"story": 987654}).json()["items"] == []


def test_story_changes_in_the_feed_follow_the_actor_filter(client, some_stories):
    changes = walk_changes(client, entity="story")
    created = {c["entity_id"] for c in changes if c["op"] == "created"}
    assert created == set(some_stories.values())
    dprk = walk_changes(client, entity="story", actor="north-korea")
    assert {c["entity_id"] for c in dprk} == {some_stories["dprk-missile"]}
    last = dprk[-1]["data"]
    assert last["article_count"] == 5 and last["title"] and last["last_seen"].endswith("Z")


def walk_changes(client, **params) -> list[dict]:
    out, after = [], 0
    while True:
        page = client.get("/v1/changes", params={**params, "after": after, "limit": 200}).json()
        out += page["items"]
        if not page["items"]:
            return out
        after = page["next_after"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/v1/stories/987654", 404),
        ("/v1/stories/0", 404),
        ("/v1/stories?sort=largest", 400),
        ("/v1/stories?actor=no-such-actor", 400),
        ("/v1/stories?member_of=no-such-org", 400),
        ("/v1/stories?cursor=garbage", 400),
        ("/v1/stories?min_articles=0", 400),
        ("/v1/stories?published_after=yesterday", 400),
        ("/v1/articles?story=0", 400),
    ],
)
def test_bad_requests_are_problems(client, url, status):
    r = client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_cursor_is_bound_to_its_filters(client, some_stories):
    page = client.get("/v1/stories", params={"limit": 1, "sort": "size"}).json()
    assert page["next_cursor"]
    r = client.get("/v1/stories", params={"limit": 1, "sort": "recency", "cursor": page["next_cursor"]})
    assert r.status_code == 400


ENERGY = [
    (
        "Kharkiv blackout after substation damage",
        "Ukraine: Kharkiv blackout as damaged substations and transformers leave repair crews working on generators and heating outages.",
    ),
    (
        "Repair crews restore Kharkiv power grid",
        "Ukraine repair crews restored part of the Kharkiv power grid; transformers, substations and generators keep heating on despite outages.",
    ),
    (
        "Heating outages in Kharkiv",
        "Ukraine heating outages in Kharkiv: substations hit, transformers replaced, repair crews bring generators, blackout continues.",
    ),
    (
        "Kharkiv transformers replaced",
        "Ukraine replaced transformers at Kharkiv substations; repair crews say the blackout and heating outages will ease as generators arrive.",
    ),
    (
        "Generators arrive in Kharkiv",
        "Ukraine sends generators to Kharkiv, where the blackout, damaged substations and transformers caused heating outages; repair crews busy.",
    ),
]
GRAIN = [
    (
        "Odesa grain corridor reopens",
        "Ukraine reopened the grain corridor from Odesa port as shipping insurance and convoy rules let wheat exports pass the Bosphorus.",
    ),
    (
        "Wheat convoy sails from Odesa",
        "Ukraine: wheat exports resume through the Odesa grain corridor; shipping insurance covers each convoy to the Bosphorus port.",
    ),
]
CYBER = (
    "Cyberattack hits Ukrainian banks",
    "Ukraine hit by cyberattack: banking servers outage after hackers deployed ransomware, payments and Kyivstar telecom disrupted.",
)
BRIDGE_1 = (
    "Cyberattack disrupts Odesa grain corridor",
    "Ukraine faces grain corridor disruption at Odesa port: shipping insurance, convoy, wheat exports and Bosphorus transit hit after a cyberattack on banking servers, an outage caused by hackers with ransomware, payments and Kyivstar telecom down.",
)
BRIDGE_2 = (
    "Kharkiv blackout halts Odesa grain convoy",
    "Ukraine: the Kharkiv blackout, damaged substations and transformers, heating outages and repair crews with generators now also hit the Odesa grain corridor, wheat exports, shipping insurance and each convoy to the Bosphorus port.",
)


def _hourly(texts: list[tuple[str, str]], host: str, day: str) -> list[dict[str, str]]:
    """(title, body) pairs as articles of `host`.example.com published an hour apart on `day`, each from
    its own outlet."""
    return [
        {
            "url": f"https://{host}.example.com/{i}",
            "title": t,
            "body": b,
            "published_at": f"{day}T{i:02d}:00:00Z",
            "source": f"outlet{i}.example",
        }
        for i, (t, b) in enumerate(texts)
    ]


def test_the_larger_story_survives_even_when_it_is_the_newer(client, write_headers):
    """The survivor is the story with more articles, whatever their ids: here the smaller story is the
    older one (its id would win a tie). The sizes of stored stories come from their article_count,
    which every assignment, merge and deletion recounts."""
    h = write_headers
    cyber = _post(
        client,
        h,
        11,
        "Cyberattack hits Ukrainian banks",
        "Ukraine hit by cyberattack: banking servers outage after hackers deployed ransomware, payments and Kyivstar telecom disrupted.",
        "2026-06-01T08:00:00Z",
    )
    grain = [
        _post(client, h, 12 + k, title, body, f"2026-06-01T{9 + k:02d}:00:00Z")
        for k, (title, body) in enumerate(
            [
                (
                    "Odesa grain corridor reopens",
                    "Ukraine reopened the grain corridor from Odesa port as shipping insurance and convoy rules let wheat exports pass the Bosphorus.",
                ),
                (
                    "Wheat convoy sails from Odesa",
                    "Ukraine: wheat exports resume through the Odesa grain corridor; shipping insurance covers each convoy to the Bosphorus port.",
                ),
            ]
        )
    ]
    older, larger = cyber["story_id"], grain[0]["story_id"]
    assert grain[1]["story_id"] == larger and older < larger
    bridge = _post(
        client,
        h,
        20,
        "Cyberattack disrupts Odesa grain corridor",
        "Ukraine faces grain corridor disruption at Odesa port: shipping insurance, convoy, wheat exports and Bosphorus transit hit after a cyberattack on banking servers, an outage caused by hackers with ransomware, payments and Kyivstar telecom down.",
        "2026-06-01T11:00:00Z",
    )
    assert bridge["story_id"] == larger
    assert client.get(f"/v1/articles/{cyber['id']}").json()["story_id"] == larger
    assert client.get(f"/v1/stories/{larger}").json()["article_count"] == 4


@pytest.mark.parametrize("how", ["one batch", "one by one"])
def test_chained_merges_redirect_in_one_hop_to_the_last_survivor(client, write_headers, how):
    """cyber merges into grain (2 > 1), then grain (4) into energy (5): both old ids lead to energy."""
    texts = [*ENERGY, *GRAIN, CYBER, BRIDGE_1, BRIDGE_2]
    recs = _hourly(texts, "chain", "2026-05-01")
    head = client.get("/v1/changes").json()["head"]
    if how == "one batch":
        ids = post_bulk(client, write_headers, recs)
    else:
        ids = []
        for rec in recs:
            r = client.post("/v1/articles", json=rec, headers=write_headers)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    stories = {client.get(f"/v1/articles/{i}").json()["story_id"] for i in ids}
    assert len(stories) == 1
    (energy,) = stories
    assert client.get(f"/v1/stories/{energy}").json()["article_count"] == len(texts)
    changes = client.get("/v1/changes", params={"after": head, "entity": "story", "limit": 200}).json()[
        "items"
    ]
    merged = {c["entity_id"]: c["data"]["merged_into"] for c in changes if c["op"] == "merged"}
    # The feed tells the merges as they happened (one by one: cyber into grain, then grain into energy;
    # in one batch both straight into energy); following them always ends at the survivor.
    assert len(merged) == 2 and energy not in merged

    def follow(sid: int) -> int:
        while sid in merged:
            sid = merged[sid]
        return sid

    assert {follow(old) for old in merged} == {energy}
    if how == "one batch":
        assert set(merged.values()) == {energy}
    else:
        (grain,) = set(merged.values()) - {energy}
        assert grain in merged and merged[grain] == energy
    for old in merged:
        r = client.get(f"/v1/stories/{old}", follow_redirects=False)
        assert r.status_code == 308 and r.headers["location"] == f"/v1/stories/{energy}"
    assert [s["id"] for s in walk(client, "/v1/stories", published_after="2026-05-01")] == [energy]


def test_a_merged_change_carries_the_actors_of_the_articles_that_changed_it(client, write_headers):
    """A `merged` story change is linked to the actors of the loser's articles in the batch and of the
    article that bridged it, not to everything the survivor took in (a Japan article joining the energy
    story in the same batch): ingesting into the 1M corpus those links were 99 % of the change log's."""
    japan = (
        "Japan sends generators to Kharkiv",
        "Ukraine: Japan sends generators to Kharkiv, where the blackout, damaged substations and "
        "transformers caused heating outages; repair crews busy.",
    )
    texts = [*ENERGY, japan, *GRAIN, CYBER, BRIDGE_1, BRIDGE_2]
    recs = _hourly(texts, "links", "2026-06-01")
    head = client.get("/v1/changes").json()["head"]
    ids = post_bulk(client, write_headers, recs)
    energy = client.get(f"/v1/articles/{ids[0]}").json()["story_id"]
    assert client.get(f"/v1/articles/{ids[len(ENERGY)]}").json()["story_id"] == energy  # Japan's joined
    mentioned = client.get(f"/v1/articles/{ids[len(ENERGY)]}").json()["mentions"]
    assert {"japan", "ukraine"} <= {m["actor"]["slug"] for m in mentioned}, mentioned

    def story_changes(**params: str) -> list[tuple[str, int]]:
        q = {"after": head, "entity": "story", "limit": 200, **params}
        return [(c["op"], c["entity_id"]) for c in client.get("/v1/changes", params=q).json()["items"]]

    merged = [c for c in story_changes() if c[0] == "merged"]
    assert len(merged) == 2
    assert set(merged) <= set(story_changes(actor="ukraine"))  # the bridging articles' actor
    japan_changes = story_changes(actor="japan")
    assert ("created", energy) in japan_changes or ("updated", energy) in japan_changes
    assert not [c for c in japan_changes if c[0] == "merged"], japan_changes


def test_a_near_copy_joins_its_originals_story_in_the_batch_and_after_it(client, write_headers):
    """A near-duplicate takes its original's story without being compared: the original stored in the
    same bulk body (an unrelated article between them) or before it. Checked by story ids, so a copy
    given the wrong article of the batch lands in the wrong story."""
    body = (
        "Officials from South Korea, Japan, Australia and New Zealand attended the NATO defence ministers "
        "meeting in Brussels for the first time this week, underscoring growing concern about the war in "
        "Ukraine and about military cooperation between Russia and North Korea. Ministers discussed "
        "cybersecurity, disinformation and the supply of ammunition, and agreed to meet again next year."
    )
    # Assigned oldest first: the original, the unrelated article, then the copy.
    at = ["2026-05-02T08:00:00Z", "2026-05-02T08:30:00Z", "2026-05-02T09:00:00Z"]
    recs = [
        {"url": "https://wire.example.com/ip4", "title": "IP4 at NATO", "body": body, "published_at": at[0],
         "source": "wire.example.com"},
        {"url": "https://other.example.com/odesa", "title": "Odesa grain corridor reopens",
         "body": "Ukraine reopened the grain corridor from Odesa port as shipping insurance and convoy "
                 "rules let wheat exports pass the Bosphorus.", "published_at": at[1], "source": "other.example.com"},
        {"url": "https://syndicate.example.net/ip4", "title": "IP4 at NATO",
         "body": body.replace("this week", "on Thursday"), "published_at": at[2],
         "source": "syndicate.example.net"},
    ]  # fmt: skip
    original, unrelated, copy = post_bulk(client, write_headers, recs)
    later = post_bulk(
        client,
        write_headers,
        [{**recs[0], "url": "https://late.example.org/ip4", "body": body.replace("next year", "in 2027"),
          "source": "late.example.org"}],
    )[0]  # fmt: skip
    got = {i: client.get(f"/v1/articles/{i}").json() for i in (original, unrelated, copy, later)}
    assert got[copy]["duplicate_of"] == original and got[later]["duplicate_of"] == original
    assert got[original]["story_id"] is not None
    assert got[original]["story_id"] != got[unrelated]["story_id"]
    assert got[copy]["story_id"] == got[later]["story_id"] == got[original]["story_id"]
