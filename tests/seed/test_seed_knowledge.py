"""The seeded database answers a reader's questions, checked against facts verified from primary sources
(NATO's member-countries page and accession protocols, EU treaties, the BRICS/SCO/ASEAN declarations)."""

from __future__ import annotations

import pycountry
import pytest
from sqlalchemy import func, select

from app.db import make_sync_engine
from app.models import Actor, ActorAlias, Article, Claim, Event, EventParticipant, Mention, Relation
from app.seed.loader import seed


def members(client, org, day):
    r = client.get(f"/v1/actors/{org}/members", params={"as_of": day, "limit": 200})
    assert r.status_code == 200, r.text
    return {m["actor"]["slug"] for m in r.json()["items"]}


@pytest.mark.parametrize(
    ("day", "size"),
    [
        ("1949-08-23", 0),
        ("1949-08-24", 12),
        ("1952-02-18", 14),
        ("1955-05-06", 15),
        ("1982-05-30", 16),
        ("1999-03-12", 19),
        ("2004-03-29", 26),
        ("2009-04-01", 28),
        ("2017-06-05", 29),
        ("2020-03-27", 30),
        ("2023-04-04", 31),
        ("2024-03-07", 32),
    ],
)
def test_nato_size_on_dates(client, day, size):
    assert len(members(client, "nato", day)) == size


def test_nato_nordic_accessions(client):
    assert "finland" not in members(client, "nato", "2023-04-03")
    assert "finland" in members(client, "nato", "2023-04-04")
    assert "sweden" not in members(client, "nato", "2024-03-06")
    assert "sweden" in members(client, "nato", "2024-03-07")
    assert {"united-states", "united-kingdom", "france", "canada", "iceland"} <= members(
        client, "nato", "1950-01-01"
    )


def test_ip4_and_other_blocs(client):
    assert members(client, "ip4", "2024-10-17") == {"south-korea", "japan", "australia", "new-zealand"}
    assert members(client, "aukus", "2024-01-01") == {"australia", "united-kingdom", "united-states"}
    assert members(client, "quad", "2024-01-01") == {"australia", "india", "japan", "united-states"}
    assert members(client, "five-eyes", "2024-01-01") == {
        "australia",
        "canada",
        "new-zealand",
        "united-kingdom",
        "united-states",
    }
    assert members(client, "g7", "2024-01-01") == {
        "canada",
        "france",
        "germany",
        "italy",
        "japan",
        "united-kingdom",
        "united-states",
    }
    brics_2023 = members(client, "brics", "2023-12-31")
    assert brics_2023 == {"brazil", "russia", "india", "china", "south-africa"}
    assert members(client, "brics", "2024-01-01") == brics_2023 | {
        "egypt",
        "ethiopia",
        "iran",
        "united-arab-emirates",
    }
    assert "indonesia" in members(client, "brics", "2025-01-06")


def test_eu_with_brexit(client):
    assert "united-kingdom" in members(client, "eu", "2020-01-31")
    assert "united-kingdom" not in members(client, "eu", "2020-02-01")
    assert len(members(client, "eu", "2019-06-01")) == 28
    assert len(members(client, "eu", "2020-02-01")) == 27
    assert "croatia" not in members(client, "eu", "2013-06-30") and "croatia" in members(
        client, "eu", "2013-07-01"
    )


def test_every_iso_country_is_an_actor_with_codes(client, settings):
    engine = make_sync_engine(settings)
    with engine.connect() as c:
        n = c.scalar(select(func.count()).select_from(Actor).where(Actor.kind == "country"))
    engine.dispose()
    assert n == len(pycountry.countries)
    for slug, iso2, iso3 in [
        ("north-korea", "KP", "PRK"),
        ("south-korea", "KR", "KOR"),
        ("united-states", "US", "USA"),
        ("russia", "RU", "RUS"),
    ]:
        a = client.get(f"/v1/actors/{slug}").json()
        assert (
            a["external_ids"]["iso2"] == iso2 and a["external_ids"]["iso3"] == iso3 and a["country"] == iso3
        )


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("DPRK", "north-korea"),
        ("Democratic People's Republic", "north-korea"),
        ("Pyongyang", "north-korea"),
        ("the Kremlin", "russia"),
        ("Kyiv", "ukraine"),
        ("PRK", "north-korea"),
        ("kp", "north-korea"),
        ("Seoul", "south-korea"),
        ("North Korean", "north-korea"),
    ],
)
def test_find_country_by_name_code_or_capital(client, query, slug):
    r = client.get("/v1/actors", params={"q": query, "kind": "country"})
    assert slug in [a["slug"] for a in r.json()["items"]], (query, r.json())


