from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests import factories
from tests.conftest import make_key


def test_event_crud_with_participants_articles_and_parent(client, write_headers):
    a = factories.actor(client, write_headers, kind="country", name="Eventland")
    b = factories.actor(client, write_headers, kind="person", name="Event Person")
    art = factories.article(client, write_headers)
    parent = factories.event(client, write_headers, type="Host a visit" if False else "043", title="Summit")
    r = client.post(
        "/v1/events",
        json={
            "type": "057",
            "title": "Treaty signed",
            "start_date": "2024-06-19",
            "location": {"name": "McMurdo", "country": "ATA", "lat": -77.8, "lon": 166.7},
            "participants": [
                {"actor": a["slug"], "role": "signatory"},
                {"actor": b["id"], "role": "signatory"},
            ],
            "articles": [art["id"]],
            "parent_id": parent["id"],
            "status": "confirmed",
        },
        headers=write_headers,
    )
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["type"] == "057" and ev["type_name"]
    assert ev["location"]["country"] == "ATA"
    assert {p["actor"]["slug"] for p in ev["participants"]} == {a["slug"], b["slug"]}
    assert [x["id"] for x in ev["articles"]] == [art["id"]]
    assert client.get(f"/v1/events/{parent['id']}").json()["children"] == [ev["id"]]

    ids = lambda **p: [x["id"] for x in client.get("/v1/events", params=p).json()["items"]]  # noqa: E731
    assert ids(actor=a["slug"]) == [ev["id"]]
    assert ids(country="ATA", status="confirmed") == [ev["id"]]
    assert ev["id"] in ids(type="05") and ev["id"] not in ids(type="04")
    assert parent["id"] in ids(type="04")
    assert ids(actor=a["slug"], start_after="2024-06-20") == []

    r = client.patch(
        f"/v1/events/{ev['id']}", json={"status": "disputed", "participants": []}, headers=write_headers
    )
    assert r.status_code == 200 and r.json()["status"] == "disputed" and r.json()["participants"] == []
    assert client.delete(f"/v1/events/{ev['id']}", headers=write_headers).status_code == 204
    assert client.get(f"/v1/events/{ev['id']}").status_code == 404


def test_event_type_by_name_and_unknown_type(client, write_headers):
    r = client.post(
        "/v1/events",
        json={"type": "Sign formal agreement", "title": "x", "start_date": "2024-01-01"},
        headers=write_headers,
    )
    assert r.status_code == 201 and r.json()["type"] == "057"
    r = client.post(
        "/v1/events", json={"type": "999", "title": "x", "start_date": "2024-01-01"}, headers=write_headers
    )
    assert r.status_code == 422
    r = client.post(
        "/v1/events",
        json={"type": "057", "title": "x", "start_date": "2024-01-02", "end_date": "2024-01-01"},
        headers=write_headers,
    )
    assert r.status_code == 422
    assert client.get("/v1/events", params={"type": "nonsense type"}).status_code == 400


def test_external_id_unique_per_source(client, write_headers):
    body = {"type": "040", "title": "x", "start_date": "2024-01-01", "source": "acled", "external_id": "A1"}
    assert client.post("/v1/events", json=body, headers=write_headers).status_code == 201
    assert client.post("/v1/events", json=body, headers=write_headers).status_code == 409
    assert (
        client.post("/v1/events", json={**body, "source": "other"}, headers=write_headers).status_code == 201
    )


def test_the_event_hierarchy_stays_a_tree(client, write_headers):
    summit = factories.event(client, write_headers, title="Summit")
    session = factories.event(client, write_headers, title="Session", parent_id=summit["id"])
    statement = factories.event(client, write_headers, title="Statement", parent_id=session["id"])

    def reparent(event_id: int, parent_id: int | None) -> object:
        return client.patch(f"/v1/events/{event_id}", json={"parent_id": parent_id}, headers=write_headers)

    r = reparent(summit["id"], summit["id"])
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "parent_id"]
    for below in (session["id"], statement["id"]):  # a child, then a grandchild
        r = reparent(summit["id"], below)
        assert r.status_code == 422, r.text
        assert "cycle" in r.json()["detail"] and r.json()["errors"][0]["loc"] == ["body", "parent_id"]
    assert client.get(f"/v1/events/{summit['id']}").json()["parent_id"] is None  # nothing was written
    # Moving a branch elsewhere, and detaching it, stay allowed.
    other = factories.event(client, write_headers, title="Other summit")
    assert reparent(session["id"], other["id"]).json()["parent_id"] == other["id"]
    assert reparent(summit["id"], statement["id"]).json()["parent_id"] == statement["id"]
    assert reparent(summit["id"], None).json()["parent_id"] is None


def test_concurrent_reparenting_never_closes_a_cycle(server, settings):  # `server`: two worker processes
    """PATCH A.parent_id=B and B.parent_id=A sent at once, for many pairs: each pair gets one 200 and one
    422, and no pair ends up each other's parent (on PostgreSQL the check and the write of concurrent
    tree changes are serialised; SQLite's writers are)."""
    headers = {"Authorization": f"Bearer {make_key(settings, 'write')}"}
    pairs = 24
    with httpx.Client(base_url=server, headers=headers, timeout=60) as c:
        ids = []
        for i in range(2 * pairs):
            r = c.post("/v1/events", json={"type": "040", "title": f"Race {i}", "start_date": "2024-10-17"})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    moves = []
    for k in range(pairs):
        a, b = ids[2 * k], ids[2 * k + 1]
        moves += [(a, b), (b, a)]

    def patch(move: tuple[int, int]) -> int:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as c:
            return c.patch(f"/v1/events/{move[0]}", json={"parent_id": move[1]}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(patch, moves))
    with httpx.Client(base_url=server, timeout=30) as c:
        parent = {i: c.get(f"/v1/events/{i}").json()["parent_id"] for i in ids}
    cycles = [(a, b) for a, b in moves[::2] if parent[a] == b and parent[b] == a]
    assert cycles == []
    assert sorted(statuses[0::2] + statuses[1::2]) == [200] * pairs + [422] * pairs, statuses
