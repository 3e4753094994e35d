"""GDELT 2.0 import of the shared sample, checked over HTTP against what the file itself says."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.config import Settings
from app.db import make_sync_engine
from app.importers.gdelt import import_gdelt
from app.ingestion.urls import canonicalize_url
from app.models import Article, Event, EventArticle
from app.seed.events import cameo_types

from .conftest import (
    A1_COUNTRY,
    A1_GROUP,
    A1_NAME,
    A2_COUNTRY,
    A2_GROUP,
    A2_NAME,
    CAMEO,
    EVENT_CODE,
    EXPORT,
    GEO_COUNTRY,
    ID,
    QUAD_CLASS,
    SOURCE_URL,
    SQLDATE,
    walk,
    write_tsv,
)


def _count(settings: Settings, stmt: Any) -> int:
    engine = make_sync_engine(settings)
    try:
        with engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
    finally:
        engine.dispose()


def _event_id(client: Any, row: list[str], **params: Any) -> int:
    """The id of the event imported from ``row``, found through the date filter like a client would."""
    day = _sqldate(row)
    found = walk(
        client,
        source="gdelt",
        start_after=day.isoformat(),
        start_before=(day + timedelta(days=1)).isoformat(),
        **params,
    )
    return next(e["id"] for e in found if e["external_id"] == row[ID])


def _sqldate(row: list[str]) -> date:
    s = row[SQLDATE]
    return date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def test_sample_lands_once_per_event_and_twice_changes_nothing(client, settings, export_rows):
    ids = {r[ID] for r in export_rows}
    urls = {canonicalize_url(r[SOURCE_URL]) for r in export_rows if r[SOURCE_URL].startswith("http")}

    first = import_gdelt(settings.database_url, [EXPORT])
    assert first.rows_skipped == 0, first.skipped[:5]
    assert first.events_created == len(ids) and first.events_updated == 0
    assert first.articles_stubbed == len(urls)
    events = walk(client, source="gdelt")
    assert len(events) == len(ids)
    assert {e["external_id"] for e in events} == ids
    articles = _count(settings, select(func.count()).select_from(Article))
    links = _count(settings, select(func.count()).select_from(EventArticle))

    second = import_gdelt(settings.database_url, [EXPORT])
    assert (second.events_created, second.events_updated, second.events_unchanged) == (0, 0, len(ids))
    assert second.articles_stubbed == 0 and second.source_links == 0
    again = walk(client, source="gdelt")
    assert sorted(e["external_id"] for e in again) == sorted(ids)  # exactly one event per row
    assert _count(settings, select(func.count()).select_from(Article)) == articles
    assert _count(settings, select(func.count()).select_from(EventArticle)) == links
    assert _count(settings, select(func.count()).where(Event.source == "gdelt")) == len(ids)


def test_event_detail_carries_participants_location_attributes_and_source_article(
    client, settings, export_rows
):
    import_gdelt(settings.database_url, [EXPORT])
    # A row between two countries, located, with a web source: the common case, picked from the data.
    row = next(
        r
        for r in export_rows
        if r[A1_COUNTRY] == "USA"
        and r[A1_NAME] == "UNITED STATES"
        and r[A2_COUNTRY] not in ("", "USA")
        and r[A2_NAME]
        and r[GEO_COUNTRY] == "US"
        and r[SOURCE_URL].startswith("http")
    )
    event_id = _event_id(client, row)
    ev = client.get(f"/v1/events/{event_id}").json()

    assert ev["start_date"] == _sqldate(row).isoformat()
    assert ev["type"] is not None and row[EVENT_CODE].startswith(ev["type"])
    assert ev["location"]["country"] == "USA" and ev["location"]["name"] == row[52]
    parts = {(p["role"], p["actor"]["slug"]) for p in ev["participants"]}
    assert ("initiator", "united-states") in parts
    targets = [p["actor"]["name"] for p in ev["participants"] if p["role"] == "target"]
    assert targets
    # The title reads "Initiator — Action — Target": our actors' names, else GDELT's in title case.
    head, action, tail = ev["title"].split(" — ")
    assert head == "United States" and action
    assert tail in targets or (tail.upper() == row[A2_NAME] and tail != row[A2_NAME])
    attrs = ev["attributes"]
    assert attrs["source_url"] == row[SOURCE_URL]
    assert attrs["quad_class"] == int(row[QUAD_CLASS])
    assert attrs["goldstein"] == float(row[30]) and attrs["num_mentions"] == int(row[31])
    assert attrs["actor1"]["country"] == "USA" and attrs["actor2"]["country"] == row[A2_COUNTRY]
    assert attrs["date_added"].startswith(f"{row[59][:4]}-{row[59][4:6]}-{row[59][6:8]}T")
    assert [a["url"] for a in ev["articles"]] == [row[SOURCE_URL]]
    article = client.get(f"/v1/articles/{ev['articles'][0]['id']}").json()
    assert article["canonical_url"] == canonicalize_url(row[SOURCE_URL]) and article["body"] == ""
    assert event_id in [e["id"] for e in article["events"]]


def test_actor_filter_counts_rows_with_that_country_code(client, settings, export_rows):
    import_gdelt(settings.database_url, [EXPORT])
    expected = {r[ID] for r in export_rows if "USA" in (r[A1_COUNTRY], r[A2_COUNTRY])}
    got = walk(client, actor="united-states", source="gdelt")
    assert expected and {e["external_id"] for e in got} == expected


def test_named_blocs_resolve_although_their_country_code_is_a_region(client, settings, export_rows):
    import_gdelt(settings.database_url, [EXPORT])
    # NATO is coded with the region "WST" (the West) as its country: the group code or name finds it.
    expected = {
        r[ID]
        for r in export_rows
        if "NAT" in (r[A1_GROUP], r[A2_GROUP]) or "NATO" in (r[A1_NAME], r[A2_NAME])
    }
    assert expected
    assert {e["external_id"] for e in walk(client, actor="nato", source="gdelt")} == expected


def test_root_type_and_date_range_filters(client, settings, export_rows):
    import_gdelt(settings.database_url, [EXPORT])
    fights = {r[ID] for r in export_rows if r[EVENT_CODE].startswith("19")}
    assert fights and {e["external_id"] for e in walk(client, type="19", source="gdelt")} == fights

    days = sorted({_sqldate(r) for r in export_rows})
    start, end = days[len(days) // 3], days[2 * len(days) // 3]  # a range inside the data, ends exclusive
    in_range = {r[ID] for r in export_rows if start <= _sqldate(r) < end}
    got = walk(client, source="gdelt", start_after=start.isoformat(), start_before=end.isoformat())
    assert in_range and {e["external_id"] for e in got} == in_range


def test_country_filter_uses_fips_codes_mapped_to_iso(client, settings, export_rows):
    import_gdelt(settings.database_url, [EXPORT])
    # FIPS "GM" is Germany and "RS" Russia, while ISO alpha-2 GM is the Gambia and RS Serbia.
    for fips, iso3 in (("GM", "DEU"), ("RS", "RUS"), ("GA", "GMB")):
        expected = {r[ID] for r in export_rows if r[GEO_COUNTRY] == fips}
        assert expected, fips
        got = walk(client, country=iso3, source="gdelt")
        assert {e["external_id"] for e in got} == expected, fips


def test_a_later_row_for_the_same_event_updates_it(client, settings, export_rows, tmp_path):
    import_gdelt(settings.database_url, [EXPORT])
    row = next(
        r for r in export_rows if r[A1_COUNTRY] == "USA" and r[A2_COUNTRY] == "CHN" and not r[A2_GROUP]
    )
    changed = list(row)
    changed[EVENT_CODE] = "190" if not row[EVENT_CODE].startswith("19") else "042"
    changed[27], changed[28] = changed[EVENT_CODE], changed[EVENT_CODE][:2]
    changed[A2_COUNTRY], changed[A2_NAME], changed[15] = "FRA", "FRANCE", "FRA"
    later = write_tsv(tmp_path / "20170702000000.export.CSV", [changed])

    report = import_gdelt(settings.database_url, [later])
    assert (report.events_created, report.events_updated, report.events_unchanged) == (0, 1, 0)
    ev = client.get(f"/v1/events/{_event_id(client, row, type=changed[EVENT_CODE])}").json()
    assert ev["type"] == changed[EVENT_CODE] and ev["title"].endswith("— France")
    targets = {p["actor"]["slug"] for p in ev["participants"] if p["role"] == "target"}
    assert targets == {"france"}
    assert len(walk(client, source="gdelt")) == len({r[ID] for r in export_rows})

    again = import_gdelt(settings.database_url, [later])
    assert (again.events_updated, again.events_unchanged) == (0, 1)


def test_bad_rows_are_reported_by_line_and_the_rest_lands(client, settings, export_rows, tmp_path):
    good = export_rows[:3]
    short = export_rows[3][:40]
    bad_date = list(export_rows[4])
    bad_date[SQLDATE] = "20171345"
    bad_id = list(export_rows[5])
    bad_id[ID] = "x12"
    lines = [good[0], short, good[1], bad_date, bad_id, good[2]]
    path = write_tsv(tmp_path / "broken.export.CSV", lines)

    report = import_gdelt(settings.database_url, [path])
    assert [(s.file, s.line) for s in report.skipped] == [(str(path), 2), (str(path), 4), (str(path), 5)]
    assert "40" in report.skipped[0].reason and "SQLDATE" in report.skipped[1].reason
    assert report.rows_skipped == 3 and report.events_created == 3
    assert {e["external_id"] for e in walk(client, source="gdelt")} == {r[ID] for r in good}

    # The same file zipped: the same rows land (nothing new), the same lines are reported.
    zipped = tmp_path / "broken.export.CSV.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(path, path.name)
    again = import_gdelt(settings.database_url, [zipped])
    assert [s.line for s in again.skipped] == [2, 4, 5] and again.skipped[0].file.endswith(path.name)
    assert (again.events_created, again.events_unchanged) == (0, 3)


def test_event_types_are_the_cameo_table_and_types_filter_by_name(client, settings, export_rows):
    table = {t["code"]: t for t in cameo_types(CAMEO)}
    listed = {t["code"]: t for t in walk(client, "/v1/event-types")}
    assert set(listed) == set(table)
    for code, t in listed.items():
        assert t["root_code"] == code[:2]
        assert t["parent_code"] == {2: None, 3: code[:2], 4: code[:3]}[len(code)]
        assert t["quad_class"] in (1, 2, 3, 4)
    # GDELT states each event's quad class: the taxonomy must agree with it for every row.
    for r in export_rows:
        code = next(c for c in (r[EVENT_CODE], r[EVENT_CODE][:3], r[EVENT_CODE][:2]) if c in listed)
        assert listed[code]["quad_class"] == int(r[QUAD_CLASS]), r[EVENT_CODE]

    import_gdelt(settings.database_url, [EXPORT])
    names = [t["name"] for t in listed.values()]
    codes = [r[EVENT_CODE] for r in export_rows]
    code = max(
        (c for c in set(codes) if c in listed and names.count(listed[c]["name"]) == 1),
        key=codes.count,
    )
    expected = {r[ID] for r in export_rows if r[EVENT_CODE].startswith(code)}
    got = walk(client, source="gdelt", type=listed[code]["name"])
    assert {e["external_id"] for e in got} == expected
    assert all(e["type_name"] == listed[e["type"]]["name"] for e in got)


def test_mentions_link_events_to_the_articles_that_mention_them(
    client, settings, export_rows, mention_rows, tmp_path
):
    import_gdelt(settings.database_url, [EXPORT])
    known = {r[ID] for r in export_rows}
    # The sample's mentions are of events from other exports; point most of them at events we have.
    ids = sorted(known)
    rows = []
    for i, m in enumerate(mention_rows[:300]):
        m = list(m)
        if i % 10:
            m[0] = ids[i * 7 % len(ids)]
        rows.append(m)
    path = write_tsv(tmp_path / "20170701234500.mentions.CSV", rows)
    pairs = {(m[0], canonicalize_url(m[5])) for m in rows if m[0] in known}
    stored = {canonicalize_url(r[SOURCE_URL]) for r in export_rows if r[SOURCE_URL].startswith("http")}
    new_urls = {u for _, u in pairs} - stored

    report = import_gdelt(settings.database_url, [], [path])
    assert report.mentions_read == len(rows)
    assert report.mentions_unknown_event == sum(1 for m in rows if m[0] not in known) > 0
    assert report.mentions_linked == len(pairs) and report.articles_stubbed == len(new_urls)

    ext, url = sorted(pairs)[0]
    m = next(m for m in rows if (m[0], canonicalize_url(m[5])) == (ext, url))
    ev = client.get(f"/v1/events/{_event_id(client, next(r for r in export_rows if r[ID] == ext))}").json()
    linked = next(a for a in ev["articles"] if a["url"] == m[5])
    article = client.get(f"/v1/articles/{linked['id']}").json()
    assert article["source"] == m[4] and article["body"] == ""
    assert article["published_at"].startswith(
        f"{m[2][:4]}-{m[2][4:6]}-{m[2][6:8]}T{m[2][8:10]}:{m[2][10:12]}"
    )

    again = import_gdelt(settings.database_url, [], [path])
    assert (again.mentions_linked, again.mentions_already_linked, again.articles_stubbed) == (
        0,
        len(pairs),
        0,
    )


def test_mentions_file_named_on_the_command_line_is_recognised(tmp_path):
    from app.importers.gdelt import is_mentions_file

    assert is_mentions_file(Path("20170701234500.mentions.CSV"))
    assert is_mentions_file(Path("x/20170701234500.mentions.CSV.zip"))
    assert not is_mentions_file(Path("20170701234500.export.CSV"))


def test_the_import_writes_one_change_per_stored_row(client, settings, export_rows):
    head = client.get("/v1/changes").json()["head"]
    first = import_gdelt(settings.database_url, [EXPORT])

    def changes_after(**params: Any) -> list[dict[str, Any]]:
        out, after = [], head
        while True:
            page = client.get("/v1/changes", params={**params, "after": after, "limit": 1000}).json()
            out += page["items"]
            if page["next_after"] >= page["head"]:
                return out
            after = page["next_after"]

    changes = changes_after()
    events = [c for c in changes if c["entity"] == "event"]
    articles = [c for c in changes if c["entity"] == "article"]
    assert len(events) == first.events_created and {c["op"] for c in events} == {"created"}
    assert len(articles) == first.articles_stubbed
    assert len({(c["entity"], c["entity_id"]) for c in changes}) == len(changes)
    by_actor = changes_after(actor="united-states", entity="event")
    expected = {e["id"] for e in walk(client, actor="united-states", source="gdelt")}
    assert expected and {c["entity_id"] for c in by_actor} == expected
    import_gdelt(settings.database_url, [EXPORT])  # nothing changed: no change
    assert client.get("/v1/changes").json()["head"] == max(c["seq"] for c in changes)
