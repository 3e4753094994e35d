from __future__ import annotations

from tests import factories


def test_actor_crud_by_id_and_slug(client, write_headers):
    r = client.post(
        "/v1/actors",
        json={
            "kind": "person",
            "name": "Ada Testperson",
            "aliases": ["A. Testperson", {"alias": "Testperson", "kind": "name"}],
            "country": "KOR",
            "description": "A person made by a test.",
            "external_ids": {"wikidata": "Q999999991"},
        },
        headers=write_headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["slug"] == "ada-testperson"
    assert r.headers["location"] == "/v1/actors/ada-testperson"
    assert {a["alias"] for a in body["aliases"]} == {"A. Testperson", "Testperson"}
    assert body["external_ids"] == {"wikidata": "Q999999991"}

    by_slug = client.get("/v1/actors/ada-testperson").json()
    by_id = client.get(f"/v1/actors/{body['id']}").json()
    assert by_slug == by_id

    r = client.patch(
        "/v1/actors/ada-testperson",
        json={"description": "Edited.", "aliases": ["Ada T."]},
        headers=write_headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "Edited."
    assert [a["alias"] for a in r.json()["aliases"]] == ["Ada T."]

    assert client.delete(f"/v1/actors/{body['id']}", headers=write_headers).status_code == 204
    assert client.get("/v1/actors/ada-testperson").status_code == 404


def test_slug_is_made_unique_and_explicit_duplicate_is_409(client, write_headers):
    a = factories.actor(client, write_headers, name="Same Name")
    b = factories.actor(client, write_headers, name="Same Name")
    assert a["slug"] == "same-name" and b["slug"] == "same-name-2"
    r = client.post(
        "/v1/actors", json={"kind": "person", "name": "X", "slug": "same-name"}, headers=write_headers
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


def test_external_id_owned_by_one_actor(client, write_headers):
    factories.actor(client, write_headers, external_ids={"wikidata": "Q123456789"})
    r = client.post(
        "/v1/actors",
        json={"kind": "person", "name": "Other", "external_ids": {"wikidata": "Q123456789"}},
        headers=write_headers,
    )
    assert r.status_code == 409


def test_list_filters_kind_country_and_prefix(client, write_headers):
    factories.actor(client, write_headers, kind="armed_group", name="Zzyzx Brigade", country="UKR")
    factories.actor(client, write_headers, kind="armed_group", name="Zzyzx Legion", country="RUS")
    r = client.get("/v1/actors", params={"kind": "armed_group", "q": "zzyzx"})
    assert [a["name"] for a in r.json()["items"]] == ["Zzyzx Brigade", "Zzyzx Legion"]
    r = client.get("/v1/actors", params={"kind": "armed_group", "country": "UKR"})
    assert [a["name"] for a in r.json()["items"]] == ["Zzyzx Brigade"]


def test_list_pages_with_cursor_and_link_header(client, write_headers):
    names = [f"Pagetest {i:02d}" for i in range(7)]
    for n in names:
        factories.actor(client, write_headers, kind="media", name=n)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"kind": "media", "q": "pagetest", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = client.get("/v1/actors", params=params)
        assert r.status_code == 200
        page = r.json()
        seen += [a["name"] for a in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor:
            assert 'rel="next"' in r.headers["link"] and "cursor=" in r.headers["link"]
        else:
            assert "link" not in r.headers
            break
    assert seen == names
    assert pages == 3
