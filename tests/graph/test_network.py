"""GET /v1/actors/{actor}/network checked against a brute-force reference computed from the test's own data
(and, for North Korea, from the seed article and the seeded relations)."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from itertools import combinations

import pytest

from app.graph import repository, service
from app.search.engine import Reader
from tests.graph.support import all_pages


@pytest.fixture(params=["index", "sql"])
def sampler(request, monkeypatch):
    """Every hop's co-mention sample from the search index, or every one from SQL; the other is made to
    fail, so a test cannot pass on the wrong one."""

    def unused(*args, **kwargs):
        raise AssertionError(f"this test samples co-mentions with {request.param} only")

    if request.param == "index":
        monkeypatch.setattr(service, "INDEX_SAMPLE_MIN", {})
        monkeypatch.setattr(repository, "co_mentions", unused)
    else:
        monkeypatch.setattr(service, "INDEX_SAMPLE_MIN", {"sqlite": 10**9, "postgresql": 10**9})
        monkeypatch.setattr(Reader, "co_mentions", unused)
    return request.param


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _holds(rel: dict, as_of: date | None) -> bool:
    if as_of is None:
        return True
    vf, vt = _day(rel["valid_from"]), _day(rel["valid_to"])
    return (vf is None or vf <= as_of) and (vt is None or vt > as_of)


def _naive(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)


def reference(
    root: int,
    articles: dict[int, tuple[str, list[int]]],
    relations: list[dict],
    *,
    depth: int = 1,
    min_weight: int = 1,
    limit: int = 50,
    since: str | None = None,
    until: str | None = None,
    as_of: date | None = None,
    types: list[str] | None = None,
) -> dict:
    """The network by definition: co-mention counts over distinct articles, relation kinds, breadth-first
    depths, edges incident to an expanded actor, then `limit` actors grown strongest edge first."""
    weights: Counter[tuple[int, int]] = Counter()
    for published_at, actor_ids in articles.values():
        t = _naive(published_at)
        if (since and t < _naive(since)) or (until and t >= _naive(until)):
            continue
        for pair in combinations(sorted(set(actor_ids)), 2):
            weights[pair] += 1
    kinds: dict[tuple[int, int], set[str]] = defaultdict(set)
    for rel in relations:
        a, b = rel["subject"]["id"], rel["object"]["id"]
        if a != b and _holds(rel, as_of) and (not types or rel["type"] in types):
            kinds[tuple(sorted((a, b)))].add(rel["type"])
    valid = {p for p, w in weights.items() if w >= min_weight} | set(kinds)
    adjacency: dict[int, set[int]] = defaultdict(set)
    for a, b in valid:
        adjacency[a].add(b)
        adjacency[b].add(a)
    dist = {root: 0}
    layer = [root]
    for d in range(1, depth + 1):
        layer = [y for x in layer for y in adjacency[x] if y not in dist]
        for y in layer:
            dist.setdefault(y, d)
    edges = {p for p in valid if p[0] in dist and p[1] in dist and min(dist[p[0]], dist[p[1]]) < depth}
    score = {p: (weights.get(p, 0), 1 if kinds.get(p) else 0) for p in edges}
    kept, heap = {root}, []

    def push(x: int) -> None:
        for p in edges:
            if x in p:
                y = p[1] if p[0] == x else p[0]
                if y not in kept:
                    heapq.heappush(heap, (-score[p][0], -score[p][1], y))

    push(root)
    while heap and len(kept) < limit:
        *_, y = heapq.heappop(heap)
        if y not in kept:
            kept.add(y)
            push(y)
    out_edges = set()
    for a, b in edges:
        if a in kept and b in kept:
            source, target = sorted((a, b), key=lambda x: (dist[x], x))
            out_edges.add((source, target, weights.get((a, b), 0), tuple(sorted(kinds.get((a, b), ())))))
    return {"nodes": {x: dist[x] for x in kept}, "edges": out_edges}


def as_sets(body: dict) -> dict:
    return {
        "nodes": {n["id"]: n["depth"] for n in body["nodes"]},
        "edges": {(e["source"], e["target"], e["weight"], tuple(e["kinds"])) for e in body["edges"]},
    }


@pytest.fixture
def small_world(corpus):
    """Six fresh actors A–F, a few articles and relations among them only."""
    a, b, c, d, e, f, g = (corpus.actor()["id"] for _ in range(7))
    for when, who in [
        ("2024-01-10T08:00:00Z", [a, b, c]),
        ("2024-02-10T08:00:00Z", [a, b]),
        ("2024-03-10T08:00:00Z", [a, b, b, a]),
        ("2024-03-11T08:00:00Z", [b, d]),
        ("2024-03-12T08:00:00Z", [d, e]),
        ("2020-05-01T08:00:00Z", [a, c]),
        ("2024-04-01T08:00:00Z", [e, f]),
        ("2024-04-02T08:00:00Z", [f, g]),
        ("2024-04-03T08:00:00Z", [a]),
    ]:
        corpus.article(when, who)
    corpus.relation(a, "allied_with", f)
    corpus.relation(a, "opposes", b, valid_from="2024-01-01")
    corpus.relation(c, "part_of", d, valid_from="2020-01-01", valid_to="2021-01-01")
    corpus.stored_relation(g, "supports", g)  # a self-relation (the API refuses it now) is no edge
    relations = []
    for x in (a, b, c, d, e, f, g):
        relations.extend(all_pages(corpus.client, "/v1/relations", actor=x))
    relations = list({r["id"]: r for r in relations}.values())
    return {"ids": dict(zip("abcdefg", (a, b, c, d, e, f, g), strict=True)), "relations": relations}


CASES = [
    {},
    {"depth": 2},
    {"depth": 3},
    {"depth": 2, "min_weight": 2},
    {"depth": 3, "min_weight": 3},
    {"depth": 2, "since": "2024-01-01T00:00:00Z"},
    {"depth": 2, "since": "2024-02-01", "until": "2024-03-12"},
    {"depth": 2, "as_of": "2020-06-01"},
    {"depth": 3, "as_of": "2023-06-01"},
    {"depth": 2, "types": ["part_of", "opposes"]},
    {"depth": 3, "limit": 1},
    {"depth": 3, "limit": 2},
    {"depth": 3, "limit": 3},
    {"depth": 3, "limit": 5},
]


@pytest.mark.parametrize("params", CASES, ids=[str(c) for c in CASES])
def test_network_matches_reference(client, corpus, small_world, params, sampler):
    root = small_world["ids"]["a"]
    r = client.get(f"/v1/actors/{root}/network", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    ref_params = {k: v for k, v in params.items() if k != "as_of"}
    if "as_of" in params:
        ref_params["as_of"] = date.fromisoformat(params["as_of"])
    expected = reference(root, corpus.articles, small_world["relations"], **ref_params)
    assert as_sets(body) == expected
    assert body["truncated"] is False
    assert body["nodes"][0]["id"] == root and body["nodes"][0]["depth"] == 0
    assert [n["depth"] for n in body["nodes"]] == sorted(n["depth"] for n in body["nodes"])
    assert len({tuple(sorted((e["source"], e["target"]))) for e in body["edges"]}) == len(body["edges"])


def test_network_by_hand(client, small_world):
    ids = small_world["ids"]
    name = {v: k for k, v in ids.items()}
    body = client.get(f"/v1/actors/{ids['a']}/network").json()
    edges = {(name[e["source"]], name[e["target"]]): (e["weight"], e["kinds"]) for e in body["edges"]}
    # a-b: three articles (one mentions each twice); a-c: two; a-f: allied, never together in an article
    assert edges == {("a", "b"): (3, ["opposes"]), ("a", "c"): (2, []), ("a", "f"): (0, ["allied_with"])}
    assert {name[n["id"]]: n["depth"] for n in body["nodes"]} == {"a": 0, "b": 1, "c": 1, "f": 1}
    slug = next(n["slug"] for n in body["nodes"] if n["id"] == ids["a"])
    assert client.get(f"/v1/actors/{slug}/network").json() == body
    two = client.get(f"/v1/actors/{ids['a']}/network", params={"depth": 2, "limit": 3}).json()
    assert {name[n["id"]] for n in two["nodes"]} == {"a", "b", "c"}  # the strongest edges win


def test_network_hop_budget_reads_the_most_recent_articles(client, corpus, monkeypatch, sampler):
    hub, other, old = (corpus.actor()["id"] for _ in range(3))
    for day in range(1, 7):
        corpus.article(f"2024-06-0{day}T00:00:00Z", [hub, other])
    corpus.article("2024-06-07T00:00:00Z", [hub, old])  # stored last
    full = client.get(f"/v1/actors/{hub}/network").json()
    assert not full["truncated"]
    assert {(e["target"], e["weight"]) for e in full["edges"]} == {(other, 6), (old, 1)}
    monkeypatch.setattr(service, "ROOT_ARTICLES", 3)
    monkeypatch.setattr(service, "MIN_ARTICLES_PER_ACTOR", 1)
    cut = client.get(f"/v1/actors/{hub}/network").json()
    assert cut["truncated"]
    assert {(e["target"], e["weight"]) for e in cut["edges"]} == {(other, 2), (old, 1)}


def test_north_korea_network_from_the_seed(client):
    nk = client.get("/v1/actors/north-korea").json()["id"]
    articles = {}
    for art in all_pages(client, "/v1/articles", actor="north-korea"):
        detail = client.get(f"/v1/articles/{art['id']}").json()
        articles[art["id"]] = (detail["published_at"], [m["actor"]["id"] for m in detail["mentions"]])
    assert articles, "the seed article mentions North Korea"
    relations = all_pages(client, "/v1/relations", actor="north-korea")
    body = client.get("/v1/actors/north-korea/network", params={"limit": 500}).json()
    assert as_sets(body) == reference(nk, articles, relations, limit=500)
    slugs = {n["slug"] for n in body["nodes"]}
    assert {"russia", "south-korea", "kim-seon-ho", "nato", "ip4", "ukraine", "volodymyr-zelenskyy"} <= slugs
    russia = next(n["id"] for n in body["nodes"] if n["slug"] == "russia")
    (edge,) = [e for e in body["edges"] if {e["source"], e["target"]} == {nk, russia}]
    assert edge["source"] == nk and edge["weight"] == 1 and "treaty_with" in edge["kinds"]
    deeper = client.get("/v1/actors/north-korea/network", params={"depth": 2, "limit": 500}).json()
    assert {n["id"] for n in body["nodes"]} <= {n["id"] for n in deeper["nodes"]}
    assert max(n["depth"] for n in deeper["nodes"]) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"depth": 0},
        {"depth": 4},
        {"limit": 0},
        {"limit": 501},
        {"min_weight": 0},
        {"since": "2024-02-01", "until": "2024-01-01"},
        {"since": "2024-02-01", "until": "2024-02-01"},
        {"since": "yesterday"},
        {"as_of": "2024-02-30"},
        {"types": "Not A Type"},
    ],
)
def test_network_bad_parameters_are_400(client, params):
    r = client.get("/v1/actors/north-korea/network", params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_network_unknown_actor_is_404(client):
    r = client.get("/v1/actors/no-such-actor/network")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_window_looks_at_a_bounded_number_of_articles(client, corpus, monkeypatch, sampler):
    hub, old_friend, new_friend = (corpus.actor()["id"] for _ in range(3))
    corpus.article("2020-03-01T00:00:00Z", [hub, old_friend])
    corpus.article("2020-03-02T00:00:00Z", [hub, old_friend])
    for day in range(1, 7):
        corpus.article(f"2024-06-0{day}T00:00:00Z", [hub, new_friend])
    window = {"since": "2020-01-01", "until": "2021-01-01"}
    full = client.get(f"/v1/actors/{hub}/network", params=window).json()
    assert {(e["target"], e["weight"]) for e in full["edges"]} == {(old_friend, 2)}
    assert not full["truncated"]
    monkeypatch.setattr(service, "ROOT_ARTICLES", 2)
    monkeypatch.setattr(service, "MIN_ARTICLES_PER_ACTOR", 1)
    monkeypatch.setattr(service, "WINDOW_SCAN_FACTOR", 2)  # looks at the 4 most recent: all from 2024
    cut = client.get(f"/v1/actors/{hub}/network", params=window).json()
    assert cut["edges"] == [] and cut["truncated"]
