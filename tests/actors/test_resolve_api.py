"""/v1/resolve and the per-process linker: what the gazetteer finds in text, kept current as actors change."""

from __future__ import annotations

import json
from pathlib import Path


def test_resolve_stores_nothing(client):
    before = client.get("/v1/articles", params={"limit": 200}).json()["items"]
    r = client.post(
        "/v1/resolve", json={"text": "Kim Seon-ho said Seoul would stay close to NATO. Kim added more."}
    )
    assert r.status_code == 200
    got = [(m["text"], m["actor"]["slug"]) for m in r.json()["mentions"]]
    assert got == [
        ("Kim Seon-ho", "kim-seon-ho"),
        ("Seoul", "south-korea"),
        ("NATO", "nato"),
        ("Kim", "kim-seon-ho"),
    ]
    assert client.get("/v1/articles", params={"limit": 200}).json()["items"] == before


def test_linker_reproduces_the_curated_seed_mentions(client):
    seed = json.loads((Path(__file__).resolve().parents[2] / "seed_data" / "articles.json").read_text())[0]
    r = client.post("/v1/resolve", json={"text": seed["body"]})
    found = {(m["start"], m["end"], m["actor"]["slug"]) for m in r.json()["mentions"]}
    gold = {(m["start"], m["end"], m["actor"]) for m in seed["mentions"]}
    assert found == gold


def test_gazetteer_refreshes_when_actors_change(client, write_headers):
    text = "The Zyxwv Accord met in Geneva."
    assert client.post("/v1/resolve", json={"text": text}).json()["mentions"] == []
    client.post("/v1/actors", json={"kind": "alliance", "name": "Zyxwv Accord"}, headers=write_headers)
    got = client.post("/v1/resolve", json={"text": text}).json()["mentions"]
    assert [m["actor"]["slug"] for m in got] == ["zyxwv-accord"]
