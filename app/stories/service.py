"""Rules for stories: which story an arriving article joins, when two stories merge, and the story lists.

An article joins the story of the stored articles it is "about the same thing" as. Candidates come from
the indexes already there: articles published within WINDOW of it that mention one of its actors (the
date index bounds the walk, the (article_id, actor_id) index probes it), at most CANDIDATES of them, so
the work per article does not grow with the corpus. A candidate is the same story when their texts are
similar enough (`same_story`: the Jaccard similarity of their content words, estimated from bottom-k
MinHash sketches, app/ingestion/storysig.py), a little less similar when they also share most actors.
No match: the article starts a story. Matches in two or more stories: the article bridges them and the
smaller stories merge into the largest (ties: the oldest), whose id stays; a merged story keeps its row
with `merged_into`, so its id still answers, with a redirect. Thresholds were chosen on the labelled set
in tests/data/stories/ (bench/stories.py prints pairwise precision and recall).

Assignment runs inside the ingestion transaction (`assign`, called by app/articles/service.py:store for
every article it creates: single POST, bulk, `geonews ingest`), and records one change per story it
touched (entity "story": created, updated, merged) through the outbox, in the same transaction.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from .. import outbox
from ..actors import repository as actors_repo
from ..actors.service import filter_id, filter_ids
from ..ingestion.storysig import FEW, Sketch, sketch, unpack
from ..models import to_utc_naive
from ..pagination import Export, PageParams, PageResult, keyset_page
from . import repository

WINDOW = timedelta(days=3)
CANDIDATES = 200
# A batch of at least POOL_MIN_BATCH articles reads its stored candidates at once when its window holds at
# most POOL_PER_ARTICLE stored articles per new one (see _Stored).
POOL_MIN_BATCH = 8
POOL_PER_ARTICLE = 20
POOL_CELLS = 32_000_000  # at most this many (stored article, batch actor) cells in the pool's matrix: 32 MB
# A story's score for an article: the mean of its TOP best text similarities to the story's candidates.
# The article joins the best story scoring >= JOIN; another story scoring >= MERGE merges with it.
TOP = 3
JOIN = 0.14
MERGE = 0.16
TOP_ACTORS = 5


@dataclass
class NewArticle:
    id: int
    title: str
    published_at: datetime
    story_sig: bytes | None
    actor_ids: frozenset[int]
    duplicate_of: int | None = None


class _Stored:
    """The stored candidates of a batch's articles: each article's CANDIDATES newest assigned articles
    published within WINDOW of it that mention one of its actors, newest first, as (published_at, id,
    story id, sketch).

    A batch whose windows together hold at most POOL_PER_ARTICLE stored articles per new one (a
    chronological backfill; a batch that starts the database) reads them all once (`window_pool`) and
    picks each article's from them in memory; any other asks the database per article (`candidates`), at
    most CANDIDATES rows each. Either way the picks are the same. Stories merged during the batch
    (`merged`) are followed, as the database's rows are."""

    def __init__(self, session: Session, arts: Sequence[NewArticle]) -> None:
        self.session = session
        self.moved: dict[int, int] = {}
        self.pool: repository.WindowPool | None = None
        with_actors = [a for a in arts if a.actor_ids]
        actors = sorted({x for a in with_actors for x in a.actor_ids})
        if len(with_actors) >= POOL_MIN_BATCH:
            since = min(a.published_at for a in with_actors) - WINDOW
            until = max(a.published_at for a in with_actors) + WINDOW
            most = POOL_PER_ARTICLE * len(with_actors)
            # The pool's matrix holds a cell for each of its articles and each of the batch's actors: a
            # body of thousands of articles naming hundreds of actors asks per article instead.
            fits = len(actors) * most <= POOL_CELLS
            if fits and repository.articles_in_window(session, since, until, most + 1) <= most:
                self.pool = repository.window_pool(session, actors, since, until)
                self._index_pool(actors)
                return
        self.common = repository.common_actors(session, actors)  # which plan each article's query takes

    def _index_pool(self, actors: list[int]) -> None:
        """The pool as arrays, for `of` to pick an article's candidates in numpy: walking the window from
        its newest article in Python was ~150 µs an article of a live feed into the 1M corpus (thousands
        of stored articles in a batch's window, 200 candidates each); this way ~60."""
        pool = self.pool
        assert pool is not None
        self.times = pool.published_at
        self._at = np.array(self.times, dtype="datetime64[us]")
        self._stories = np.array(pool.stories, dtype=np.int64)
        # Which stored articles mention each of the batch's actors: a row an actor, a column an article
        # (an article's window is then a contiguous run of each of its actors' rows).
        self._row = {actor: j for j, actor in enumerate(actors)}
        self._mentions = np.zeros((len(actors), len(pool.ids)), dtype=bool)
        if pool.mentions and pool.ids:
            ids = np.array(pool.ids, dtype=np.int64)
            by_id = np.argsort(ids)
            pairs = np.array(pool.mentions, dtype=np.int64)
            at = np.minimum(np.searchsorted(ids, pairs[:, 0], sorter=by_id), len(ids) - 1)
            columns = by_id[at]
            # Two reads: on PostgreSQL an article committed between them may be in the second only.
            known = ids[columns] == pairs[:, 0]
            rows = np.searchsorted(np.array(actors, dtype=np.int64), pairs[:, 1])
            self._mentions[rows[known], columns[known]] = True

    def merged(self, losers: Sequence[int], winner: int) -> None:
        self.moved.update((loser, winner) for loser in losers)
        if self.pool is not None:
            for loser in losers:  # mostly one: a comparison each is cheaper than np.isin
                self._stories[self._stories == loser] = winner

    def story(self, sid: int) -> int:
        """The story `sid` is now: itself, or the one it was merged into during the batch."""
        while sid in self.moved:
            sid = self.moved[sid]
        return sid

    def of(self, art: NewArticle) -> list[tuple[datetime, int, int, bytes | None]]:
        since, until = art.published_at - WINDOW, art.published_at + WINDOW
        if self.pool is None:
            rows = repository.candidates(
                self.session,
                sorted(art.actor_ids),
                since,
                until,
                CANDIDATES,
                bool(self.common & art.actor_ids),
            )
            return [(p, i, s, sig) for i, s, sig, p in rows]
        # The window's stored articles that mention one of its actors, the newest CANDIDATES, newest first.
        lo = int(np.searchsorted(self._at, np.datetime64(since, "us"), side="left"))
        hi = int(np.searchsorted(self._at, np.datetime64(until, "us"), side="right"))
        rows = [self._row[a] for a in art.actor_ids]
        hits = np.flatnonzero(self._mentions[rows, lo:hi].any(axis=0))
        picked = (hits[::-1][:CANDIDATES] + lo).tolist()
        times, ids, sigs = self.times, self.pool.ids, self.pool.sigs
        stories = self._stories[picked].tolist()
        return [(times[j], ids[j], story, sigs[j]) for j, story in zip(picked, stories, strict=True)]


