"""Where do the claims about North Korean troops disagree? Answered by /v1/claims and /v1/propositions on the
seed (claims.json: Zelenskyy asserts, the United States and Kim Seon-ho doubt; Kim suggests civilians)."""

from __future__ import annotations

from collections import defaultdict

from tests.graph.support import all_pages


def _proposition(client, key: str) -> dict:
    (prop,) = [p for p in all_pages(client, "/v1/propositions") if p["key"] == key]
    r = client.get(f"/v1/propositions/{prop['id']}")
    assert r.status_code == 200, r.text
    return r.json()


def test_the_troops_question_splits_by_stance(client):
    troops = _proposition(client, "nk-troops-to-russia")
    by_stance = {s: {c["speaker"]["slug"] for c in cs} for s, cs in troops["by_stance"].items()}
    assert by_stance == {
        "asserts": {"volodymyr-zelenskyy"},
        "denies": set(),
        "suggests": set(),
        "doubts": {"united-states", "kim-seon-ho"},
    }
    assert troops["stance_counts"] == {"asserts": 1, "denies": 0, "suggests": 0, "doubts": 2}
    assert {c["id"] for c in troops["claims"]} == {c["id"] for cs in troops["by_stance"].values() for c in cs}


def test_claims_filters_answer_the_same_question(client):
    troops = _proposition(client, "nk-troops-to-russia")
    about_nk = all_pages(client, "/v1/claims", about="north-korea", proposition=troops["id"])
    assert {c["id"] for c in about_nk} == {c["id"] for c in troops["claims"]}
    stances: dict[str, set[str]] = defaultdict(set)
    for c in all_pages(client, "/v1/claims", about="north-korea"):
        stances[c["proposition_id"]].add(c["stance"])
    disputed = {p for p, s in stances.items() if p and "asserts" in s and s & {"doubts", "denies"}}
    assert disputed == {troops["id"]}
    doubters = all_pages(client, "/v1/claims", proposition=troops["id"], stance="doubts")
    assert {c["speaker"]["slug"] for c in doubters} == {"united-states", "kim-seon-ho"}
    kim = all_pages(client, "/v1/claims", speaker="kim-seon-ho", about="russia")
    civilian = _proposition(client, "nk-civilian-personnel-to-russia")
    assert {c["proposition_id"] for c in kim if c["stance"] == "suggests"} >= {civilian["id"]}
    (zelenskyy,) = all_pages(client, "/v1/claims", speaker="volodymyr-zelenskyy")
    event = client.get(f"/v1/events/{zelenskyy['event_id']}").json()
    assert zelenskyy["id"] in {c["id"] for c in all_pages(client, "/v1/claims", event=event["id"])}
    assert event["start_date"] == "2024-10-17"
