"""GET /v1/graph/path: shortest relation paths, checked against a breadth-first search over every relation
read back through /v1/relations."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from tests.graph.support import all_pages


def _holds(rel: dict, as_of: str | None) -> bool:
    if as_of is None:
        return True
    day = date.fromisoformat(as_of)
    vf = date.fromisoformat(rel["valid_from"]) if rel["valid_from"] else None
    vt = date.fromisoformat(rel["valid_to"]) if rel["valid_to"] else None
    return (vf is None or vf <= day) and (vt is None or vt > day)


def shortest_length(relations, source: int, target: int, *, as_of=None, types=None) -> int | None:
    adjacency = defaultdict(set)
    for rel in relations:
        if _holds(rel, as_of) and (not types or rel["type"] in types):
            a, b = rel["subject"]["id"], rel["object"]["id"]
            adjacency[a].add(b)
            adjacency[b].add(a)
    dist, layer = {source: 0}, [source]
    while layer:
        if target in dist:
            return dist[target]
        nxt = []
        for x in layer:
            for y in adjacency[x]:
                if y not in dist:
                    dist[y] = dist[x] + 1
                    nxt.append(y)
        layer = nxt
    return dist.get(target)


def check_path(body, relations, source: int, target: int, *, as_of=None, types=None) -> None:
    """The answer is a real chain of relations from source to target that obeys the filters."""
    by_id = {r["id"]: r for r in relations}
    nodes = [n["id"] for n in body["nodes"]]
    assert nodes[0] == source and nodes[-1] == target
    assert len(body["edges"]) == len(nodes) - 1
    assert len(set(nodes)) == len(nodes)
    for i, edge in enumerate(body["edges"]):
        rel = by_id[edge["relation_id"]]
        assert (edge["source"], edge["target"]) == (rel["subject"]["id"], rel["object"]["id"])
        assert {edge["source"], edge["target"]} == {nodes[i], nodes[i + 1]}
        assert edge["type"] == rel["type"] and edge["title"] == rel["title"]
        assert (edge["valid_from"], edge["valid_to"]) == (rel["valid_from"], rel["valid_to"])
        assert edge["evidence"] == [
            {"article_id": e["article_id"], "quote": e["quote"]} for e in rel["evidence"]
        ]
        assert _holds(rel, as_of) and (not types or rel["type"] in types)


@pytest.fixture
def relations(client):
    return all_pages(client, "/v1/relations")


def _id(client, slug: str) -> int:
    return client.get(f"/v1/actors/{slug}").json()["id"]


def test_kim_seon_ho_to_ip4(client, relations):
    r = client.get("/v1/graph/path", params={"from": "kim-seon-ho", "to": "ip4"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [n["slug"] for n in body["nodes"]] == ["kim-seon-ho", "south-korea", "ip4"]
    first, second = body["edges"]
    assert first["type"] == "holds_position" and first["title"] == "Vice Minister of National Defense"
    assert first["evidence"] and first["evidence"][0]["quote"] == "Vice Defense Minister Kim Seon-ho"
    assert second["type"] == "member_of"
    kim, korea, ip4 = (n["id"] for n in body["nodes"])
    assert (first["source"], first["target"]) == (kim, korea)
    assert (second["source"], second["target"]) == (korea, ip4)
    check_path(body, relations, kim, ip4)

    back = client.get("/v1/graph/path", params={"from": ip4, "to": "kim-seon-ho"}).json()
    assert [n["slug"] for n in back["nodes"]] == ["ip4", "south-korea", "kim-seon-ho"]
    assert [(e["source"], e["target"]) for e in back["edges"]] == [(korea, ip4), (kim, korea)]


def test_filters_change_the_answer(client, relations):
    kim, ip4 = _id(client, "kim-seon-ho"), _id(client, "ip4")
    on_day = client.get("/v1/graph/path", params={"from": kim, "to": ip4, "as_of": "2024-10-17"}).json()
    assert [e["type"] for e in on_day["edges"]] == ["holds_position", "member_of"]
    check_path(on_day, relations, kim, ip4, as_of="2024-10-17")
    for params in (
        {"as_of": "2023-01-01"},  # before he took office
        {"types": "member_of"},
        {"max_depth": 1},
    ):
        r = client.get("/v1/graph/path", params={"from": kim, "to": ip4, **params})
        body = r.json()
        assert r.status_code == 200 and (body["nodes"], body["edges"], body["found"]) == ([], [], False), (
            params
        )
        assert body["reason"], params
    shallow = client.get("/v1/graph/path", params={"from": kim, "to": ip4, "max_depth": 1}).json()
    assert shallow["reason"].startswith("No chain of at most 1 relations;")
    both = client.get(
        "/v1/graph/path", params={"from": kim, "to": ip4, "types": ["holds_position", "member_of"]}
    ).json()
    assert len(both["edges"]) == 2


PAIRS = [
    ("kim-seon-ho", "brics"),
    ("finland", "japan"),
    ("north-korea", "nato"),
    ("kim-seon-ho", "mark-rutte"),
    ("russia", "north-korea"),
    ("united-kingdom", "eu"),
    ("jens-stoltenberg", "vladimir-putin"),
]


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize(
    "params", [{}, {"max_depth": 6}, {"max_depth": 2}, {"as_of": "2021-01-01", "max_depth": 6}]
)
def test_seed_paths_are_shortest(client, relations, a, b, params):
    source, target = _id(client, a), _id(client, b)
    body = client.get("/v1/graph/path", params={"from": a, "to": b, **params}).json()
    best = shortest_length(relations, source, target, as_of=params.get("as_of"))
    max_depth = params.get("max_depth", 4)
    if best is None or best > max_depth:
        assert (body["nodes"], body["edges"], body["found"]) == ([], [], False)
        if best is None:  # no path at any depth: the search says so unless it stopped at the depth first
            assert body["reason"].startswith(("No path at any depth", f"No chain of at most {max_depth}"))
        else:
            assert body["reason"].startswith(f"No chain of at most {max_depth} ")
    else:
        assert body["found"] is True and body["reason"] is None
        assert len(body["edges"]) == best
        check_path(body, relations, source, target, as_of=params.get("as_of"))


def test_as_of_takes_the_long_way_round(client, corpus, relations):
    x, y, z, w, v = (corpus.actor()["id"] for _ in range(5))
    corpus.relation(x, "supports", y, valid_from="2020-01-01", valid_to="2022-01-01")
    corpus.relation(z, "supports", y)
    corpus.relation(x, "partner_of", w)
    corpus.relation(v, "opposes", w)
    corpus.relation(v, "treaty_with", z, valid_from="2019-01-01")
    relations = all_pages(client, "/v1/relations")
    short = client.get("/v1/graph/path", params={"from": x, "to": z, "as_of": "2021-06-01"}).json()
    assert [n["id"] for n in short["nodes"]] == [x, y, z]
    assert [(e["source"], e["target"]) for e in short["edges"]] == [(x, y), (z, y)]
    long = client.get("/v1/graph/path", params={"from": x, "to": z, "as_of": "2023-06-01"}).json()
    assert [n["id"] for n in long["nodes"]] == [x, w, v, z]
    check_path(long, relations, x, z, as_of="2023-06-01")
    assert (
        client.get("/v1/graph/path", params={"from": x, "to": z, "as_of": "2018-01-01"}).json()["nodes"] == []
    )
    assert client.get("/v1/graph/path", params={"from": x, "to": z, "max_depth": 3}).json()["nodes"]
    same = client.get("/v1/graph/path", params={"from": x, "to": x}).json()
    assert [n["id"] for n in same["nodes"]] == [x] and same["edges"] == []


def test_unknown_actor_is_404(client):
    for params in ({"from": "no-such-actor", "to": "nato"}, {"from": "nato", "to": "999999999"}):
        r = client.get("/v1/graph/path", params=params)
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "params",
    [
        {"to": "nato"},
        {"from": "nato"},
        {"from": "", "to": "nato"},
        {"from": "ip4", "to": "nato", "max_depth": 0},
        {"from": "ip4", "to": "nato", "max_depth": 7},
        {"from": "ip4", "to": "nato", "as_of": "someday"},
        {"from": "ip4", "to": "nato", "types": "member-of!"},
    ],
)
def test_bad_parameters_are_400(client, params):
    r = client.get("/v1/graph/path", params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_persons_linked_only_through_their_countries(client, relations):
    """Zelenskyy and Putin share no relation: the path runs through the offices they hold and the
    relations of the states they lead, as_of today and at any date."""
    zelenskyy, putin = _id(client, "volodymyr-zelenskyy"), _id(client, "vladimir-putin")
    assert not [r for r in relations if {r["subject"]["id"], r["object"]["id"]} == {zelenskyy, putin}]
    today = date.today().isoformat()
    for as_of in (None, today):
        params = {
            "from": "volodymyr-zelenskyy",
            "to": "vladimir-putin",
            **({"as_of": as_of} if as_of else {}),
        }
        body = client.get("/v1/graph/path", params=params).json()
        assert body["found"] is True and body["reason"] is None
        assert len(body["edges"]) == shortest_length(relations, zelenskyy, putin, as_of=as_of) >= 2
        check_path(body, relations, zelenskyy, putin, as_of=as_of)
        slugs = [n["slug"] for n in body["nodes"]]
        assert slugs[1] == "ukraine" and slugs[-2] == "russia", slugs  # through their countries
        assert body["edges"][0]["type"] in ("leader_of", "holds_position")
        assert body["edges"][-1]["type"] in ("leader_of", "holds_position")


def test_no_path_says_why(client, write_headers):
    hermit = client.post(
        "/v1/actors", json={"kind": "person", "name": "Unconnected Hermit"}, headers=write_headers
    ).json()
    body = client.get(
        "/v1/graph/path", params={"from": hermit["slug"], "to": "vladimir-putin", "max_depth": 6}
    ).json()
    assert (body["nodes"], body["edges"], body["found"]) == ([], [], False)
    assert body["reason"].startswith("No path at any depth") and "`from`" in body["reason"]
    typed = client.get(
        "/v1/graph/path",
        params={"from": "volodymyr-zelenskyy", "to": "vladimir-putin", "types": "member_of", "max_depth": 6},
    ).json()
    assert typed["found"] is False and "of type member_of" in typed["reason"]
