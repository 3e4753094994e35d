"""Every query behind the relationship lookups: co-mention hops, relation hops and timelines.

The first day of a timestamp's day/week/month is `bucket_start` from app/dialect.py (compiled per engine);
nothing in this package asks which engine it runs on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    and_,
    bindparam,
    cast,
    distinct,
    exists,
    func,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ..dialect import bucket_start
from ..events.repository import type_condition
from ..models import Article, Event, EventParticipant, Mention, Relation
from ..relations.repository import holds_on

# -- relations around a set of actors -------------------------------------------------------------------

RELATION_HOP_COLUMNS = (
    Relation.id,
    Relation.subject_id,
    Relation.object_id,
    Relation.type,
    Relation.title,
    Relation.valid_from,
    Relation.valid_to,
)


def relations_touching_statement(
    actor_ids: Sequence[int],
    as_of: date | None,
    types: Sequence[str] | None,
    columns: Sequence[Any] = RELATION_HOP_COLUMNS,
) -> Any:
    """Relations with either end in `actor_ids` (both indexed: a multi-index OR on SQLite)."""
    stmt = select(*columns).where(or_(Relation.subject_id.in_(actor_ids), Relation.object_id.in_(actor_ids)))
    if types:
        stmt = stmt.where(Relation.type.in_(types))
    if as_of is not None:
        stmt = stmt.where(holds_on(as_of))
    return stmt.order_by(Relation.id)


async def relations_touching(
    session: AsyncSession, actor_ids: Sequence[int], as_of: date | None, types: Sequence[str] | None
) -> list[dict[str, Any]]:
    if not actor_ids:
        return []
    stmt = relations_touching_statement(actor_ids, as_of, types)
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def relation_ends(
    session: AsyncSession, actor_ids: Sequence[int], as_of: date | None, types: Sequence[str] | None
) -> list[tuple[int, int, str]]:
    """(subject_id, object_id, type) of the relations `relations_touching` returns, in its order: what a
    network hop needs. Plain tuples, without the titles and validity dates that a hop never reads and
    that SQLite would parse from text for every row (an international organisation's member_of relations
    alone are some 200 rows)."""
    if not actor_ids:
        return []
    stmt = relations_touching_statement(
        actor_ids, as_of, types, (Relation.subject_id, Relation.object_id, Relation.type)
    )
    return [tuple(r) for r in (await session.execute(stmt)).all()]  # type: ignore[misc]


# -- co-mentions around a set of actors -----------------------------------------------------------------


def _recent_articles(i: int, limit: Any) -> Any:
    """The distinct articles of actor a{i}, most recently stored first: a walk down the
    (actor_id, article_id) index that stops after `limit`."""
    return (
        select(Mention.actor_id.label("src"), Mention.article_id)
        .where(Mention.actor_id == bindparam(f"a{i}", type_=Integer))
        .distinct()
        .order_by(Mention.article_id.desc())
        .limit(limit)
    )


def _window_scans(branches: int) -> list[Any]:
    scan_cap = bindparam("scan_cap", type_=Integer)
    return [_recent_articles(i, scan_cap).subquery(f"scan{i}") for i in range(branches)]


def sample_statement(branches: int, *, since: bool, until: bool) -> Any:
    """(src, article_id): for each of `branches` actors (bound as a0, a1, ...), its `per_actor` most
    recently stored articles; with a window, those published in [since, until) among its `scan_cap` most
    recently stored ones. Every branch stops early, so the work is bounded however many articles a
    popular actor has."""
    per_actor = bindparam("per_actor", type_=Integer)
    if not (since or until):
        parts = [
            select(sq.c.src, sq.c.article_id)
            for sq in (_recent_articles(i, per_actor).subquery() for i in range(branches))
        ]
    else:
        parts = []
        window = []
        if since:
            window.append(Article.published_at >= bindparam("since", type_=DateTime()))
        if until:
            window.append(Article.published_at < bindparam("until", type_=DateTime()))
        for scan in _window_scans(branches):
            # A correlated lookup per scanned article, not a join: a join lets the planner hash every
            # article of the window once per actor.
            in_window = select(and_(*window)).where(Article.id == scan.c.article_id).scalar_subquery()
            inner = select(scan.c.src, scan.c.article_id).where(in_window)
            sq = inner.order_by(scan.c.article_id.desc()).limit(per_actor).subquery()
            parts.append(select(sq.c.src, sq.c.article_id))
    return parts[0] if len(parts) == 1 else union_all(*parts)


# Typed, so that PostgreSQL can match the columns of the UNION's parts.
_NULL = cast(null(), BigInteger)


@lru_cache(maxsize=256)
def co_mention_statement(branches: int, *, since: bool, until: bool, pairs: bool) -> Any:
    """Co-mention edges from `branches` actors (a0, a1, ...): rows (src, dst, weight, NULL), weight being
    the number of sampled articles of src that also mention dst, for the `top_k` strongest dst of each src
    with weight >= `min_weight` and for the (src, dst) `pairs` (related actors) whatever their weight.
    Rows (src, NULL, sampled, NULL) say how many articles were sampled for src and, with a window,
    (src, NULL, NULL, scanned) how many of its articles were looked at.

    A GROUP BY over the self-join of mentions restricted to the sample: the sample walks the
    (actor_id, article_id) index, the join probes (article_id, start_offset); mentions is never scanned.
    Built once per shape (building takes milliseconds) and run with the parameters of `co_mention_query`."""
    sample = sample_statement(branches, since=since, until=until).cte("sample")
    other = aliased(Mention, name="other")
    weight = func.count(distinct(sample.c.article_id))
    grouped = (
        select(sample.c.src, other.actor_id.label("dst"), weight.label("weight"))
        .join(other, other.article_id == sample.c.article_id)
        .where(other.actor_id != sample.c.src)
        .group_by(sample.c.src, other.actor_id)
        .subquery("grouped")
    )
    position = func.row_number().over(
        partition_by=grouped.c.src, order_by=(grouped.c.weight.desc(), grouped.c.dst)
    )
    ranked = select(grouped, position.label("position")).subquery("ranked")
    keep: ColumnElement[bool] = and_(
        ranked.c.position <= bindparam("top_k", type_=Integer),
        ranked.c.weight >= bindparam("min_weight", type_=Integer),
    )
    if pairs:
        keep = or_(keep, tuple_(ranked.c.src, ranked.c.dst).in_(bindparam("pairs", expanding=True)))
    parts = [
        select(ranked.c.src, ranked.c.dst, ranked.c.weight, _NULL.label("scanned")).where(keep),
        select(sample.c.src, _NULL, func.count(), _NULL).group_by(sample.c.src),
    ]
    if since or until:
        parts.extend(
            select(scan.c.src, _NULL, _NULL, func.count()).group_by(scan.c.src)
            for scan in _window_scans(branches)
        )
    return union_all(*parts)


def co_mention_query(
    actor_ids: Sequence[int],
    *,
    per_actor: int,
    scan_cap: int,
    since: datetime | None,
    until: datetime | None,
    min_weight: int,
    top_k: int,
    keep_pairs: Iterable[tuple[int, int]] = (),
) -> tuple[Any, dict[str, Any]]:
    """The statement and parameters of `co_mention_statement` for these actors."""
    pairs = sorted(set(keep_pairs))
    stmt = co_mention_statement(
        len(actor_ids), since=since is not None, until=until is not None, pairs=bool(pairs)
    )
    params: dict[str, Any] = {f"a{i}": actor_id for i, actor_id in enumerate(actor_ids)}
    params.update(per_actor=per_actor, top_k=top_k, min_weight=min_weight)
    if since is not None or until is not None:
        params["scan_cap"] = max(scan_cap, per_actor)
    if since is not None:
        params["since"] = since
    if until is not None:
        params["until"] = until
    if pairs:
        params["pairs"] = pairs
    return stmt, params


@dataclass
class CoMentions:
    edges: list[tuple[int, int, int]]  # (src, dst, weight)
    sampled: dict[int, int]  # src -> articles counted
    scanned: dict[int, int]  # src -> articles looked at (with a window)


async def co_mentions(session: AsyncSession, actor_ids: Sequence[int], **kw: Any) -> CoMentions:
    out = CoMentions([], {}, {})
    if not actor_ids:
        return out
    stmt, params = co_mention_query(actor_ids, **kw)
    rows: Sequence[Any] = (await session.execute(stmt, params)).all()
    for src, dst, weight, scanned in rows:
        if dst is not None:
            out.edges.append((int(src), int(dst), int(weight)))
        elif weight is not None:
            out.sampled[int(src)] = int(weight)
        else:
            out.scanned[int(src)] = int(scanned)
    return out


# -- timelines ------------------------------------------------------------------------------------------


def mention_timeline_statement(
    actor_id: int, interval: str, start: datetime, end: datetime, with_id: int | None
) -> Any:
    """(bucket, articles) for articles published in [start, end) that mention the actor (and `with_id`)."""
    bucket = bucket_start(interval, Article.published_at).label("bucket")
    stmt = (
        select(bucket, func.count(distinct(Article.id)).label("n"))
        .select_from(Mention)
        .join(Article, Article.id == Mention.article_id)
        .where(Mention.actor_id == actor_id, Article.published_at >= start, Article.published_at < end)
    )
    if with_id is not None:
        other = aliased(Mention)
        stmt = stmt.where(exists().where(other.article_id == Mention.article_id, other.actor_id == with_id))
    return stmt.group_by(bucket)


def event_timeline_statement(
    actor_id: int, interval: str, start: date, end: date, type_code: str, with_id: int | None
) -> Any:
    """(bucket, events) for events of this type (or under it) starting in [start, end] with the actor
    (and `with_id`) among the participants."""
    bucket = bucket_start(interval, Event.start_date).label("bucket")
    stmt = (
        select(bucket, func.count(distinct(Event.id)).label("n"))
        .select_from(EventParticipant)
        .join(Event, Event.id == EventParticipant.event_id)
        .where(
            EventParticipant.actor_id == actor_id,
            Event.start_date >= start,
            Event.start_date <= end,
            type_condition(type_code),
        )
    )
    if with_id is not None:
        other = aliased(EventParticipant)
        stmt = stmt.where(exists().where(other.event_id == Event.id, other.actor_id == with_id))
    return stmt.group_by(bucket)


async def counts_by_bucket(session: AsyncSession, stmt: Any) -> dict[date, int]:
    out: dict[date, int] = {}
    rows: Sequence[Any] = (await session.execute(stmt)).all()
    for bucket, n in rows:
        if bucket is not None:
            day = bucket if isinstance(bucket, date) else date.fromisoformat(str(bucket)[:10])
            out[day] = out.get(day, 0) + int(n)
    return out
