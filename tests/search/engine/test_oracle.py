"""Every query feature and filter of the engine against the SQL implementation of GET /v1/articles (the
live API on the same database): the same article ids, in the same order for the date sorts, the same set
for relevance (the engines score differently; the SQL ranking window covers this whole corpus)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app.models import Article, Place
from app.search.engine import MAX_TOP, Filters, member_spans
from app.search.engine.reader import POSTFILTER_SHARE, RARE_TEXT_SHARE, _postfilterable, _selectivity
from app.search.engine.schema import to_micros
from app.search.engine.translate import (
    combine,
    filter_query,
    ids_query,
    loose_query,
    text_matches_bound,
    text_query,
)
from app.search.query import parse

# Each case: API query parameters; slugs and sources are resolved to ids for the engine.
CASES: dict[str, dict[str, Any]] = {
    "word": {"q": "sanctions"},
    "two_words": {"q": "sanctions talks"},
    # PostgreSQL's SQL phrase search also matches across the title/body boundary (its tsvector is
    # title || body, positions run on: "…resume talks on the ceasefire" + "Talks between…" matches
    # "ceasefire talks"); FTS5 and the engine keep fields apart. Compared on SQLite only.
    "phrase": {"q": '"ceasefire talks"', "sqlite_only": True},
    "prefix": {"q": "sanc*"},
    "prefix_stemmed": {"q": "negotiations*"},
    "or": {"q": "wheat OR lithium"},
    "exclusion": {"q": "sanctions -drone"},
    "phrase_exclusion": {"q": 'talks -"ceasefire talks"', "sqlite_only": True},
    "or_and_exclusion": {"q": "summit OR election -tariffs"},
    # PostgreSQL's SQL search finds nothing for this ('s' is an English stop word, so the tsquery phrase
    # 'u' <-> 's' matches no tsvector): compared on SQLite only, where FTS5 agrees with the engine.
    "dotted": {"q": "U.S.", "sqlite_only": True},
    "actor": {"actor": ["iran"]},
    "actor_any": {"actor": ["iran", "brazil"]},
    "actors_all": {"actors_all": ["russia", "china"]},
    "actor_kind": {"actor_kind": ["alliance"]},
    "actor_kinds": {"actor_kind": ["alliance", "government_body"]},
    "country": {"country": "UKR"},
    "source": {"source": ["TOP0"]},
    "sources": {"source": ["TOP0", "TOP1", "TOP2"]},
    "language": {"language": ["fr"]},
    "languages": {"language": ["fr", "de"]},
    "event": {"event": 2},
    "date_window": {"published_after": "2022-01-01T00:00:00", "published_before": "2023-01-01T00:00:00"},
    "after_only": {"published_after": "2025-03-02T10:00:00"},
    "before_tie": {"published_before": "2023-06-15T12:00:00.250000"},
    "member_of": {"member_of": "nato"},
    "q_member_of": {"q": "sanctions", "member_of": "nato"},
    "q_actor": {"q": "sanctions", "actor": ["iran"]},
    "q_window": {
        "q": "sanctions",
        "published_after": "2022-01-01T00:00:00",
        "published_before": "2023-01-01T00:00:00",
    },
    "everything": {
        "q": "talks OR sanctions",
        "actor": ["russia", "united-states", "china"],
        "actor_kind": ["country"],
        "language": ["en", "de"],
        "published_after": "2021-06-01T00:00:00",
        "published_before": "2025-06-01T00:00:00",
    },
    "bbox": {"bbox": "-30,0,60,75"},  # Europe, Africa's north, the Middle East
    "q_bbox": {"q": "sanctions OR talks", "bbox": "-30,0,60,75"},
    "q_bbox_actor": {"q": "talks", "bbox": "60,-50,180,60", "actor": ["china", "india", "russia"]},
    "no_filter": {},
}


def top_sources(world: Any, n: int = 3) -> list[str]:
    with world.sync.connect() as conn:
        stmt = (
            select(Article.source)
            .group_by(Article.source)
            .order_by(func.count().desc(), Article.source)
            .limit(n)
        )
        return list(conn.execute(stmt).scalars())


def places_in(world: Any, bbox: str) -> list[str]:
    """The gazetteer ids inside a box (minlon,minlat,maxlon,maxlat) that does not cross the antimeridian."""
    min_lon, min_lat, max_lon, max_lat = map(float, bbox.split(","))
    with world.sync.connect() as conn:
        stmt = select(Place.id).where(
            Place.lat.between(min_lat, max_lat), Place.lon.between(min_lon, max_lon)
        )
        return list(conn.execute(stmt).scalars())


def resolve(world: Any, case: dict[str, Any]) -> tuple[dict[str, Any], Any, Filters]:
    """(API params, parsed q, engine Filters) for one case."""
    if case.get("sqlite_only") and world.engine_name != "sqlite":
        pytest.skip("PostgreSQL's SQL full text differs here (see CASES)")
    params = {k: v for k, v in case.items() if k != "sqlite_only"}
    slugs = world.corpus.actors
    sources = top_sources(world)
    if "source" in params:
        params["source"] = [sources[int(s[3:])] for s in params["source"]]
    if "event" in params:
        params["event"] = world.corpus.event_ids[params["event"]]
    spans = None
    if "member_of" in params:
        with world.sync.connect() as conn:
            spans = member_spans(conn, slugs[params["member_of"]])
    filters = Filters(
        actor_ids=[slugs[a] for a in params.get("actor", [])],
        actors_all=[slugs[a] for a in params.get("actors_all", [])],
        actor_kinds=params.get("actor_kind", []),
        countries=[params["country"]] if "country" in params else [],
        sources=params.get("source", []),
        languages=params.get("language", []),
        event_id=params.get("event"),
        published_after=datetime.fromisoformat(params["published_after"])
        if "published_after" in params
        else None,
        published_before=datetime.fromisoformat(params["published_before"])
        if "published_before" in params
        else None,
        member_of=spans,
        place_ids=places_in(world, params["bbox"]) if "bbox" in params else None,
    )
    q = parse(params["q"]) if "q" in params else None
    return params, q, filters


def api_ids(client: Any, params: dict[str, Any]) -> list[int]:
    out: list[int] = []
    params = {**params, "limit": 200}
    while True:
        r = client.get("/v1/articles", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        out += [item["id"] for item in body["items"]]
        if not body["next_cursor"]:
            return out
        params["cursor"] = body["next_cursor"]


def engine_walk(reader: Any, q: Any, filters: Filters, sort: str, page: int = 9) -> list[int]:
    """Walk the keyset chain with a small page (smaller than the tie group)."""
    out: list[int] = []
    after = None
    while True:
        res = reader.search(q, filters, sort=sort, limit=page, after=after)
        out += [h.id for h in res.hits]
        if not res.more:
            assert res.after is None
            return out
        assert res.after == (res.hits[-1].published_at, res.hits[-1].id)
        after = res.after


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("sort", ["-published_at", "published_at"])
def test_date_sorts_match_sql(world, name, sort):
    params, q, filters = resolve(world, CASES[name])
    expected = api_ids(world.client, {**params, "sort": sort})
    got = engine_walk(world.reader, q, filters, sort)
    assert got == expected
    assert len(got) == len(set(got))
    if name != "before_tie":  # every case but this boundary one selects something
        assert expected
    assert world.reader.count(q, filters) == len(expected)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if "q" in c])
def test_relevance_matches_sql_set(world, name):
    params, q, filters = resolve(world, CASES[name])
    expected = api_ids(world.client, {**params, "sort": "relevance"})
    res = world.reader.search(q, filters, sort="relevance", limit=MAX_TOP, count=True)
    got = [h.id for h in res.hits]
    assert sorted(got) == sorted(expected)
    assert expected and res.count == len(expected) and not res.more
    scores = [(-h.score, h.id) for h in res.hits]
    assert scores == sorted(scores)  # best first, ties by id
    hybrid = world.reader.search(q, filters, sort="hybrid", limit=MAX_TOP, now=datetime(2026, 1, 1))
    assert sorted(h.id for h in hybrid.hits) == sorted(expected)


def test_relevance_is_bm25_over_all_matches_with_title_boost(world):
    """A word in the title outranks the same word in the body alone (title x10); the top-k answer equals
    the head of the full ranking (nothing pruned that should have been kept)."""
    q = parse("sanctions")
    full = world.reader.search(q, sort="relevance", limit=MAX_TOP).hits
    top = world.reader.search(q, sort="relevance", limit=5).hits
    page2 = world.reader.search(q, sort="relevance", limit=5, offset=5).hits

    def same_head(got: list, want: list) -> None:
        # The same scores in the same order; ids may differ only among hits tied on score at the cut.
        assert [round(h.score, 5) for h in got] == [round(h.score, 5) for h in want]
        untied = {round(h.score, 5) for h in want} - {round(want[-1].score, 5)}
        assert [h.id for h in got if round(h.score, 5) in untied] == [
            h.id for h in want if round(h.score, 5) in untied
        ]

    same_head(top, full[:5])
    same_head(page2, full[5:10])
    with world.sync.connect() as conn:
        titled = set(
            conn.execute(select(Article.id).where(func.lower(Article.title).like("%sanctions%"))).scalars()
        )
    assert titled, "the corpus should have titles with the word"
    ranks = {h.id: i for i, h in enumerate(full)}
    in_title = [ranks[i] for i in titled if i in ranks]
    body_only = [r for i, r in ranks.items() if i not in titled]
    assert sum(in_title) / len(in_title) < sum(body_only) / len(body_only)
    top7 = set(world.reader.top_ids(q, n=7))
    assert len(top7) == 7 and top7 <= {h.id for h in full if h.score >= full[6].score - 1e-6}


def test_hybrid_prefers_recent_among_equals(world):
    q = parse("sanctions")
    now = datetime(2026, 1, 1)
    hyb = world.reader.search(q, sort="hybrid", limit=10, now=now).hits
    rel = world.reader.search(q, sort="relevance", limit=MAX_TOP).hits
    by_id = {h.id: h for h in rel}
    # The hybrid score is the BM25 score times the documented decay; pages are its exact top.
    from app.search.engine.reader import recency
    from app.search.engine.schema import to_micros

    expected = sorted(
        ((h.score * recency(to_micros(h.published_at), to_micros(now)), h.id) for h in rel),
        key=lambda r: (-r[0], r[1]),
    )[:10]
    assert [h.id for h in hyb] == [i for _, i in expected]
    assert all(abs(h.score - s) < 1e-6 * s for h, (s, _) in zip(hyb, expected, strict=True))
    assert all(by_id[h.id].published_at == h.published_at for h in hyb)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if "q" in c and len(c) > 1])
def test_relevance_pages_are_the_head_of_the_full_ranking(world, name):
    """Pages of a filtered ranking (which broad filters take from the text's own top hits) equal the
    same slice of the ranking of every match; hits tied on score at the cut may come in either order."""
    _, q, filters = resolve(world, CASES[name])
    if name in ("q_member_of", "everything"):  # broad filters: the post-filtered plan is the one tested
        searcher, bounds = world.reader.snapshot()
        assert _postfilterable(filters) and _selectivity(searcher, filters, bounds) >= POSTFILTER_SHARE
    full = world.reader.search(q, filters, sort="relevance", limit=MAX_TOP).hits
    for limit, offset in ((5, 0), (10, 10), (20, 3), (1, 0)):
        page = world.reader.search(q, filters, sort="relevance", limit=limit, offset=offset)
        want = full[offset : offset + limit]
        assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in want]
        cut = want[-1].score if want else None
        assert {h.id for h in page.hits if h.score != cut} == {h.id for h in want if h.score != cut}
        assert page.more == (len(full) > offset + limit)


@pytest.mark.parametrize("q", ["sanctions talks", "sanctions"])
@pytest.mark.parametrize("actor", ["iran", "china"])
def test_the_post_filter_checks_more_of_its_best_hits_before_scoring_the_intersection(
    world, monkeypatch, q, actor
):
    """A filter rarer among the text's best hits than the planner's estimate: the first k candidates fall
    short, which with one fetch of k sends the planner to score the whole intersection; with
    POSTFILTER_FETCH times k fetched, the rest are checked and give the head of the filtered ranking
    (for a word, whose best hits Tantivy prunes, as for a conjunction, whose it does not)."""
    from app.search.engine import reader as reader_module

    _, query, filters = resolve(world, {"q": q, "actor": [actor]})
    searcher, bounds = world.reader.snapshot()
    text = text_query(searcher, query)
    full = world.reader.search(query, filters, sort="relevance", limit=MAX_TOP).hits
    # A share overestimated so far that the first k = 2 * want / share + 16 candidates fall short of
    # `want` passing, but not so far that twice k does: the largest such share of a few tried.
    want = 6
    found = short = None
    for share in (1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1):
        monkeypatch.setattr(reader_module, "POSTFILTER_FETCH", 1)
        short = world.reader._post_filtered(searcher, text, filters, want, share, bounds)
        monkeypatch.setattr(reader_module, "POSTFILTER_FETCH", 2)
        found = world.reader._post_filtered(searcher, text, filters, want, share, bounds)
        if short is None and found is not None:
            break
    assert len(full) >= want and short is None, "the case must send a single fetch to the intersection"
    assert found is not None and len(found) >= want
    ids = world.reader._ids(searcher, [a for _, a in found])
    scores = [round(float(sc), 4) for sc, _ in found][:want]
    assert scores == [round(h.score, 4) for h in full[:want]]
    cut = full[want - 1].score
    assert {i for i, (sc, _) in zip(ids, found, strict=True) if float(sc) > cut + 1e-6} == {
        h.id for h in full[:want] if h.score > cut + 1e-6
    }


@pytest.mark.parametrize(
    "q", ["sanctions", "sanctions talks", "wheat OR lithium", "sanc*", "sanctions -drone", "U.S."]
)
def test_the_text_bound_is_never_below_the_matches(world, q):
    searcher, _ = world.reader.snapshot()
    query = parse(q)
    assert text_matches_bound(searcher, query) >= world.reader.count(query)


def test_a_rare_text_is_intersected_with_broad_filters(world, monkeypatch):
    """Filters broad enough for the post-filter, a text with few matches: the planner scores the text's
    matches under the filters (cheaper than checking its best hits), and the pages are the same."""
    from app.search.engine import reader as reader_module

    # The plans after the title tier (which answers these words first when their titles can tell).
    monkeypatch.setattr(reader_module, "TITLE_TIER_SHARE", -1.0)
    searcher, bounds = world.reader.snapshot()
    _, _, filters = resolve(world, {"actor": ["russia", "united-states", "china"]})
    assert _selectivity(searcher, filters, bounds) >= POSTFILTER_SHARE
    rare = [
        w
        for w in ("wheat", "lithium", "nickel", "tungsten", "cocoa", "semiconductors", "Jersey", "Norway")
        if 0 < text_matches_bound(searcher, parse(w)) <= RARE_TEXT_SHARE * searcher.num_docs
        and world.reader.count(parse(w), filters) >= 3
    ]
    assert rare, "the corpus should have a rare word mentioned with these actors"
    expected = {w: world.reader.search(parse(w), filters, sort="relevance", limit=MAX_TOP).hits for w in rare}

    def unused(*args, **kwargs):
        raise AssertionError("a rare text is not post-filtered")

    monkeypatch.setattr(type(world.reader), "_post_filtered", unused)
    for word in rare:
        page = world.reader.search(parse(word), filters, sort="relevance", limit=3)
        assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in expected[word][:3]]
    common = parse("sanctions")
    assert text_matches_bound(searcher, common) > RARE_TEXT_SHARE * searcher.num_docs
    with pytest.raises(AssertionError, match="not post-filtered"):
        world.reader.search(common, filters, sort="relevance", limit=3)


LOOSE_TEXTS = [
    "sanctions talks",
    "talks sanctions summit",
    "talks talks",  # a word twice: both clauses score it, under the disjunction too
    "wheat OR lithium talks",
    '"ceasefire talks" sanctions',  # a phrase clause (a term of the word pairs)
    "election talks",
]


def assert_head(world: Any, searcher: Any, found: list[Any], full: list[Any], want: int) -> None:
    """`found` is the head of the ranking `full`: the same scores, the same documents but for ties at the cut."""
    assert [round(float(sc), 4) for sc, _ in found] == [round(float(sc), 4) for sc, _ in full[:want]]
    if len(found) == want:
        cut = float(full[want - 1][0])
        above = [
            i
            for i, (sc, _) in zip(world.reader._ids(searcher, [a for _, a in found]), found, strict=True)
            if sc > cut
        ]
        assert set(above) == set(world.reader._ids(searcher, [a for sc, a in full[:want] if float(sc) > cut]))


@pytest.mark.parametrize("text", LOOSE_TEXTS)
def test_a_conjunctions_best_hits_taken_from_its_words_are_exact(world, text):
    """Wherever the best hits of any of the words can tell, they give the conjunction's own best hits:
    the same scores, the same documents but for ties at the cut."""
    searcher, _ = world.reader.snapshot()
    q = parse(text)
    tq, loose = text_query(searcher, q), loose_query(searcher, q)
    assert loose is not None
    told = 0
    full = searcher.search(tq, MAX_TOP, count=False).hits
    for want in (1, 2, 6, 21, 60):
        found = world.reader._loose_top(searcher, tq, loose, want)
        if found is None:
            continue
        told += 1
        assert_head(world, searcher, found, full, want)
    if text != "wheat OR lithium talks":  # common words: their best hits hold the conjunction's
        assert told, text


@pytest.mark.parametrize(
    "case",
    [
        {"actor": ["iran"]},
        {"actor": ["russia", "united-states", "china"]},
        {"member_of": "nato"},
        {"language": ["en", "de"], "actor_kind": ["country"]},
        {"source": ["TOP0", "TOP1"], "published_after": "2022-01-01T00:00:00"},
    ],
)
@pytest.mark.parametrize("text", ["sanctions talks", '"ceasefire talks" sanctions', "election talks"])
def test_a_filtered_conjunctions_best_hits_taken_from_its_words_are_exact(world, text, case):
    """The same under filters: the candidates are checked against the text and the filters at once.
    Whatever the filters' share is guessed to be (far too high sends it to a second, larger round sized
    by the share that passed), the answer is the head of the filtered ranking or None, never a short or
    wrong page."""
    _, q, filters = resolve(world, {"q": text, **case})
    searcher, bounds = world.reader.snapshot()
    text_q = text_query(searcher, q)
    tq = combine(text_q, filter_query(filters, bounds))
    loose = loose_query(searcher, q)
    assert loose is not None
    full = searcher.search(tq, MAX_TOP, count=False).hits
    assert full, "the case must have matches"
    told = 0
    for want in (1, 6, 21):
        for share in (1.0, 0.5, _selectivity(searcher, filters, bounds), 0.1):
            found = world.reader._loose_top(searcher, text_q, loose, want, filters, share, bounds)
            if found is None:
                continue
            told += 1
            assert_head(world, searcher, found, full, want)
    assert told, (text, case)


def sizing(searcher: Any, only: Any = None) -> tuple[Any, list[int]]:
    """The searcher behind a spy that notes how many hits each search asks for (of `only`, if given)."""
    sizes: list[int] = []
    plain = type(searcher).search

    class Spy:
        def __getattr__(self, name: str) -> Any:
            return getattr(searcher, name)

        def search(self, query: Any, n: int, **kw: Any) -> Any:
            if only is None or query is only:
                sizes.append(n)
            return plain(searcher, query, n, **kw)

    return Spy(), sizes


def test_a_filter_rarer_than_guessed_takes_a_second_round(world):
    """One candidate in several passes a rare actor filter: the first round (sized by a share of 1)
    falls short, the second is sized by the share that passed and finds the head of the ranking."""
    _, q, filters = resolve(world, {"q": "sanctions talks", "actor": ["iran"]})
    searcher, bounds = world.reader.snapshot()
    text_q = text_query(searcher, q)
    tq = combine(text_q, filter_query(filters, bounds))
    loose = loose_query(searcher, q)
    spy, sizes = sizing(searcher, only=loose)
    want = 6
    found = world.reader._loose_top(spy, text_q, loose, want, filters, 1.0, bounds)
    assert len(sizes) == 2 and sizes[1] > sizes[0], sizes
    assert found is not None
    assert_head(world, searcher, found, searcher.search(tq, MAX_TOP, count=False).hits, want)


@pytest.mark.parametrize(
    "case",
    [
        {"member_of": "nato"},
        {
            "member_of": "nato",
            "published_after": "2023-03-01T00:00:00",
            "published_before": "2024-06-01T00:00:00",
        },
        {"member_of": "nato", "language": ["en"], "actor_kind": ["country"]},
        {"actor": ["russia", "united-states", "china"], "published_after": "2021-06-01T00:00:00"},
        {"published_before": "2023-06-15T12:00:00.250000"},
        {"source": ["TOP0", "TOP1"], "published_after": "2022-01-01T00:00:00"},
        {"language": ["fr", "de"]},
    ],
)
def test_candidates_pass_the_filters_exactly_as_a_search_would_tell(world, case):
    """Reader._passing_filters reads dates off the column and probes the rest per member_of group: the
    same candidates pass as when one search checks them against every filter at once."""
    _, _, filters = resolve(world, case)
    searcher, bounds = world.reader.snapshot()
    hits = searcher.search(
        text_query(searcher, parse("talks OR sanctions OR summit")), 3_000, count=False
    ).hits
    addrs = [a for _, a in hits]
    ids = world.reader._ids(searcher, addrs)
    expected = world.reader._passing(searcher, ids, filter_query(filters, bounds))
    assert 0 < len(expected) < len(ids), "the case must keep some candidates and drop others"
    assert world.reader._passing_filters(searcher, addrs, ids, filters, bounds) == expected
    assert world.reader._passing_filters(searcher, addrs[:50], ids[:50], filters, bounds) == expected & set(
        ids[:50]
    )


WINDOW = {"published_after": "2022-01-01T00:00:00", "published_before": "2023-01-01T00:00:00"}


@pytest.mark.parametrize("text", ["sanctions", "talks OR sanctions", "sanc*", "sanctions -drone"])
def test_a_date_window_is_read_off_the_texts_best_hits(world, monkeypatch, text):
    """A date window as the only filter over one clause: the page comes from the text's best hits kept
    by their dates (no intersection), and is the head of the ranking of every match in the window;
    with max_id (a frozen ranking) too."""
    from app.search.engine import reader as reader_module

    # The plans after the title tier (which answers these words first when their titles can tell).
    monkeypatch.setattr(reader_module, "TITLE_TIER_SHARE", -1.0)
    _, q, filters = resolve(world, {"q": text, **WINDOW})
    searcher, bounds = world.reader.snapshot()
    share = _selectivity(searcher, filters, bounds)
    assert reader_module._windowed(searcher, q, filters, share), "the case must take the window plan"
    used: list[int] = []
    plain = type(world.reader)._window_filtered

    def spy(self, *args, **kwargs):
        found = plain(self, *args, **kwargs)
        used.append(-1 if found is None else len(found))
        return found

    monkeypatch.setattr(type(world.reader), "_window_filtered", spy)
    ids = sorted(h.id for h in world.reader.search(q, filters, sort="relevance", limit=MAX_TOP).hits)
    assert all(u == -1 for u in used), "a ranking of every match is intersected (past the fetch limit)"
    for flt in (filters, replace(filters, max_id=ids[len(ids) // 2])):
        full = world.reader.search(q, flt, sort="relevance", limit=MAX_TOP).hits
        for limit, offset in ((5, 0), (10, 10), (1, 0)):
            used.clear()
            page = world.reader.search(q, flt, sort="relevance", limit=limit, offset=offset)
            assert used and used[0] >= 0, "the window plan answered"
            want = full[offset : offset + limit]
            assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in want]
            cut = want[-1].score
            assert {h.id for h in page.hits if h.score != cut} == {h.id for h in want if h.score != cut}
            assert all(flt.published_after <= h.published_at < flt.published_before for h in page.hits)
            assert flt.max_id is None or all(h.id <= flt.max_id for h in page.hits)
            assert page.more == (len(full) > offset + limit)


@pytest.mark.parametrize(
    "case",
    [
        {"q": "sanctions talks", **WINDOW},  # a conjunction: its best hits are its whole intersection
        {"q": "sanctions", "actor": ["iran"], **WINDOW},  # another filter: the post-filter's or intersected
        {"q": "wheat", **WINDOW},  # a rare text: intersected
        {
            "q": "sanctions",
            "published_after": "2022-01-01T00:00:00",
            "published_before": "2022-01-20T00:00:00",
        },
    ],
)
def test_what_is_not_read_off_by_date(world, case):
    _, q, filters = resolve(world, case)
    searcher, bounds = world.reader.snapshot()
    if case["q"] == "wheat":
        assert 0 < text_matches_bound(searcher, q) <= RARE_TEXT_SHARE * searcher.num_docs
    from app.search.engine.reader import _windowed

    assert not _windowed(searcher, q, filters, _selectivity(searcher, filters, bounds))


def test_a_window_holding_fewer_articles_than_guessed_takes_a_second_round(world):
    """Dates are not spread evenly in a real corpus: with the window's share overestimated (here: the
    index's dates given as the window's own), the first fetch falls short and a second, sized by the
    share that passed, finds the head of the ranking."""
    half_year = {"published_after": "2022-01-01T00:00:00", "published_before": "2022-07-01T00:00:00"}
    _, q, filters = resolve(world, {"q": "sanctions", **half_year})
    searcher, _ = world.reader.snapshot()
    skewed = (to_micros(filters.published_after), to_micros(filters.published_before))
    spy, sizes = sizing(searcher)
    want = 6
    share = _selectivity(searcher, filters, skewed)
    found = world.reader._window_filtered(spy, text_query(searcher, q), filters, want, share, skewed)
    assert len(sizes) == 2 and sizes[1] > sizes[0], sizes
    assert found is not None and len(found) >= want
    tq = combine(text_query(searcher, q), filter_query(filters))
    assert_head(world, searcher, found[:want], searcher.search(tq, MAX_TOP, count=False).hits, want)


def test_ids_query_finds_exactly_its_articles_as_a_union_or_a_term_set(world, monkeypatch):
    from app.search.engine import translate

    searcher, _ = world.reader.snapshot()
    every = world.reader._ids(searcher, [a for _, a in searcher.search(combine(None, None), MAX_TOP).hits])
    some = sorted(every)[::7] + [10**9]  # and an id that no document has
    for union_max in (translate.ID_UNION_MAX, 3):  # a union of term queries; a term set
        monkeypatch.setattr(translate, "ID_UNION_MAX", union_max)
        hits = searcher.search(ids_query(some), len(some) + 5, count=False).hits
        assert sorted(world.reader._ids(searcher, [a for _, a in hits])) == sorted(some[:-1])
        assert searcher.search(ids_query([some[0]]), 5, count=False).hits
    assert not searcher.search(ids_query([]), 5, count=False).hits


def test_the_words_cannot_tell_when_few_of_their_best_hits_match_them_all(world):
    """A common word with a rare one: the best hits of either are the common word's; the check says so
    (None) rather than return a short or wrong page."""
    searcher, _ = world.reader.snapshot()
    q = parse("talks lithium")
    matches = world.reader.count(q)
    assert 0 < matches < 60
    found = world.reader._loose_top(searcher, text_query(searcher, q), loose_query(searcher, q), 21)
    assert found is None or len(found) == min(21, matches)


def test_the_planner_takes_a_few_best_hits_of_common_words_from_their_disjunction(world, monkeypatch):
    from app.search.engine import reader as reader_module

    calls: list[int] = []
    plain = type(world.reader)._loose_top

    def spy(self, searcher, text, loose, want, *args):
        calls.append(want)
        return plain(self, searcher, text, loose, want, *args)

    expected = world.reader.search(parse("sanctions talks"), sort="relevance", limit=5).hits
    monkeypatch.setattr(type(world.reader), "_loose_top", spy)
    monkeypatch.setattr(reader_module, "LOOSE_MIN_SHARE", 0.0)  # this small corpus's words count as common
    page = world.reader.search(parse("sanctions talks"), sort="relevance", limit=5)
    assert calls == [6]
    assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in expected]
    assert page.more
    # Filters on who is mentioned, sources, languages: the candidates are checked against them too.
    filtered = Filters(languages=["en"])
    expected = world.reader.search(parse("sanctions talks"), filtered, sort="relevance", limit=MAX_TOP).hits
    page = world.reader.search(parse("sanctions talks"), filtered, sort="relevance", limit=5)
    assert calls == [6, 6]
    assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in expected[:5]]
    calls.clear()
    window = Filters(published_after=datetime(2022, 1, 1), published_before=datetime(2023, 1, 1))
    for q, filters, limit in (
        ("sanctions", None, 5),  # one clause
        ("sanctions -drone talks", None, 5),  # an exclusion
        ("sanc* talks", None, 5),  # a prefix
        ("sanctions talks", window, 5),  # a date window alone: intersected
        ("sanctions talks", None, reader_module.LOOSE_MAX),  # many hits
    ):
        world.reader.search(parse(q), filters, sort="relevance", limit=limit)
        assert calls == [], q
    monkeypatch.setattr(reader_module, "LOOSE_MIN_SHARE", 1.01)
    world.reader.search(parse("sanctions talks"), sort="relevance", limit=5)
    assert calls == [], "a clause matching less than the share is intersected"
