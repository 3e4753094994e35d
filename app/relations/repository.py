"""Every query on relations and their evidence, including the "as of a date" rules.

A relation holds on day d when valid_from <= d (or is open) and valid_to > d (or is open): valid_to is the
first day it no longer holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..db import fetch
from ..models import Actor, Relation, RelationEvidence
from ..pagination import SortKey

SORT_BY_ID = SortKey("id", ((Relation.id, False),), ("int",))
MEMBER_SORT = SortKey("member-name", ((Actor.name, False), (Actor.id, False)), ("str", "int"))

RELATION_COLUMNS = (
    Relation.id,
    Relation.subject_id,
    Relation.type,
    Relation.object_id,
    Relation.title,
    Relation.valid_from,
    Relation.valid_to,
    Relation.confidence,
    Relation.source_note,
    Relation.attributes,
)


def holds_on(day: date | Any, rel: Any = Relation) -> Any:
    """SQL condition: the relation `rel` holds on `day` (a date or a date-valued SQL expression)."""
    return and_(
        or_(rel.valid_from.is_(None), rel.valid_from <= day),
        or_(rel.valid_to.is_(None), rel.valid_to > day),
    )


def member_on(actor_id: Any, org_id: int, day: Any) -> list[Any]:
    """Conditions (on a fresh alias of relations): `actor_id` (a column) was a member of `org_id` on `day`
    (a date-valued column). For EXISTS subqueries such as the articles' and events' `member_of` filter."""
    r = aliased(Relation)
    return [r.subject_id == actor_id, r.object_id == org_id, r.type == "member_of", holds_on(day, r)]


def list_statement(
    *,
    subject_id: int | None = None,
    object_id: int | None = None,
    actor_id: int | None = None,
    direction: str = "both",
    types: Sequence[str] | None = None,
    as_of: date | None = None,
) -> Any:
    stmt = select(*RELATION_COLUMNS)
    if subject_id is not None:
        stmt = stmt.where(Relation.subject_id == subject_id)
    if object_id is not None:
        stmt = stmt.where(Relation.object_id == object_id)
    if actor_id is not None:
        if direction == "out":
            stmt = stmt.where(Relation.subject_id == actor_id)
        elif direction == "in":
            stmt = stmt.where(Relation.object_id == actor_id)
        else:
            stmt = stmt.where(or_(Relation.subject_id == actor_id, Relation.object_id == actor_id))
    if types:
        stmt = stmt.where(Relation.type.in_(types))
    if as_of is not None:
        stmt = stmt.where(holds_on(as_of))
    return stmt


_GET = select(*RELATION_COLUMNS).where(Relation.id == bindparam("id"))
_EXISTS = select(Relation.id).where(Relation.id == bindparam("id"))


async def get(session: AsyncSession, relation_id: int) -> dict[str, Any] | None:
    row = (await fetch(session, _GET, {"id": relation_id})).mappings().first()
    return dict(row) if row else None


async def exists_id(session: AsyncSession, relation_id: int) -> bool:
    return (await fetch(session, _EXISTS, {"id": relation_id})).first() is not None


async def evidence_for(session: AsyncSession, relation_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    ids = list(relation_ids)
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return out
    stmt = (
        select(RelationEvidence.relation_id, RelationEvidence.article_id, RelationEvidence.quote)
        .where(RelationEvidence.relation_id.in_(ids))
        .order_by(RelationEvidence.id)
    )
    for rid, aid, quote in (await session.execute(stmt)).all():
        out[rid].append({"article_id": aid, "quote": quote})
    return out


def _ties_statement(incoming: bool, dated: bool) -> Any:
    other = aliased(Actor)
    this_side, other_side = (
        (Relation.object_id, Relation.subject_id) if incoming else (Relation.subject_id, Relation.object_id)
    )
    stmt = (
        select(
            Relation.id.label("relation_id"),
            Relation.type,
            Relation.title,
            Relation.valid_from,
            Relation.valid_to,
            other.id.label("actor_id"),
            other.slug,
            other.name,
            other.kind,
        )
        .join(other, other.id == other_side)
        .where(this_side == bindparam("actor_id"), Relation.type.in_(bindparam("types", expanding=True)))
        .order_by(Relation.type, Relation.valid_from, Relation.id)
    )
    return stmt.where(holds_on(bindparam("day", type_=Date))) if dated else stmt


# Built once: the four shapes of the query (incoming or outgoing, on a date or not).
_TIES = {
    (incoming, dated): _ties_statement(incoming, dated)
    for incoming in (False, True)
    for dated in (False, True)
}


async def ties(
    session: AsyncSession, actor_id: int, types: Sequence[str], as_of: date | None, *, incoming: bool = False
) -> list[dict[str, Any]]:
    """The actor's relations of these types (outgoing, or incoming), with the other side; those that hold
    on `as_of` when it is given."""
    params: dict[str, Any] = {"actor_id": actor_id, "types": list(types)}
    if as_of is not None:
        params["day"] = as_of
    stmt = _TIES[(incoming, as_of is not None)]
    return [dict(r) for r in (await fetch(session, stmt, params)).mappings().all()]


def members_statement(org_id: int, as_of: date) -> Any:
    return (
        select(
            Actor.id,
            Actor.kind,
            Actor.name,
            Actor.slug,
            Actor.country,
            Actor.description,
            Relation.id.label("relation_id"),
            Relation.valid_from,
            Relation.valid_to,
        )
        .join(Relation, Relation.subject_id == Actor.id)
        .where(Relation.object_id == org_id, Relation.type == "member_of", holds_on(as_of))
    )


def member_ids_subquery(org_id: int, as_of: date) -> Any:
    return select(Relation.subject_id).where(
        Relation.object_id == org_id, Relation.type == "member_of", holds_on(as_of)
    )


_COUNT_MEMBERS = select(func.count()).where(
    Relation.object_id == bindparam("org"),
    Relation.type == "member_of",
    holds_on(bindparam("day", type_=Date)),
)


async def count_members(session: AsyncSession, org_id: int, as_of: date) -> int:
    return int((await fetch(session, _COUNT_MEMBERS, {"org": org_id, "day": as_of})).scalar_one())


async def replace_evidence(session: AsyncSession, relation_id: int, evidence: list[dict[str, Any]]) -> None:
    await session.execute(delete(RelationEvidence).where(RelationEvidence.relation_id == relation_id))
    for ev in evidence:
        session.add(
            RelationEvidence(relation_id=relation_id, article_id=ev["article_id"], quote=ev.get("quote"))
        )


async def get_orm(session: AsyncSession, relation_id: int) -> Relation | None:
    return await session.get(Relation, relation_id)


async def delete_relation(session: AsyncSession, relation_id: int) -> None:
    await session.execute(delete(Relation).where(Relation.id == relation_id))
