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
    r = client.post(
        "/v1/actors",
        params={"allow_duplicate": "true"},
        json={"kind": "organization", "name": "Same Name"},
        headers=write_headers,
    )
    b = r.json()
    assert r.status_code == 201
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


def test_same_name_kind_and_country_is_a_409_that_names_the_existing_actor(client, write_headers):
    body = {"kind": "media", "name": "Korean Central News Agency", "country": "PRK"}
    first = client.post("/v1/actors", json=body, headers=write_headers)
    assert first.status_code == 201
    where = f"/v1/actors/{first.json()['slug']}"
    again = client.post(
        "/v1/actors", json={**body, "name": "korean central news agency"}, headers=write_headers
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.headers["location"] == where and again.json()["existing"] == where
    assert client.get(again.json()["existing"]).json()["id"] == first.json()["id"]
    # Nothing was stored: still one actor of that name.
    found = client.get("/v1/actors", params={"q": "Korean Central News Agency", "kind": "media"}).json()
    assert [a["slug"] for a in found["items"]].count(first.json()["slug"]) == 1 and len(found["items"]) == 1
    # Another kind or country is another actor; allow_duplicate=true creates a second one on purpose.
    for other in (
        {**body, "kind": "organization"},
        {**body, "country": "KOR"},
        {k: body[k] for k in ("kind", "name")},
    ):
        assert client.post("/v1/actors", json=other, headers=write_headers).status_code == 201, other
    forced = client.post("/v1/actors", params={"allow_duplicate": True}, json=body, headers=write_headers)
    assert forced.status_code == 201 and forced.json()["slug"] != first.json()["slug"]


def test_exact_name_or_alias_ranks_first(client, write_headers):
    def slugs(q, **params):
        return [
            a["slug"]
            for a in client.get("/v1/actors", params={"q": q, "limit": 50, **params}).json()["items"]
        ]

    # Names that merely start with the query sort before it by name; the exact one still comes first.
    for q in ("South Korea", "south korea", "United States"):
        found = slugs(q)
        assert found[0] == q.lower().replace(" ", "-"), (q, found)
        assert len(found) > 1
    assert "south-korea-ministry-of-national-defense" in slugs("South Korea")
    # An exact alias beats a name that starts with it ("ROK" is South Korea's alias).
    navy = factories.actor(client, write_headers, name="ROK Fleet Command")
    found = slugs("ROK")
    assert found[0] == "south-korea" and navy["slug"] in found
    # Paging keeps the order: the exact match is on the first page only, then the rest, each once.
    first = client.get("/v1/actors", params={"q": "South Korea", "limit": 1}).json()
    rest = client.get(
        "/v1/actors", params={"q": "South Korea", "limit": 50, "cursor": first["next_cursor"]}
    ).json()
    assert [a["slug"] for a in first["items"] + rest["items"]] == slugs("South Korea")
