"""Every query behind the relationship lookups: membership on a date, co-mention hops, relation hops and
timelines.

The two things SQLite and PostgreSQL spell differently — the calendar date of a timestamp and the first day
of its day/week/month — are the SQL constructs `day_of` and `bucket_start` below, compiled per dialect.
Nothing else in this package asks which engine it runs on.

Dates on SQLite are stored as text ('YYYY-MM-DD', and 'YYYY-MM-DD HH:MM:SS.ffffff' for timestamps), so
`date(x)` yields text that compares correctly with stored dates; PostgreSQL casts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    and_,
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
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from ..events.repository import type_condition
from ..models import Article, Event, EventParticipant, Mention, Relation
from ..relations.repository import holds_on

# -- the dialect helpers ------------------------------------------------------------------------------------


class day_of(FunctionElement[date]):  # noqa: N801 - reads as an SQL function
    """The calendar date of a (naive UTC) timestamp."""

    type = Date()
    name = "day_of"
    inherit_cache = True


@compiles(day_of)
def _day_of(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


class _BucketStart(FunctionElement[date]):
    type = Date()
    inherit_cache = True
    unit = ""


class _DayStart(_BucketStart):
    name, unit, inherit_cache = "day_start", "day", True


class _WeekStart(_BucketStart):
    name, unit, inherit_cache = "week_start", "week", True


class _MonthStart(_BucketStart):
    name, unit, inherit_cache = "month_start", "month", True


# Constant SQL text, no bound parameters: PostgreSQL then accepts the same expression in GROUP BY.
_SQLITE_BUCKETS = {
    "day": "date({})",
    "week": "date({}, '-6 days', 'weekday 1')",  # back to the Monday on or before (ISO weeks)
    "month": "date({}, 'start of month')",
}


def _bucket_default(element: _BucketStart, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('{element.unit}', CAST({arg} AS TIMESTAMP)) AS DATE)"


def _bucket_sqlite(element: _BucketStart, compiler: Any, **kw: Any) -> str:
    return _SQLITE_BUCKETS[element.unit].format(compiler.process(element.clauses, **kw))


BUCKETS: dict[str, type[_BucketStart]] = {"day": _DayStart, "week": _WeekStart, "month": _MonthStart}
for _cls in BUCKETS.values():
    compiles(_cls)(_bucket_default)
    compiles(_cls, "sqlite")(_bucket_sqlite)


def bucket_start(interval: str, value: Any) -> ColumnElement[date]:
    """The first day of the day, ISO week (Monday) or month that a date or timestamp falls in."""
    return BUCKETS[interval](value)  # type: ignore[return-value]


# -- membership on the date of each row -----------------------------------------------------------------


def _member_via(actor_id: Any, org_id: int, day: Any) -> list[ColumnElement[bool]]:
    r = aliased(Relation)
    return [r.subject_id == actor_id, r.object_id == org_id, r.type == "member_of", holds_on(day, r)]


def articles_member_of_condition(org_id: int) -> ColumnElement[bool]:
    """Articles that mention the organisation itself, or an actor that was a member of it on the article's
    publication date (UTC). For `select(...).where(...)` over `Article`."""
    direct, via = aliased(Mention), aliased(Mention)
    day = day_of(Article.published_at)
    return or_(
        exists().where(direct.article_id == Article.id, direct.actor_id == org_id).correlate(Article),
        exists()
        .where(via.article_id == Article.id, *_member_via(via.actor_id, org_id, day))
        .correlate(Article),
    )


def events_member_of_condition(org_id: int) -> ColumnElement[bool]:
    """Events in which the organisation, or an actor that was a member of it on the event's start date,
    takes part. For `select(...).where(...)` over `Event`."""
    direct, via = aliased(EventParticipant), aliased(EventParticipant)
    return or_(
        exists().where(direct.event_id == Event.id, direct.actor_id == org_id).correlate(Event),
        exists()
        .where(via.event_id == Event.id, *_member_via(via.actor_id, org_id, Event.start_date))
        .correlate(Event),
    )


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
    actor_ids: Sequence[int], as_of: date | None, types: Sequence[str] | None
) -> Any:
    """Relations with either end in `actor_ids` (both indexed: a multi-index OR on SQLite)."""
    stmt = select(*RELATION_HOP_COLUMNS).where(
        or_(Relation.subject_id.in_(actor_ids), Relation.object_id.in_(actor_ids))
    )
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


# -- co-mentions around a set of actors -----------------------------------------------------------------


def sample_statement(
    actor_ids: Sequence[int], per_actor: int, since: datetime | None, until: datetime | None
) -> Any:
    """(src, article_id): for each actor, its `per_actor` most recently stored articles (in the window).

    One branch per actor, each a walk down the (actor_id, article_id) index that stops after `per_actor`
    articles, so the work is bounded however many articles a popular actor has."""
    branches = []
    for actor_id in actor_ids:
        inner = select(Mention.actor_id.label("src"), Mention.article_id).where(Mention.actor_id == actor_id)
        if since is not None or until is not None:
            inner = inner.join(Article, Article.id == Mention.article_id)
            if since is not None:
                inner = inner.where(Article.published_at >= since)
            if until is not None:
                inner = inner.where(Article.published_at < until)
        sq = inner.distinct().order_by(Mention.article_id.desc()).limit(per_actor).subquery()
        branches.append(select(sq.c.src, sq.c.article_id))
    return branches[0] if len(branches) == 1 else union_all(*branches)


def co_mention_statement(
    actor_ids: Sequence[int],
    *,
    per_actor: int,
    since: datetime | None,
    until: datetime | None,
    min_weight: int,
    top_k: int,
    keep_pairs: Iterable[tuple[int, int]] = (),
) -> Any:
    """Co-mention edges from each of `actor_ids`: (src, dst, weight) with weight the number of sampled
    articles of src that mention dst, the `top_k` strongest per src with weight >= `min_weight`, plus the
    pairs in `keep_pairs` (related actors) whatever their weight. Rows with dst NULL carry, in weight, how
    many articles were sampled for src.

    A GROUP BY over the self-join of mentions restricted to the sample: the sample comes from the
    (actor_id, article_id) index and the join probes (article_id, start_offset), so mentions is never
    scanned."""
    sample = sample_statement(actor_ids, per_actor, since, until).cte("sample")
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
    keep: ColumnElement[bool] = and_(ranked.c.position <= top_k, ranked.c.weight >= min_weight)
    pairs = sorted(set(keep_pairs))
    if pairs:
        keep = or_(keep, tuple_(ranked.c.src, ranked.c.dst).in_(pairs))
    edges = select(ranked.c.src, ranked.c.dst, ranked.c.weight).where(keep)
    sizes = select(sample.c.src, null().label("dst"), func.count().label("weight")).group_by(sample.c.src)
    return union_all(edges, sizes)


async def co_mentions(
    session: AsyncSession, actor_ids: Sequence[int], **kw: Any
) -> tuple[list[tuple[int, int, int]], dict[int, int]]:
    """The co-mention edges of `co_mention_statement` and, per src, how many articles were sampled."""
    if not actor_ids:
        return [], {}
    edges: list[tuple[int, int, int]] = []
    sampled: dict[int, int] = {}
    for src, dst, weight in (await session.execute(co_mention_statement(actor_ids, **kw))).all():
        if dst is None:
            sampled[int(src)] = int(weight)
        else:
            edges.append((int(src), int(dst), int(weight)))
    return edges, sampled


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
    for bucket, n in (await session.execute(stmt)).all():
        if bucket is not None:
            day = bucket if isinstance(bucket, date) else date.fromisoformat(str(bucket)[:10])
            out[day] = out.get(day, 0) + int(n)
    return out