def match(
    art: NewArticle,
    stored: list[tuple[datetime, int, int, bytes | None]],
    earlier: Sequence[tuple[NewArticle, int]] = (),
    unpacked: dict[int, tuple[int, ...]] | None = None,
) -> dict[int, float]:
    """story id -> its score, for the stories scoring at least JOIN (best first; ties in the order the
    stories first appear among the candidates, newest first). `stored`: the article's stored candidates
    (_Stored.of); `earlier`: the articles of this batch already given a story that share an actor with it
    and were published within WINDOW of it (`_near`). `unpacked`: article id -> its sketch's hashes, filled
    and reused across the calls of one batch (a candidate's sketch does not change while a batch is
    assigned): 91 % of a backfill batch's candidates compared one by one were compared before (155k of
    171k over 16,000 generated articles), and unpacking 64 hashes costs about as much as comparing them."""
    near = [(other.published_at, other.id, story, other.story_sig) for other, story in earlier]
    # The newest CANDIDATES of the stored ones and of this batch's together.
    both = sorted([*stored, *near], key=_BY_DATE, reverse=True)[:CANDIDATES]
    others = [c for c in both if c[1] != art.id]
    if not others:
        return {}
    mine = Sketch(unpack(art.story_sig))
    if len(others) < FEW:  # a backfill's usual handful: numpy's fixed cost would be most of the work
        if unpacked is None:
            few = mine.similarities([c[3] for c in others])
        else:
            few = [
                mine.similarity(
                    unpacked[c[1]] if c[1] in unpacked else unpacked.setdefault(c[1], unpack(c[3]))
                )
                for c in others
            ]
        return _scores_few([c[2] for c in others], few)
    similar = mine.similarity_array([c[3] for c in others])
    return _scores(np.fromiter((c[2] for c in others), dtype=np.int64, count=len(others)), similar)


