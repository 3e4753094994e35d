"""The explorer's server-rendered pages over HTTP (no browser), on every engine: what each page says, how
it fails, and that it never lets article text through as markup."""

from __future__ import annotations

import re
from typing import Any

from app.web import render

TITLE = "North Korea May Be Providing Civilian, Not Military, Support to Russia, Says South Korean Official"


def test_search_page_renders_results_with_marked_snippets(client: Any) -> None:
    r = client.get("/", params={"q": "civilian personnel"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert TITLE in r.text
    assert "<mark>civilian</mark> <mark>personnel</mark>" in r.text
    assert 'data-src="/?q=civilian+personnel&amp;fragment=facets"' in r.text
    assert 'href="/v1/articles?q=civilian+personnel&amp;format=csv"' in r.text


def test_facets_fragment_and_no_javascript_facets(client: Any) -> None:
    fragment = client.get("/", params={"q": "civilian personnel", "fragment": "facets"})
    assert fragment.status_code == 200
    assert 'id="facets"' in fragment.text and "Indo-Pacific Four" in fragment.text
    assert "<html" not in fragment.text
    inline = client.get("/", params={"q": "civilian personnel", "facets": "1"})
    assert 'class="facet"' in inline.text and "fragment=facets" not in inline.text


def test_unknown_actor_gets_suggestions_not_an_error_page(client: Any) -> None:
    r = client.get("/", params={"actor": "nort kora"})
    assert r.status_code == 200
    assert "No actor “nort kora”" in r.text
    assert 'href="/?actor=north-korea"' in r.text


def test_bad_parameter_shows_the_api_problem(client: Any) -> None:
    r = client.get("/", params={"published_after": "yesterday"})
    assert r.status_code == 400
    assert 'role="alert"' in r.text and "published_after" in r.text


def test_article_page_highlights_mentions_from_offsets(client: Any) -> None:
    r = client.get("/articles/1")
    assert r.status_code == 200
    mentions = re.findall(r'<a class="mention kind-(\w+)" href="/actors/([\w-]+)"', r.text)
    assert ("person", "kim-seon-ho") in mentions and ("country", "north-korea") in mentions
    assert len(mentions) == len(client.get("/v1/articles/1").json()["mentions"])


def test_missing_things_are_html_404s(client: Any) -> None:
    for path in ("/articles/987654", "/actors/no-such-actor", "/alliances/no-such-actor", "/events/987654"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html") and "Not found" in r.text


def test_alliance_members_on_a_date(client: Any) -> None:
    r = client.get("/alliances/ip4", params={"as_of": "2024-10-17"})
    assert r.status_code == 200
    members = re.search(r'<ul class="members" id="members"[^>]*>(.*?)</ul>', r.text, re.S)
    assert members is not None
    names = re.findall(r'class="actor kind-country">([^<]+)</a>', members.group(1))
    assert names == ["Australia", "Japan", "New Zealand", "South Korea"]
    before = client.get("/alliances/ip4", params={"as_of": "2020-01-01"})
    assert '<span id="member-count">0</span>' in before.text


def test_actor_event_and_proposition_pages(client: Any) -> None:
    actor = client.get("/actors/kim-seon-ho", params={"with": "north-korea", "depth": "2"})
    assert actor.status_code == 200
    assert "Vice Minister of National Defense" in actor.text
    assert 'id="timeline-data"' in actor.text and "Kim Seon-ho &amp; North Korea" not in actor.text
    assert '"names":["Kim Seon-ho","North Korea","Kim Seon-ho & North Korea"]' in actor.text
    events = client.get("/events")
    assert events.status_code == 200 and "Meeting of NATO Defence Ministers" in events.text
    assert 'data-quad="{&#34;01&#34;:1' in events.text or "data-quad=" in events.text
    event = client.get("/events/1")
    assert event.status_code == 200 and "NATO Headquarters, Brussels" in event.text
    props = client.get("/propositions")
    first = re.search(r'href="/propositions/(\d+)"', props.text)
    assert first is not None
    prop = client.get(f"/propositions/{first.group(1)}")
    assert prop.status_code == 200
    for stance in ("asserts", "suggests", "doubts", "denies"):
        assert f'id="stance-{stance}"' in prop.text


def test_article_text_is_never_markup(client: Any, write_headers: dict[str, str]) -> None:
    # Ingestion strips tags, but entities become literal characters: "<script>" can be stored text.
    evil = "&lt;script&gt;alert(2)&lt;/script&gt; if 1 < 2 && 3 > 2 then &lt;mark&gt;"
    r = client.post(
        "/v1/articles",
        json={
            "url": "https://example.org/evil",
            "title": f"Evil {evil}",
            "body": f"{evil} civilian personnel were seen. " * 3,
            "published_at": "2024-10-19T00:00:00Z",
        },
        headers=write_headers,
    )
    assert r.status_code == 201, r.text
    stored = r.json()
    assert "<script>" in stored["body"] + stored["title"], "the premise: stored text holds a tag"
    for page in (client.get(f"/articles/{stored['id']}"), client.get("/", params={"q": "civilian seen"})):
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page.text


def test_explorer_routes_are_not_in_the_openapi_document(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all(p.startswith("/v1/") or p in ("/healthz", "/readyz") for p in paths)


def test_static_files_are_cached_by_content_hash(client: Any) -> None:
    page = client.get("/propositions").text
    css = re.search(r'href="(/static/css/explorer\.css\?v=[0-9a-f]{10})"', page)
    assert css is not None
    r = client.get(css.group(1))
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    assert client.get("/static/css/explorer.css").headers["cache-control"] == "no-cache"


def test_snippet_keeps_only_the_marks() -> None:
    out = render.snippet("a <b>bold</b> <mark>word</mark> & <script>x</script>")
    assert str(out) == "a &lt;b&gt;bold&lt;/b&gt; <mark>word</mark> &amp; &lt;script&gt;x&lt;/script&gt;"


def test_highlight_skips_overlaps_and_bad_offsets() -> None:
    actor = {"slug": "nk", "name": "North Korea", "kind": "country"}
    body = "North Korea said <no>.\n\nKorea again."
    mentions = [
        {"actor": actor, "start": 0, "end": 11, "confidence": 0.9},
        {"actor": actor, "start": 6, "end": 11},  # inside the first: skipped
        {"actor": actor, "start": 24, "end": 29},
        {"actor": actor, "start": 30, "end": 99},  # past the end: skipped
    ]
    html = str(render.highlight(body, mentions))
    assert html.count('class="mention') == 2
    assert "&lt;no&gt;" in html and "</p><p>" in html
    assert "confidence 0.90" in html


def test_state_links_toggle_one_filter() -> None:
    state = render.State({"q": ["nato"], "actor": ["russia", "china"], "source": ["seed"]})
    assert state.href(toggle=("actor", "china")) == "/?actor=russia&source=seed&q=nato"
    assert state.href(toggle=("language", "en")).endswith("&language=en&q=nato")
    assert state.href(q=None) == "/?actor=russia&actor=china&source=seed"
    assert state.swap("actor", "china", "iran") == "/?actor=russia&actor=iran&source=seed&q=nato"
