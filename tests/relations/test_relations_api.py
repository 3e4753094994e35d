from __future__ import annotations

from tests import factories


def test_relation_crud_as_of_and_direction(client, write_headers):
    pact = factories.actor(client, write_headers, kind="alliance", name="Test Pact")
    a = factories.actor(
        client, write_headers, kind="country", name="Testland", country="TST" if False else None
    )
    b = factories.actor(client, write_headers, kind="country", name="Otherland")
    art = factories.article(client, write_headers)
    r = client.post(
        "/v1/relations",
        json={
            "subject": a["slug"],
            "type": "member_of",
            "object": pact["id"],
            "valid_from": "2000-01-01",
            "valid_to": "2010-01-01",
            "source": "test",
            "evidence": [{"article_id": art["id"], "quote": "joined"}],
        },
        headers=write_headers,
    )
    assert r.status_code == 201, r.text
    rel = r.json()
    assert rel["subject"]["slug"] == a["slug"] and rel["object"]["slug"] == pact["slug"]
    assert rel["evidence"] == [{"article_id": art["id"], "quote": "joined"}]
    client.post(
        "/v1/relations",
        json={"subject": b["slug"], "type": "member_of", "object": pact["slug"], "valid_from": "2005-06-01"},
        headers=write_headers,
    )

    def members(day):
        r = client.get(f"/v1/actors/{pact['slug']}/members", params={"as_of": day})
        return sorted(m["actor"]["slug"] for m in r.json()["items"])

    assert members("1999-12-31") == []
    assert members("2000-01-01") == [a["slug"]]
    assert members("2007-01-01") == sorted([a["slug"], b["slug"]])
    assert members("2010-01-01") == [b["slug"]]  # valid_to is the first day it no longer holds

    rels = client.get("/v1/relations", params={"object": pact["slug"], "as_of": "2001-01-01"}).json()["items"]
    assert [x["id"] for x in rels] == [rel["id"]]
    out = client.get(f"/v1/actors/{a['slug']}/relations", params={"direction": "out"}).json()["items"]
    inn = client.get(f"/v1/actors/{a['slug']}/relations", params={"direction": "in"}).json()["items"]
    assert [x["id"] for x in out] == [rel["id"]] and inn == []

    r = client.patch(f"/v1/relations/{rel['id']}", json={"valid_to": None}, headers=write_headers)
    assert r.status_code == 200 and r.json()["valid_to"] is None
    assert members("2020-01-01") == sorted([a["slug"], b["slug"]])
    detail = client.get(f"/v1/actors/{a['slug']}").json()
    assert [m["actor"]["slug"] for m in detail["memberships"]] == [pact["slug"]]
    assert client.get(f"/v1/actors/{pact['slug']}").json()["members_count"] == 2
    assert client.delete(f"/v1/relations/{rel['id']}", headers=write_headers).status_code == 204
    assert client.get(f"/v1/relations/{rel['id']}").status_code == 404


def test_relation_validation(client, write_headers):
    a = factories.actor(client, write_headers)
    b = factories.actor(client, write_headers)
    r = client.post(
        "/v1/relations",
        json={"subject": a["slug"], "type": "member_of", "object": "nope-nope"},
        headers=write_headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "object"]
    r = client.post(
        "/v1/relations",
        json={
            "subject": a["slug"],
            "type": "member_of",
            "object": b["slug"],
            "valid_from": "2020-01-01",
            "valid_to": "2019-01-01",
        },
        headers=write_headers,
    )
    assert r.status_code == 422
    r = client.post(
        "/v1/relations",
        json={
            "subject": a["slug"],
            "type": "member_of",
            "object": b["slug"],
            "evidence": [{"article_id": 987654}],
        },
        headers=write_headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "evidence"]
    # An actor in a relation with itself (by slug and by id), and nothing is stored.
    for obj in (a["slug"], a["id"]):
        r = client.post(
            "/v1/relations",
            json={"subject": a["slug"], "type": "member_of", "object": obj},
            headers=write_headers,
        )
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "object"], r.text
    assert client.get("/v1/relations", params={"actor": a["slug"]}).json()["items"] == []