_BY_DATE = itemgetter(0, 1)  # (published_at, id)


def _scores(stories: np.ndarray, similar: np.ndarray) -> dict[int, float]:
    """Each story's score over its candidates' similarities, in numpy: story id -> the mean of its TOP
    best, for those at least JOIN, best first and ties in the order the stories first appear in `stories`.
    The same floats as that mean taken in Python (each is summed from 0.0 best first, then divided), in a
    few numpy calls instead of a sorted() for each of the ~150 stories of an article's candidates in a
    live feed."""
    n = len(stories)
    order = np.lexsort((-similar, stories))  # by story, then best first
    by_story, values = stories[order], similar[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(by_story[1:], by_story[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    kept = (np.arange(n) - starts[group]) < TOP
    sums = np.bincount(group[kept], weights=values[kept], minlength=len(starts))
    means = sums / np.minimum(np.diff(np.append(starts, n)), TOP)
    first = np.minimum.reduceat(order, starts)  # where each story first appears
    good = np.flatnonzero(means >= JOIN)
    ranked = good[np.lexsort((first[good], -means[good]))]
    return {int(by_story[starts[g]]): float(means[g]) for g in ranked}


def _scores_few(stories: Sequence[int], similar: Sequence[float]) -> dict[int, float]:
    """`_scores` in plain Python, for a few candidates: the same floats in the same order."""
    per_story: dict[int, list[float]] = {}
    for story, value in zip(stories, similar, strict=True):
        per_story.setdefault(story, []).append(value)
    means = {}
    for story, values in per_story.items():
        best = sorted(values, reverse=True)[:TOP]
        mean = sum(best) / len(best)
        if mean >= JOIN:
            means[story] = mean
    # sorted() is stable: ties stay in the order the stories first appear.
    return dict(sorted(means.items(), key=lambda kv: -kv[1]))


def _near(art: NewArticle, done: list[tuple[NewArticle, int]]) -> list[tuple[NewArticle, int]]:
    """The batch's articles given a story before `art` that can be among its candidates: published
    within WINDOW before it (`done` is in date order, so they are its tail) and sharing an actor with it,
    the newest CANDIDATES of them (match() keeps no more of them), newest first. Walked from the newest,
    so a batch of a live feed, whose articles all share a window and an actor or two, costs at most
    about CANDIDATES checks an article, not one for every earlier article of the batch."""
    lo = bisect_left(done, art.published_at - WINDOW, key=lambda d: d[0].published_at)
    out: list[tuple[NewArticle, int]] = []
    for k in range(len(done) - 1, lo - 1, -1):
        other = done[k]
        if not other[0].actor_ids.isdisjoint(art.actor_ids):
            out.append(other)
            if len(out) == CANDIDATES:
                break
    return out


def assign(session: Session, arts: Sequence[NewArticle]) -> None:
    """Give each new article a story (oldest first, so a batch clusters as a stream would), merging the
    stories an article bridges; then store the batch's assignments in one statement, recount the
    stories touched and record their changes."""
    touched: dict[int, set[int]] = {}
    created: set[int] = set()
    merged: list[tuple[int, int]] = []
    # loser -> the actors of the articles that changed it in this batch: its own, and the one that bridged
    # it into the survivor. Its `merged` change carries these (the survivor's whole batch: up to hundreds
    # of actors a merge, 99 % of the change log's actor links ingesting into the 1M corpus).
    merged_by: dict[int, set[int]] = {}
    done: list[tuple[NewArticle, int]] = []  # this batch's articles and their stories, oldest first
    at: dict[int, int] = {}  # article id -> its place in `done` (a merge rewrites stories, not places)
    # story -> its stored articles (not this batch's: they are stored without a story until the end), read
    # once from stories.article_count and carried through this batch's merges; for the largest of the
    # stories an article bridges, which survives the merge.
    stored_size: dict[int, int] = {}
    stored = _Stored(session, arts)
    unpacked: dict[int, tuple[int, ...]] = {}  # article id -> its sketch's hashes, for this batch's matches
    new_stories = repository.NewStories(session)
    # The stories of the stored originals of the batch's near-duplicates, read at once (a merge later in
    # the batch is followed through `stored`); an original in the batch is given its story in `done`.
    in_batch = {a.id for a in arts}
    originals = repository.stories_of(
        session, {a.duplicate_of for a in arts if a.duplicate_of and a.duplicate_of not in in_batch}
    )
    for art in sorted(arts, key=lambda a: (a.published_at, a.id)):
        story = None
        if art.duplicate_of:
            k = at.get(art.duplicate_of)
            if k is not None:
                story = done[k][1]
            elif (held := originals.get(art.duplicate_of)) is not None:
                story = stored.story(held)
        if story is None:
            found = match(art, stored.of(art), _near(art, done), unpacked) if art.actor_ids else {}
            if not found:
                story = new_stories.new(art.title, art.published_at)
                created.add(story)
            else:
                bridged = [sid for sid, v in found.items() if v >= MERGE]
                if len(bridged) < 2:
                    story = next(iter(found))  # the best
                else:
                    unknown = [s for s in bridged if s not in stored_size]
                    if unknown:
                        stored_size.update(repository.article_counts(session, unknown))
                    size = {s: stored_size.get(s, 0) for s in bridged}
                    for _, s in done:
                        size[s] = size.get(s, 0) + 1
                    story = max(bridged, key=lambda s: (size.get(s, 0), -s))
                    losers = sorted(s for s in bridged if s != story)
                    new_stories.flush(bridged)  # the merge updates their rows
                    repository.merge(session, losers, story)
                    # The losers' stored articles are the winner's now.
                    stored_size[story] = stored_size.get(story, 0) + sum(
                        stored_size.get(s, 0) for s in losers
                    )
                    stored_size.update((s, 0) for s in losers)
                    stored.merged(losers, story)
                    done = [(a, story if s in losers else s) for a, s in done]
                    for loser in losers:
                        merged.append((loser, story))
                        merged_by[loser] = {*touched.get(loser, ()), *art.actor_ids}
                        touched.setdefault(story, set()).update(touched.pop(loser, ()))
                        created.discard(loser)
        at[art.id] = len(done)
        done.append((art, story))
        touched.setdefault(story, set()).update(art.actor_ids)
    new_stories.flush()
    repository.set_stories(session, [(a.id, s) for a, s in done])
    rows = repository.refresh(session, sorted(touched))
    changes = [
        outbox.PendingChange(
            "story",
            "created" if r["id"] in created else "updated",
            r["id"],
            outbox.jsonable(_change_data(r)),
            tuple(sorted(touched[r["id"]])),
            None,
            r["last_seen"],
        )
        for r in rows
    ]
    into = dict(merged)

    def survivor(sid: int) -> int:  # a winner may itself merge later in the same batch
        while sid in into:
            sid = into[sid]
        return sid

    changes += [
        outbox.PendingChange(
            "story",
            "merged",
            loser,
            {"merged_into": survivor(loser)},
            tuple(sorted(merged_by[loser])),
        )
        for loser, _ in merged
    ]
    outbox.record_derived(session, changes)


def _change_data(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: row[k]
        for k in ("title", "article_count", "source_count", "first_seen", "last_seen", "merged_into")
    }


def assign_unassigned(session: Session, batch: int) -> int:
    """Give a story to up to `batch` of the oldest articles without one (computing their signatures
    when they were stored before signatures were); returns how many. Resumable: run until 0."""
    rows = repository.unassigned(session, batch)
    if not rows:
        return 0
    sigs = {r.id: r.story_sig or sketch(r.title, r.body) for r in rows}
    repository.set_signatures(
        session, [{"aid": r.id, "sig": sigs[r.id]} for r in rows if r.story_sig is None]
    )
    actors = repository.actors_of(session, [r.id for r in rows])
    assign(
        session,
        [NewArticle(r.id, r.title, r.published_at, sigs[r.id], actors.get(r.id, frozenset())) for r in rows],
    )
    return len(rows)


async def article_removed(session: AsyncSession, story_id: int | None, actor_ids: Sequence[int]) -> None:
    """An article was deleted: its story is recounted (and stays, even when empty: its id is stable)."""
    if story_id is None:
        return
    rows = await session.run_sync(lambda s: repository.refresh(s, [story_id]))
    for r in rows:
        outbox.record(
            session,
            "story",
            "updated",
            r["id"],
            _change_data(r),
            actor_ids=actor_ids,
            published_at=r["last_seen"],
        )


async def surviving_id(session: AsyncSession, story_id: int) -> int | None:
    """The story's id, or the id of the story it was merged into; None when there is no such story."""
    exists, into = await repository.merged_into(session, story_id)
    if not exists:
        return None
    return into or story_id


# -- reads ---------------------------------------------------------------------------------------------


@dataclass
class StoryFilters:
    actors: list[str] | None = None
    member_of: str | None = None
    published_after: datetime | date | None = None
    published_before: datetime | date | None = None
    q: str | None = None
    min_articles: int | None = None


async def _with_top_actors(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    top = await repository.top_actors(session, [r["id"] for r in rows], TOP_ACTORS)
    briefs = await actors_repo.briefs(session, {a for v in top.values() for a, _ in v})
    for r in rows:
        r["top_actors"] = [
            {"id": a, "slug": b["slug"], "name": b["name"], "kind": b["kind"], "count": c}
            for a, c in top.get(r["id"], [])
            if (b := briefs.get(a)) is not None
        ]
    return rows


EXPORT_COLUMNS = ("id", "title", "first_seen", "last_seen", "article_count", "source_count")


def _export_item(row: Any) -> dict[str, Any]:
    return {c: row[c] for c in EXPORT_COLUMNS}


async def list_stories(
    session: AsyncSession, page: PageParams, f: StoryFilters, sort: str, fmt: str = "json"
) -> PageResult | Export:
    """A page of stories (with their top actors), or every match streamed (`fmt` ndjson/csv, without
    top actors)."""
    filters: dict[str, Any] = {
        "actor_ids": await filter_ids(session, f.actors, "actor"),
        "member_of": await filter_id(session, f.member_of, "member_of"),
        "published_after": to_utc_naive(f.published_after) if f.published_after else None,
        "published_before": to_utc_naive(f.published_before) if f.published_before else None,
        "q": f.q,
        "min_articles": f.min_articles,
    }
    stmt = repository.list_statement(repository.filter_conditions(**filters))
    key = repository.SORTS[sort]
    if fmt != "json":
        return Export(stmt, key, fmt, EXPORT_COLUMNS, _export_item, "stories")
    render = lambda rows: _with_top_actors(session, rows)  # noqa: E731
    return await keyset_page(session, stmt, key, page, {**filters, "sort": sort}, render)


@dataclass
class Moved:
    """The story was merged: the client is sent to the story that holds its articles now."""

    to: int


async def get_story(session: AsyncSession, story_id: int, page: PageParams) -> dict[str, Any] | Moved | None:
    """The story with a page of its articles in time order (oldest first)."""
    row = await repository.get(session, story_id)
    if row is None:
        return None
    if row["merged_into"] is not None:
        return Moved(row["merged_into"])
    (story,) = await _with_top_actors(session, [row])
    key = repository.ARTICLE_ORDER
    articles = await keyset_page(
        session, repository.articles_statement(story_id), key, page, {"story": story_id}
    )
    story["articles"] = {"items": articles.items, "next_cursor": articles.next_cursor}
    return story


__all__ = ["NewArticle", "assign", "get_story", "list_stories", "match"]
