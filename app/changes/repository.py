"""Every query on the change log: pages after a position with filters, the head, retention."""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, exists, func, or_, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import RawStatement, fetch, fetch_raw
from ..dialect import day_of
from ..models import AppState, Change, ChangeActor, Relation
from ..relations.repository import member_on

COLUMNS = (Change.seq, Change.at, Change.entity, Change.entity_id, Change.op, Change.data)
PRUNED_KEY = "changes_pruned_through"


def feed_statement(
    after: int,
    upto: int,
    *,
    entities: list[str] | None = None,
    actor_ids: list[int] | None = None,
    org_id: int | None = None,
    sources: list[str] | None = None,
) -> Any:
    """Changes in (after, upto] matching the filters, in seq order. `org_id`: changes concerning the
    organisation or an actor that was its member on the change's day (an article's publication day)."""
    stmt = select(*COLUMNS).where(Change.seq > after, Change.seq <= upto)
    if entities:
        stmt = stmt.where(Change.entity.in_(entities))
    if sources:
        stmt = stmt.where(Change.source.in_(sources))
    if actor_ids:
        stmt = stmt.where(exists().where(ChangeActor.seq == Change.seq, ChangeActor.actor_id.in_(actor_ids)))
    if org_id is not None:
        day = day_of(func.coalesce(Change.published_at, Change.at))
        stmt = stmt.where(
            exists().where(
                ChangeActor.seq == Change.seq,
                or_(
                    ChangeActor.actor_id == org_id,
                    exists()
                    .where(*member_on(ChangeActor.actor_id, org_id, day))
                    .correlate(Change, ChangeActor),
                ),
            )
        )
    return stmt.order_by(Change.seq)


async def page(session: AsyncSession, stmt: Any, limit: int) -> list[dict[str, Any]]:
    return [dict(r) for r in (await fetch(session, stmt.limit(limit))).mappings()]


_HEAD = select(func.max(Change.seq))
# `head`'s statement as SQLite's SQL, for a DB-API connection of its own (the change hub's).
HEAD_SQL = str(_HEAD.compile(dialect=sqlite.dialect()))


async def head(session: Any) -> int:
    """The largest committed seq (0 for an empty log)."""
    return int((await fetch(session, _HEAD)).scalar() or 0)


_PRUNED = select(AppState.value).where(AppState.key == PRUNED_KEY)


async def pruned_through(session: Any) -> int:
    return int((await fetch(session, _PRUNED)).scalar() or 0)


_AFTER = select(*COLUMNS, Change.source, Change.published_at).where(Change.seq > bindparam("after"))


async def newer(session: Any, after: int, limit: int) -> list[dict[str, Any]]:
    """Every change after `after` (no filter), with the columns the filters need, for the followers."""
    stmt = _AFTER.order_by(Change.seq).limit(limit)
    rows = [dict(r) for r in (await fetch(session, stmt, {"after": after})).mappings()]
    if rows:
        seqs = [r["seq"] for r in rows]
        links: dict[int, list[int]] = {}
        for seq, actor_id in (
            await fetch(
                session, select(ChangeActor.seq, ChangeActor.actor_id).where(ChangeActor.seq.in_(seqs))
            )
        ).all():
            links.setdefault(seq, []).append(actor_id)
        for r in rows:
            r["actor_ids"] = links.get(r["seq"], [])
    return rows


# What the search index needs of a change: which article it touched; an actor's data (its kind and
# country are copied into its articles' documents). Not an article's data nor the actor links: decoding
# them was ~35 µs an article of the indexer's work while a bulk ingest is followed.
_TOUCHED = select(
    Change.seq,
    Change.entity,
    Change.entity_id,
    Change.op,
    case((Change.entity == "actor", Change.data)).label("data"),
).where(Change.seq > bindparam("after"))
_TOUCHED_PAGE = _TOUCHED.order_by(Change.seq).limit(bindparam("limit"))


@functools.cache
def _touched_raw(dialect: Any) -> RawStatement:
    return RawStatement.of(_TOUCHED_PAGE, dialect)


async def touched(session: Any, after: int, limit: int) -> list[dict[str, Any]]:
    """Every change after `after`: seq, entity, entity_id, op, and data for an actor (else None). On an
    inline SQLite session read on its driver's cursor: the search index follows every change of a bulk
    ingest, and SQLAlchemy's row mappings turned into dicts cost 4.7 µs a change, 1.9 this way."""
    params = {"after": after, "limit": limit}
    rows = await fetch_raw(session, _touched_raw, params)
    if rows is not None:
        return rows
    return [dict(r) for r in (await fetch(session, _TOUCHED_PAGE, params)).mappings()]


_MEMBERSHIPS = select(Relation.subject_id, Relation.valid_from, Relation.valid_to).where(
    Relation.object_id == bindparam("org"), Relation.type == "member_of"
)


@functools.cache
def _memberships_raw(dialect: Any) -> RawStatement:
    return RawStatement.of(_MEMBERSHIPS, dialect)


async def memberships(session: Any, org_id: int) -> list[tuple[int, date | None, date | None]]:
    """(member id, valid_from, valid_to) of every membership in the organisation, past and present."""
    # Every member_of search reads them: on SQLite the statement compiled once (fetch_raw).
    rows = await fetch_raw(session, _memberships_raw, {"org": org_id})
    if rows is not None:
        return [(r["subject_id"], r["valid_from"], r["valid_to"]) for r in rows]
    return [tuple(r) for r in (await fetch(session, _MEMBERSHIPS, {"org": org_id})).all()]  # type: ignore[misc]


# -- retention (sync: the CLI and the pruning timer run it on a plain Session) --------------------------


def prune(session: Any, before: datetime) -> tuple[int, int]:
    """Delete changes recorded before `before`; returns (rows deleted, the new pruned-through seq)."""
    last = session.execute(select(func.max(Change.seq)).where(Change.at < before)).scalar()
    if last is None:
        return 0, int(session.execute(_PRUNED).scalar() or 0)
    session.execute(delete(ChangeActor).where(ChangeActor.seq <= last))
    deleted = session.execute(delete(Change).where(Change.seq <= last)).rowcount or 0
    done = session.execute(update(AppState).where(AppState.key == PRUNED_KEY).values(value=last)).rowcount
    if not done:
        session.add(AppState(key=PRUNED_KEY, value=last))
    return deleted, last
