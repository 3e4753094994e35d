"""Rules for places: search by name (prefix, then typo-tolerant), the detail view, the places an article
names and its main place, and the places inside an area (for the geographic filters of other lists)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy.ext.asyncio import AsyncSession

from ..geo import Area
from ..ingestion.places import fold_name, places
from ..pagination import PageParams, PageResult, keyset_page
from . import repository

FUZZY_SCORE = 85
FUZZY_LIMIT = 20


@lru_cache(maxsize=1)
def _names() -> tuple[list[str], list[str]]:
    """(folded name or alias, place id) of the gazetteer, for typo-tolerant search."""
    keys, ids = [], []
    for r in places():
        for name in (r.name, *r.aliases):
            keys.append(fold_name(name))
            ids.append(r.id)
    return keys, ids


def fuzzy_ids(q: str) -> list[str]:
    """Places whose name or alias is close to `q` ("Kyev", "Brusels"); alias prefixes too ("bomb")."""
    folded = fold_name(q)
    keys, ids = _names()
    found = {ids[i] for i, k in enumerate(keys) if k.startswith(folded)}
    if len(folded) >= 4:
        for _key, _score, i in process.extract(
            folded, keys, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=FUZZY_SCORE
        ):
            found.add(ids[i])
    return sorted(found)


async def list_places(
    session: AsyncSession, page: PageParams, *, q: str | None = None, country: str | None = None
) -> PageResult:
    """Places by name (prefix of the name, of an alias, or close to it) and country; most populous first."""
    prefix = fold_name(q) if q else None
    stmt = repository.list_statement(prefix=prefix, fuzzy_ids=fuzzy_ids(q) if q else None, country=country)
    return await keyset_page(session, stmt, repository.SORT, page, {"q": prefix, "country": country})


async def get_place(session: AsyncSession, place_id: str) -> dict[str, Any] | None:
    row = await repository.get(session, place_id)
    if row is None:
        return None
    actor_id = row.pop("actor_id")
    actor = {
        "id": actor_id,
        "slug": row.pop("actor_slug"),
        "name": row.pop("actor_name"),
        "kind": row.pop("actor_kind"),
    }
    row["country_actor"] = actor if actor_id is not None else None
    row["aliases"] = row["aliases"] or []
    row["article_count"] = await repository.article_count(session, place_id)
    return row


async def ids_within(session: AsyncSession, area: Area) -> list[str]:
    return await repository.ids_within(session, area)


def _main(offsets: Sequence[tuple[str, int]]) -> str | None:
    """The most named place (ties: the first named); `offsets` are (place id, start) in text order."""
    counts: dict[str, int] = {}
    for pid, _start in offsets:
        counts[pid] = counts.get(pid, 0) + 1
    if not counts:
        return None
    best = max(counts.values())
    return next(pid for pid, c in counts.items() if c == best)


async def article_places(session: AsyncSession, article_id: int) -> list[dict[str, Any]]:
    """The places an article names, the main one first, then by count and first mention."""
    return places_of_rows(await repository.of_article(session, article_id))


def places_of_rows(rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The article's places from its rows of `repository.OF_ARTICLE`, the main one first."""
    main = _main([(r[3], r[0]) for r in rows])
    out: dict[str, dict[str, Any]] = {}
    for start, end, _text, pid, name, country, lat, lon in rows:
        item = out.setdefault(
            pid,
            {
                "id": pid,
                "name": name,
                "country": country,
                "lat": lat,
                "lon": lon,
                "count": 0,
                "main": pid == main,
                "offsets": [],
            },
        )
        item["count"] += 1
        item["offsets"].append((start, end))
    return sorted(out.values(), key=lambda p: (not p["main"], -p["count"], p["offsets"][0][0]))


async def main_place_of(session: AsyncSession, article_ids: Sequence[int]) -> str | None:
    """The main place of the first of these articles (in the given order) that names one."""
    by_article: dict[int, list[tuple[str, int]]] = {}
    for aid, pid, start in await repository.offsets_of_articles(session, article_ids):
        by_article.setdefault(aid, []).append((pid, start))
    for aid in article_ids:
        if aid in by_article:
            return _main(by_article[aid])
    return None


async def main_places(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, str]:
    """article id -> its main place, for the articles that name one."""
    by_article: dict[int, list[tuple[str, int]]] = {}
    for aid, pid, start in await repository.offsets_of_articles(session, article_ids):
        by_article.setdefault(aid, []).append((pid, start))
    return {aid: m for aid, offs in by_article.items() if (m := _main(offs)) is not None}
