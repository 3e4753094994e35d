"""Real news pages posted whole to POST /v1/articles: stored as their article text only, linked only to
the actors of the story, not found by words of their cookie banners; the raw HTML kept only on request."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.actors.gazetteer import load_entries
from app.db import make_sync_engine
from app.ingestion.linker import Gazetteer

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
DW_URL = "https://www.dw.com/en/berlin-confronts-germanys-colonial-past-with-new-initiative/a-52060881"
# Countries of DW's language menu ("Albanian Shqip", "Bulgarian Български", …) that the story never names.
MENU_COUNTRIES = {
    "albania",
    "bulgaria",
    "russia",
    "ukraine",
    "poland",
    "greece",
    "serbia",
    "croatia",
    "turkey",
}


def _page(path: str) -> str:
    return gzip.decompress((PAGES / path).read_bytes()).decode("utf-8")


def _slugs(detail: dict[str, Any]) -> set[str]:
    return {m["actor"]["slug"] for m in detail["mentions"]}


def _story_actors(settings: Any, story: str) -> set[str]:
    """The actors the seeded gazetteer finds in the page's expected main text (tests/data/pages)."""
    engine = make_sync_engine(settings)
    try:
        with Session(engine) as session:
            gazetteer = Gazetteer(load_entries(session))
            ids = {m.actor_id for m in gazetteer.find(story)}
            rows = session.execute(text("SELECT id, slug FROM actors")).all()
    finally:
        engine.dispose()
    return {slug for aid, slug in rows if aid in ids}


def _raw_rows(settings: Any) -> dict[int, str]:
    engine = make_sync_engine(settings)
    try:
        with engine.connect() as c:
            return dict(c.execute(text("SELECT article_id, html FROM article_raw")).all())
    finally:
        engine.dispose()


def test_a_dw_page_posted_whole_is_stored_as_its_article_and_links_only_its_actors(
    client, settings, write_headers
):
    html = _page("trafilatura/dw.com.colonial.html.gz")
    r = client.post("/v1/articles", json={"url": DW_URL, "body": html}, headers=write_headers)
    assert r.status_code == 201, r.text
    article = client.get(r.headers["Location"]).json()

    # Title, date and language come from the page, marked as extracted.
    assert article["title"] == "Berlin confronts Germany's colonial past with new initiative"
    assert article["published_at"] == "2020-01-19T00:00:00Z"
    assert article["date_source"] == "extracted"
    assert article["language"] == "en" and article["language_confidence"] is None
    assert article["source"] == "dw.com"

    # The body is the article: its first and last paragraphs, none of the page around it.
    body = article["body"]
    assert body.startswith("The German capital has launched a five-year project to mark its part")
    assert body.endswith("opened the gates to a period of intense imperialist activity.")
    for debris in ("Albanian", "Shqip", "Choose from 30 Languages", "cookies", "More info", "Facebook"):
        assert debris not in body

    # Linked: exactly the actors of the story (those found in its expected main text), and no country
    # of the language menu.
    expected = json.loads((PAGES / "annotated.json").read_text(encoding="utf-8"))["dw.com.colonial"]
    story = _story_actors(settings, expected["articleBody"])
    assert {"germany", "namibia"} <= story
    assert _slugs(article) == story
    assert not _slugs(article) & MENU_COUNTRIES
    assert client.get("/v1/articles", params={"actor": "albania"}).json()["items"] == []

    # The raw page was not asked for: not kept.
    assert _raw_rows(settings) == {}


def test_without_extraction_the_same_page_links_its_menu(client, settings, write_headers):
    """The failure extraction fixes, reproduced with extract=false: the language menu becomes mentions."""
    html = _page("trafilatura/dw.com.colonial.html.gz")
    payload = {"url": DW_URL, "body": html, "extract": False, "title": "DW", "published_at": "2020-01-19"}
    r = client.post("/v1/articles", json=payload, headers=write_headers)
    assert r.status_code == 201, r.text
    article = client.get(r.headers["Location"]).json()
    assert "Albanian Shqip" in article["body"]
    assert _slugs(article) & MENU_COUNTRIES
    assert client.get("/v1/articles", params={"actor": "albania"}).json()["items"]