def test_ambiguous_aliases_are_marked(settings):
    engine = make_sync_engine(settings)
    with engine.connect() as c:
        ambiguous = set(c.scalars(select(ActorAlias.normalized).where(ActorAlias.ambiguous.is_(True))))
    engine.dispose()
    assert "washington" in ambiguous


def test_who_is_kim_seon_ho(client):
    kim = client.get("/v1/actors/kim-seon-ho", params={"as_of": "2024-10-17"}).json()
    assert kim["kind"] == "person" and kim["country"] == "KOR"
    titles = {(p["title"], p["actor"]["slug"]) for p in kim["positions"]}
    assert ("Vice Minister of National Defense", "south-korea") in titles


def test_nato_secretary_general_handover(client):
    def leaders(day):
        return {
            t["actor"]["slug"] for t in client.get("/v1/actors/nato", params={"as_of": day}).json()["leaders"]
        }

    assert "jens-stoltenberg" in leaders("2024-09-30") and "mark-rutte" not in leaders("2024-09-30")
    assert "mark-rutte" in leaders("2024-10-01") and "jens-stoltenberg" not in leaders("2024-10-01")


def test_treaty_between_russia_and_north_korea(client):
    rels = client.get(
        "/v1/relations", params={"subject": "russia", "object": "north-korea", "type": "treaty_with"}
    ).json()
    (treaty,) = rels["items"]
    assert treaty["valid_from"] == "2024-06-19"
    assert "mutual_defence_clause" in treaty["attributes"]
    assert treaty["evidence"] and all(e["quote"] for e in treaty["evidence"])
    before = client.get(
        "/v1/relations", params={"subject": "russia", "type": "treaty_with", "as_of": "2024-06-18"}
    )
    assert "north-korea" not in {r["object"]["slug"] for r in before.json()["items"]}
    after = client.get(
        "/v1/relations", params={"subject": "russia", "type": "treaty_with", "as_of": "2024-06-19"}
    )
    assert "north-korea" in {r["object"]["slug"] for r in after.json()["items"]}


def test_seed_article_events_and_claims(client):
    arts = client.get("/v1/articles", params={"source": "seed"}).json()["items"]
    assert len(arts) == 1
    article = client.get(f"/v1/articles/{arts[0]['id']}").json()
    body = article["body"]
    assert (
        "spot_img" not in body
        and "Get in Touch" not in body
        and "Indo-Pacific" in body
        and "In\ndo" not in body
    )
    for m in article["mentions"]:
        assert body[m["start"] : m["end"]] == m["text"]
    mentioned = {m["actor"]["slug"] for m in article["mentions"]}
    assert {
        "north-korea",
        "russia",
        "south-korea",
        "kim-seon-ho",
        "nato",
        "ip4",
        "volodymyr-zelenskyy",
    } <= mentioned
    events = client.get("/v1/events", params={"source": "seed"}).json()["items"]
    titles = " ".join(e["title"].lower() for e in events)
    assert "brussels" in titles or any(e["location"] and e["location"]["name"] == "Brussels" for e in events)
    summit = [e for e in events if e["start_date"] == "2024-06-19"]
    assert len(summit) >= 2  # the summit and the treaty signing
    signing = client.get(f"/v1/events/{[e for e in summit if e['type'] == '057'][0]['id']}").json()
    assert {"vladimir-putin", "kim-jong-un"} <= {p["actor"]["slug"] for p in signing["participants"]}
    deployment = [e for e in events if e["status"] == "disputed"]
    assert deployment
    claims = client.get("/v1/claims", params={"about": "north-korea", "limit": 100}).json()["items"]
    by_speaker: dict[str, set[str]] = {}
    for c in claims:
        by_speaker.setdefault(c["speaker"]["slug"], set()).add(c["stance"])
    assert by_speaker["volodymyr-zelenskyy"] == {"asserts"}
    assert by_speaker["kim-seon-ho"] & {"suggests", "doubts"}
    assert by_speaker["united-states"] == {"doubts"}
    prop = [c["proposition_id"] for c in claims if c["speaker"]["slug"] == "volodymyr-zelenskyy"][0]
    grouped = client.get(f"/v1/propositions/{prop}").json()
    assert grouped["stance_counts"]["asserts"] >= 1 and grouped["stance_counts"]["doubts"] >= 1


def test_seeding_twice_changes_nothing(settings):
    engine = make_sync_engine(settings)
    tables = (Actor, ActorAlias, Article, Mention, Relation, Event, EventParticipant, Claim)

    def snapshot():
        with engine.connect() as c:
            counts = {t.__tablename__: c.scalar(select(func.count()).select_from(t)) for t in tables}
            stamps = c.scalar(select(func.max(Actor.updated_at)))
        return counts, stamps

    before = snapshot()
    report = seed(engine)
    assert not report.changed, report.summary()
    assert snapshot() == before
    engine.dispose()
