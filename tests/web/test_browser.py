"""The explorer as a person uses it, in Chromium: search -> article -> actor -> alliance -> event map ->
proposition on the seeded database, asserting on what is on the screen. Each page is checked with axe-core
and for console errors, and photographed at 1280 and 390 px (tests/web/artifacts/)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.main import create_app

from .conftest import Server, Web

IP4_MEMBERS = ["Australia", "Japan", "New Zealand", "South Korea"]


def _has_stream_route() -> bool:
    return "/v1/changes/stream" in create_app().openapi()["paths"]


def test_journey_search_article_actor_alliance_events_proposition(web: Web, explorer_server: Server) -> None:
    page = web.goto("/")
    expect(page.get_by_role("heading", name="Search articles")).to_be_visible()

    # Search: the words go in the box, the URL says so, the snippet marks them.
    page.get_by_label("Words").fill("civilian personnel")
    page.get_by_label("Words").press("Enter")
    web.settle()
    assert "q=civilian+personnel" in web.path()
    results = page.locator("#results-page > li")
    expect(results).to_have_count(1)
    title = (
        "North Korea May Be Providing Civilian, Not Military, Support to Russia, Says South Korean Official"
    )
    expect(results.first.get_by_role("link", name=title)).to_be_visible()
    expect(results.first.locator("mark")).to_have_text(["civilian", "personnel"])
    facets = page.locator("#facets .facet")  # counted after the page, by a fragment request
    expect(facets.first).to_be_visible()
    expect(page.locator("#facets").get_by_role("link", name=re.compile(r"^seed\s+1$"))).to_be_visible()
    expect(
        page.locator("#facets").get_by_role("link", name=re.compile(r"^Indo-Pacific Four\s+1$"))
    ).to_be_visible()
    web.check("search")

    # Article: the text with its linked mentions highlighted.
    results.first.get_by_role("link", name=title).click()
    web.settle()
    assert web.path() == "/articles/1"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    body = page.locator("section.body")
    kim = body.locator("a.mention[data-actor='kim-seon-ho']")
    north_korea = body.locator("a.mention[data-actor='north-korea']")
    assert kim.count() >= 2 and north_korea.count() >= 5
    expect(kim.first).to_contain_text("Kim Seon-ho")
    expect(north_korea.first).to_contain_text("North Korea")
    kim.first.hover()
    expect(kim.first.locator(".tip")).to_be_visible()
    expect(kim.first.locator(".tip")).to_have_text(re.compile(r"Kim Seon-ho: person · confidence \d\.\d\d"))
    background = kim.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    expect(page.get_by_role("heading", name=re.compile(r"^Claims in this article 7$"))).to_be_visible()
    web.check("article")

    # Actor: click a mention.
    kim.first.click()
    web.settle()
    assert web.path() == "/actors/kim-seon-ho"
    expect(page.get_by_role("heading", level=1)).to_have_text("Kim Seon-ho")
    expect(page.get_by_text("Vice Minister of National Defense").first).to_be_visible()
    expect(page.locator("#chart canvas").first).to_be_attached()
    expect(page.locator("#graph svg circle")).to_have_count(page.locator(".neighbours li").count() + 1)
    expect(page.locator(".neighbours").get_by_role("link", name="Indo-Pacific Four")).to_be_visible()
    web.check("actor")

    # Alliance: IP4's members on 2024-10-17.
    page.locator(".neighbours").get_by_role("link", name="Indo-Pacific Four").click()
    web.settle()
    page.get_by_role("link", name=re.compile("members over time")).click()
    web.settle()
    assert web.path().startswith("/alliances/ip4")
    page.get_by_label("Members on", exact=True).fill("2024-10-17")
    page.get_by_role("button", name="Show", exact=True).click()
    web.settle()
    expect(page.locator("#members-date")).to_have_text("2024-10-17")
    expect(page.locator("#members li a")).to_have_text(IP4_MEMBERS)
    expect(page.get_by_role("heading", name="4 members on 2024-10-17")).to_be_visible()
    assert web.path() == "/alliances/ip4?as_of=2024-10-17"
    web.check("alliance")

    # Events: the map has markers; clicking one says what is there.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Events").click()
    web.settle()
    markers = page.locator("#map svg circle.marker")
    expect(markers.first).to_be_attached()
    places = markers.count()
    assert places >= (100 if explorer_server.gdelt else 3)
    expect(page.locator("#map-status")).to_contain_text(f"at {places:,} places")
    expect(page.locator("#event-list > li")).to_have_count(50 if explorer_server.gdelt else 6)
    markers.first.dispatch_event("click")
    expect(page.locator("#map-status a")).to_be_visible()
    web.check("events")

    # Proposition: from a claim in the seed article.
    web.goto("/articles/1")
    page.get_by_role("link", name="the disputed question").first.click()
    web.settle()
    assert re.fullmatch(r"/propositions/\d+", web.path())
    expect(page.get_by_role("heading", level=1)).not_to_be_empty()
    for stance in ("asserts", "suggests", "doubts", "denies"):
        expect(page.locator(f"#stance-{stance}")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Speakers \d+$"))).to_be_visible()
    expect(page.locator(".stance-group .claim-list li").first).to_be_visible()
    web.check("proposition")


def test_keyboard_skip_link_focus_ring_and_typo_tolerant_autocomplete(web: Web) -> None:
    page = web.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused[0] == "Skip to content"
    page.keyboard.press("Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "the focused link has no visible focus ring"

    picker = page.get_by_role("combobox", name="Mentions actor")
    picker.focus()
    picker.press_sequentially("nort kora", delay=30)  # a typo: the API's fuzzy match still finds it
    option = page.locator("#pick-actor-list").get_by_role("option", name=re.compile("^North Korea"))
    expect(option).to_be_visible()
    expect(picker).to_have_attribute("aria-expanded", "true")
    picker.press("ArrowDown")
    expect(page.locator("#pick-actor-list [role=option]").first).to_have_attribute("aria-selected", "true")
    picker.press("Enter")
    web.settle()
    assert "actor=north-korea" in web.path()
    expect(page.get_by_role("region", name="Active filters")).to_contain_text("North Korea")
    expect(page.locator("#results-page > li").first).to_be_visible()


def test_url_holds_the_state_back_button_and_more(web: Web) -> None:
    page = web.goto("/")
    shown = page.locator("#results-page > li")
    expect(shown).to_have_count(20)
    page.get_by_role("link", name="More results").click()
    expect(shown).to_have_count(40)
    assert web.path() == "/"
    ids = shown.evaluate_all("els => els.map(e => e.querySelector('a').getAttribute('href'))")
    assert len(set(ids)) == 40

    language = page.locator("#facets").get_by_role("link", name=re.compile(r"^en\s"))
    expect(language).to_be_visible()
    language.click()
    web.settle()
    assert web.path() == "/?language=en"
    expect(page.get_by_role("region", name="Active filters")).to_contain_text("language: en")
    page.go_back()
    web.settle()
    assert web.path() == "/"
    expect(page.get_by_role("region", name="Active filters")).to_have_count(0)
    page.go_forward()
    web.settle()
    assert web.path() == "/?language=en"

    csv = page.get_by_role("link", name="CSV")
    href = csv.get_attribute("href")
    assert href == "/v1/articles?language=en&format=csv"
    response = page.request.get(web.server.url + href)
    assert response.ok and response.headers["content-type"].startswith("text/csv")


def test_alliance_slider_moves_through_time_and_back_returns(web: Web) -> None:
    page = web.goto("/alliances/eu?as_of=2019-06-01")
    members = page.locator("#members li a")
    expect(members.filter(has_text="United Kingdom")).to_have_count(1)
    count_2019 = members.count()
    page.get_by_label("Members on", exact=True).fill("2021-01-01")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#members-date")).to_have_text("2021-01-01")
    expect(members.filter(has_text="United Kingdom")).to_have_count(0)
    expect(members).to_have_count(count_2019 - 1)
    expect(page.get_by_label("Date", exact=True)).to_have_attribute("aria-valuetext", "2021-01-01")
    slider = page.get_by_label("Date", exact=True)
    slider.focus()
    slider.press("Home")
    web.settle()
    expect(page.locator("#members-date")).not_to_have_text("2021-01-01")
    page.go_back()
    web.settle()
    assert web.path() == "/alliances/eu?as_of=2021-01-01"
    page.go_back()
    expect(page.locator("#members-date")).to_have_text("2019-06-01")
    expect(members.filter(has_text="United Kingdom")).to_have_count(1)


def test_pages_read_without_javascript(no_js: Web) -> None:
    page = no_js.goto("/?q=civilian+personnel")
    expect(page.locator("#results-page mark").first).to_have_text("civilian")
    expect(page.locator("#facets").get_by_role("link", name=re.compile("Count the matches"))).to_be_visible()
    page.locator("#facets").get_by_role("link").click()
    expect(page.locator("#facets .facet").first).to_be_visible()
    page = no_js.goto("/?actor=nort+kora")
    expect(page.get_by_role("alert")).to_contain_text("No actor “nort kora”")
    page.get_by_role("alert").get_by_role("link", name="North Korea").click()
    assert "actor=north-korea" in no_js.path()
    page = no_js.goto("/articles/1")
    expect(page.locator("a.mention[data-actor='kim-seon-ho']").first).to_be_visible()
    page = no_js.goto("/alliances/ip4?as_of=2024-10-17")
    expect(page.locator("#members li a")).to_have_text(IP4_MEMBERS)
    page = no_js.goto("/actors/north-korea")
    expect(page.locator(".neighbours li").first).to_be_visible()
    expect(page.locator("details table tbody tr").first).to_be_attached()


@pytest.mark.parametrize(
    "path",
    ["/", "/articles/1", "/actors/north-korea?with=russia", "/alliances/nato", "/events", "/propositions"],
)
def test_fits_a_360_px_screen(browser: Any, explorer_server: Server, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(explorer_server.url + path)
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0, f"{path} is {overflow} px too wide at 360 px"


@pytest.mark.skipif(not _has_stream_route(), reason="the app has no /v1/changes/stream route")
def test_live_strip_shows_a_new_article(web: Web, explorer_server: Server) -> None:
    page = web.goto("/")
    strip = page.locator("#live")
    expect(strip).to_be_visible()
    title = f"Live strip check {uuid.uuid4().hex[:8]}"
    r = httpx.post(
        f"{explorer_server.url}/v1/articles",
        json={
            "url": f"https://live.example.org/{uuid.uuid4().hex}",
            "title": title,
            "body": "NATO defence ministers met in Brussels to discuss support for Ukraine. " * 3,
            "published_at": "2024-10-19T08:00:00Z",
            "source": "live.example.org",
        },
        headers={"Authorization": f"Bearer {explorer_server.key('write')}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    expect(strip.get_by_role("link", name=title)).to_be_visible(timeout=20_000)
    expect(strip.get_by_role("link", name=title)).to_have_attribute("href", f"/articles/{r.json()['id']}")