def test_a_cookie_banner_is_not_searchable(client, write_headers):
    """pv-magazine's page has a cookie-settings banner ("allow cookies"): extracted, q=cookies does not
    find the article; stored through the fragment cleaner (extract=false), it does."""
    expected = json.loads((PAGES / "scrapinghub" / "expected.json").read_text(encoding="utf-8"))
    item = expected["b0cf2bbf0192"]
    html = _page("scrapinghub/b0cf2bbf0192.html.gz")
    r = client.post("/v1/articles", json={"url": item["url"], "body": html}, headers=write_headers)
    assert r.status_code == 201, r.text
    extracted_id = r.json()["id"]
    article = client.get(f"/v1/articles/{extracted_id}").json()
    assert "South Korea" in article["body"]
    assert "south-korea" in _slugs(article)

    def hits(q: str) -> set[int]:
        return {a["id"] for a in client.get("/v1/articles", params={"q": q}).json()["items"]}

    assert extracted_id in hits("solar")
    assert extracted_id not in hits("cookies")

    raw = {
        "url": item["url"] + "?copy=raw",
        "body": html,
        "extract": False,
        "title": "South Korea's roadmap to drive down solar costs",
        "published_at": "2019-11-20",
    }
    r = client.post("/v1/articles", json=raw, headers=write_headers)
    assert r.status_code == 201, r.text
    assert hits("cookies") == {r.json()["id"]}


def test_raw_html_is_kept_only_with_keep_raw_and_never_indexed(client, settings, write_headers):
    html = _page("trafilatura/dw.com.colonial.html.gz")
    r = client.post(
        "/v1/articles", json={"url": DW_URL, "body": html, "keep_raw": True}, headers=write_headers
    )
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert _raw_rows(settings) == {aid: html}
    # Words that only the raw page has are not searchable.
    assert client.get("/v1/articles", params={"q": "Shqip"}).json()["items"] == []
    # Deleting the article deletes its raw page.
    assert client.delete(f"/v1/articles/{aid}", headers=write_headers).status_code == 204
    assert _raw_rows(settings) == {}


def test_what_the_client_declares_wins_over_the_page(client, write_headers):
    html = _page("trafilatura/dw.com.colonial.html.gz")
    payload = {
        "url": DW_URL,
        "body": html,
        "title": "Berlin renames colonial-era streets",
        "published_at": "2020-01-20T06:30:00+01:00",
        "language": "en-GB",
        "source": "Deutsche Welle",
    }
    r = client.post("/v1/articles", json=payload, headers=write_headers)
    assert r.status_code == 201, r.text
    article = client.get(r.headers["Location"]).json()
    assert article["title"] == "Berlin renames colonial-era streets"
    assert article["published_at"] == "2020-01-20T05:30:00Z"
    assert article["date_source"] == "published"
    assert article["language"] == "en-GB"
    assert article["source"] == "Deutsche Welle"
    assert "Albanian" not in article["body"]


def test_missing_title_or_date_is_a_422_that_says_why(client, write_headers):
    fragment = {"url": "https://x.example.com/1", "body": "<p>Moscow and Kyiv talked.</p>"}
    r = client.post("/v1/articles", json=fragment, headers=write_headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "title and published_at: required unless the body is a whole HTML page" in r.text

    undated = (
        "<!DOCTYPE html><html><head><title>Talks</title></head><body><article>"
        + "<p>Officials from Moscow and Kyiv met in Istanbul on Tuesday to talk about grain exports.</p>" * 3
        + "</article></body></html>"
    )
    r = client.post(
        "/v1/articles", json={"url": "https://x.example.com/2", "body": undated}, headers=write_headers
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "published_at: missing, and the page declares no date" in r.text

    empty = "<!DOCTYPE html><html><head><title>App</title></head><body><script>start()</script></body></html>"
    r = client.post(
        "/v1/articles",
        json={"url": "https://x.example.com/3", "body": empty, "published_at": "2024-01-01"},
        headers=write_headers,
    )
    assert r.status_code == 422
    assert "no article text found in the HTML document" in r.text


def test_bulk_pages_fail_one_by_one(client, write_headers):
    html = _page("trafilatura/dw.com.colonial.html.gz")
    lines = [
        json.dumps({"url": DW_URL, "body": html}),
        json.dumps({"url": "https://x.example.com/4", "body": "<!DOCTYPE html><html><body></body></html>"}),
    ]
    r = client.post(
        "/v1/articles/bulk",
        content="\n".join(lines),
        headers={**write_headers, "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["created"] == 1
    assert [f["index"] for f in report["failed"]] == [1]
