"""Places through the HTTP API: the gazetteer, linking (the Brussels cases), near/bbox, GeoJSON."""

from __future__ import annotations

import math
import uuid

from tests import factories

PROBLEM = "application/problem+json"


def _km(a: dict, b: dict) -> float:
    """Great-circle distance (haversine, mean Earth radius), computed here independently of the app."""
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dp, dl = p2 - p1, math.radians(b["lon"] - a["lon"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _place(client, pid: str) -> dict:
    r = client.get(f"/v1/places/{pid}")
    assert r.status_code == 200, r.text
    return r.json()


def _post(client, headers, body: str, source: str, **extra) -> dict:
    art = factories.article(client, headers, body=body, source=source, **extra)
    r = client.get(f"/v1/articles/{art['id']}")
    assert r.status_code == 200
    return r.json()


def test_gazetteer_search_detail_and_paging(client):
    r = client.get("/v1/places", params={"q": "bruss"})
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["id"] == "brussels-be"
    # Typos and aliases: "Brusels", the exonym "Kiev".
    assert "brussels-be" in [
        p["id"] for p in client.get("/v1/places", params={"q": "Brusels"}).json()["items"]
    ]
    assert [p["id"] for p in client.get("/v1/places", params={"q": "Kiev"}).json()["items"]][:1] == [
        "kyiv-ua"
    ]

    be = _place(client, "brussels-be")
    assert be["country"] == "BEL" and be["capital"] is True and be["population"] > 500_000
    assert abs(be["lat"] - 50.85) < 0.1 and abs(be["lon"] - 4.35) < 0.1
    assert be["country_actor"]["slug"] == "belgium"
    assert client.get("/v1/places/atlantis-xx").status_code == 404

    # Every capital of a UN member is there; a country filter pages by population without repeats.
    seen, cursor = [], None
    while True:
        params = {"country": "DEU", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/places", params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    ids = [p["id"] for p in seen]
    assert len(ids) == len(set(ids)) >= 3 and "berlin-de" in ids
    pops = [p["population"] for p in seen]
    assert pops == sorted(pops, reverse=True)
    assert all(p["country"] == "DEU" for p in seen)


def test_brussels_place_or_metonym(client, write_headers):
    src = f"brussels-{uuid.uuid4().hex[:8]}"
    cafe = _post(client, write_headers, "Tourists crowded a café in Brussels on Sunday afternoon.", src)
    assert [p["id"] for p in cafe["places"]] == ["brussels-be"]
    place = cafe["places"][0]
    start, end = place["offsets"][0]
    assert cafe["body"][start:end] == "Brussels" and place["main"] is True and place["count"] == 1
    assert "eu" not in {m["actor"]["slug"] for m in cafe["mentions"]}

    agreed = _post(
        client, write_headers, "Brussels and Washington agreed on Tuesday to cut tariffs on steel.", src
    )
    assert {"eu", "united-states"} <= {m["actor"]["slug"] for m in agreed["mentions"]}
    assert agreed["places"] == []

    # Persons and common words named like places do not link.
    trap = _post(
        client,
        write_headers,
        "Jackson said the plan would help Mobile users. Paris Hilton and Denzel Washington attended. "
        "Of the delegates, most stayed.",
        src,
    )
    assert trap["places"] == []

    # A dateline is where the story was filed; the city named twice is the main place.
    dated = _post(
        client,
        write_headers,
        "NAIROBI: Officials met in Nairobi and later in Mombasa. Talks ended in Nairobi.",
        src,
    )
    assert [(p["id"], p["count"], p["main"]) for p in dated["places"]] == [
        ("nairobi-ke", 3, True),
        ("mombasa-ke", 1, False),
    ]

    # An edit relinks; the bulk path links too.
    r = client.patch(
        f"/v1/articles/{cafe['id']}",
        json={"body": "Tourists crowded a café in Lisbon on Sunday afternoon."},
        headers=write_headers,
    )
    assert r.status_code == 200 and [p["id"] for p in r.json()["places"]] == ["lisbon-pt"]
    r = client.post(
        "/v1/articles/bulk",
        json=[
            {
                "url": f"https://bulk.example.com/{src}",
                "title": "Bulk story",
                "body": "Floods hit Dhaka and Chattogram this week.",
                "published_at": "2024-10-18T09:30:00Z",
                "source": src,
            }
        ],
        headers=write_headers,
    )
    assert r.status_code == 200, r.text
    bulk_id = next(o["id"] for o in r.json()["results"] if o.get("id")) if "results" in r.json() else None
    listed = client.get("/v1/articles", params={"source": src, "limit": 50}).json()["items"]
    bulk_id = bulk_id or next(a["id"] for a in listed if a["title"] == "Bulk story")
    detail = client.get(f"/v1/articles/{bulk_id}").json()
    assert [p["id"] for p in detail["places"]] == ["dhaka-bd", "chattogram-bd"]


def test_near_on_articles_is_exact_distance(client, write_headers):
    src = f"near-{uuid.uuid4().hex[:8]}"
    brussels, antwerp, paris = (_place(client, p) for p in ("brussels-be", "antwerp-be", "paris-fr"))
    ids = {}
    for p, text in ((brussels, "in Brussels"), (antwerp, "in Antwerp"), (paris, "in Paris")):
        ids[p["id"]] = _post(client, write_headers, f"Protesters gathered {text} on Friday.", src)["id"]

    def near(center: dict, km: float, **extra) -> set[int]:
        params = {"near": f"{center['lat']},{center['lon']},{km}", "source": src, "limit": 50, **extra}
        r = client.get("/v1/articles", params=params)
        assert r.status_code == 200, r.text
        return {a["id"] for a in r.json()["items"]}

    d_antwerp, d_paris = _km(brussels, antwerp), _km(brussels, paris)
    assert 30 < d_antwerp < 60 and 250 < d_paris < 280
    assert near(brussels, d_antwerp - 0.5) == {ids["brussels-be"]}
    assert near(brussels, d_antwerp + 0.5) == {ids["brussels-be"], ids["antwerp-be"]}
    assert near(brussels, d_paris - 0.5) == {ids["brussels-be"], ids["antwerp-be"]}
    assert near(brussels, d_paris + 0.5) == set(ids.values())
    # bbox in GeoJSON order (minlon, minlat, maxlon, maxlat): Belgium's box holds two of them.
    r = client.get("/v1/articles", params={"bbox": "2.5,50.6,6.4,51.5", "source": src})
    assert {a["id"] for a in r.json()["items"]} == {ids["brussels-be"], ids["antwerp-be"]}

    # With full text, facets or actors the search index answers the area too: each article's document
    # holds the places it names.
    r = client.get(
        "/v1/articles", params={"q": "protesters", "near": f"{paris['lat']},{paris['lon']},20", "source": src}
    )
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()["items"]] == [ids["paris-fr"]]
    assert r.headers.get("X-Answered-By") == "index"
    r = client.get(
        "/v1/articles",
        params={"q": "protesters", "bbox": "2.5,50.6,6.4,51.5", "source": src, "facets": "source"},
    )
    assert r.status_code == 200 and r.headers.get("X-Answered-By") == "index", r.text
    assert {a["id"] for a in r.json()["items"]} == {ids["brussels-be"], ids["antwerp-be"]}
    assert r.json()["facets"]["source"] == [{"value": src, "count": 2}]
    r = client.get(
        "/v1/articles", params={"q": "nothingmatcheshere", "near": f"{paris['lat']},{paris['lon']},20"}
    )
    assert r.status_code == 200 and r.json()["items"] == []
    r = client.get("/v1/articles", params={"q": "protesters", "bbox": "-40,-40,-39,-39"})  # no place there
    assert r.status_code == 200 and r.json()["items"] == []

    # Articles as GeoJSON: one point per article, at its main place.
    r = client.get("/v1/articles", params={"format": "geojson", "source": src, "bbox": "-5,42,8,52"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    coords = {f["id"]: f["geometry"]["coordinates"] for f in fc["features"]}
    assert coords[ids["paris-fr"]] == [paris["lon"], paris["lat"]] and len(coords) == 3

    # An edit relinks the article's places, and the index follows.
    r = client.patch(
        f"/v1/articles/{ids['paris-fr']}",
        json={"body": "Protesters gathered in Antwerp on Friday."},
        headers=write_headers,
    )
    assert r.status_code == 200, r.text
    r = client.get("/v1/articles", params={"q": "protesters", "bbox": "2.5,50.6,6.4,51.5", "source": src})
    assert r.headers.get("X-Answered-By") == "index"
    assert {a["id"] for a in r.json()["items"]} == set(ids.values())


def _event(client, headers, title: str, **body) -> dict:
    r = client.post(
        "/v1/events",
        json={"type": "043", "title": title, "start_date": "2024-06-01", **body},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_events_geojson_bbox_only_inside_and_inherited_place(client, write_headers):
    tag = uuid.uuid4().hex[:10]
    inside = _event(
        client, write_headers, f"Talks {tag} A", location={"name": "Lyon", "lat": 45.76, "lon": 4.84}
    )
    edge = _event(
        client, write_headers, f"Talks {tag} B", location={"name": "Geneva", "lat": 46.2, "lon": 6.14}
    )
    outside = _event(
        client, write_headers, f"Talks {tag} C", location={"name": "Rome", "lat": 41.89, "lon": 12.48}
    )
    art = factories.article(client, write_headers, body="Leaders met in Marseille on Monday.")
    inherited = _event(client, write_headers, f"Talks {tag} D", articles=[art["id"]])
    assert inherited["location"]["inherited"] is True and inherited["location"]["place_id"] == "marseille-fr"
    marseille = _place(client, "marseille-fr")
    assert (inherited["location"]["lat"], inherited["location"]["lon"]) == (
        marseille["lat"],
        marseille["lon"],
    )
    nowhere = _event(client, write_headers, f"Talks {tag} E")
    assert nowhere["location"] is None

    bbox = (3.0, 43.0, 7.0, 47.0)
    r = client.get("/v1/events", params={"format": "geojson", "bbox": ",".join(map(str, bbox)), "q": tag})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    for f in fc["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]
        assert f["properties"]["title"].startswith("Talks")
    assert {f["id"] for f in fc["features"]} == {inside["id"], edge["id"], inherited["id"]}
    assert outside["id"] not in {f["id"] for f in fc["features"]}

    # The same filter on the JSON list, and near= by exact distance from Lyon.
    listed = client.get("/v1/events", params={"bbox": ",".join(map(str, bbox)), "q": tag}).json()["items"]
    assert {e["id"] for e in listed} == {inside["id"], edge["id"], inherited["id"]}
    lyon = {"lat": 45.76, "lon": 4.84}
    d_geneva = _km(lyon, {"lat": 46.2, "lon": 6.14})

    def got(km: float) -> set[int]:
        items = client.get("/v1/events", params={"near": f"45.76,4.84,{km}", "q": tag}).json()["items"]
        return {e["id"] for e in items}

    assert got(d_geneva - 0.5) == {inside["id"]}
    assert got(d_geneva + 0.5) == {inside["id"], edge["id"]}
    # A box across the antimeridian holds none of them; the whole world holds every located one.
    assert client.get("/v1/events", params={"bbox": "170,-50,-170,50", "q": tag}).json()["items"] == []
    everywhere = client.get("/v1/events", params={"format": "geojson", "q": tag}).json()
    geometries = {f["id"]: f["geometry"] for f in everywhere["features"]}
    assert geometries[nowhere["id"]] is None and len(geometries) == 5


def test_invalid_geo_parameters_are_400(client):
    """Bad query parameters are 400 problem+json (CONVENTIONS.md: 422 only for invalid bodies)."""
    bad = [
        {"near": "50,4"},
        {"near": "a,b,c"},
        {"near": "91,0,10"},
        {"near": "50,4,0"},
        {"near": "50,4,nan"},
        {"bbox": "1,2,3"},
        {"bbox": "0,10,5,5"},
        {"bbox": "0,-95,5,5"},
        {"bbox": "0,0,1,1", "near": "0,0,10"},
    ]
    for path in ("/v1/articles", "/v1/events"):
        for params in bad:
            r = client.get(path, params=params)
            assert r.status_code == 400, (path, params, r.text)
            assert r.headers["content-type"].startswith(PROBLEM)
    assert client.get("/v1/actors", params={"format": "geojson"}).status_code == 400
    assert client.get("/v1/places", params={"country": "XX1"}).status_code == 400


def test_bbox_across_the_antimeridian_on_articles(client, write_headers):
    """minlon > maxlon: the box wraps through 180°; the index answers the list, SQL the GeoJSON export."""
    src = f"wrap-{uuid.uuid4().hex[:8]}"
    suva = _post(client, write_headers, "Ministers met in Suva on Monday to discuss fisheries.", src)
    lisbon = _post(client, write_headers, "Ministers met in Lisbon on Monday to discuss fisheries.", src)
    assert [p["id"] for p in suva["places"]] == ["suva-fj"]
    assert [p["id"] for p in lisbon["places"]] == ["lisbon-pt"]
    for extra in ({}, {"q": "fisheries"}):
        r = client.get("/v1/articles", params={"bbox": "170,-50,-170,50", "source": src, **extra})
        assert r.status_code == 200, r.text
        assert [a["id"] for a in r.json()["items"]] == [suva["id"]], extra
        r = client.get("/v1/articles", params={"bbox": "-170,-50,170,50", "source": src, **extra})
        assert [a["id"] for a in r.json()["items"]] == [lisbon["id"]], extra
    for bbox, want in (("170,-50,-170,50", suva), ("-170,-50,170,50", lisbon)):
        r = client.get("/v1/articles", params={"bbox": bbox, "source": src, "format": "geojson"})
        assert r.status_code == 200, r.text
        assert [f["id"] for f in r.json()["features"]] == [want["id"]], bbox
