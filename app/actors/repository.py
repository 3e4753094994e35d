"""Every query on actors, their aliases and external ids."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, case, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..db import RawStatement, fetch, fetch_raw
from ..models import Actor, ActorAlias, AppState, ExternalId
from ..pagination import SortKey
from ..schemas import MAX_ID

SUMMARY_COLUMNS = (Actor.id, Actor.kind, Actor.name, Actor.slug, Actor.country, Actor.description)
BRIEF_COLUMNS = (Actor.id, Actor.slug, Actor.name, Actor.kind)

SORT_BY_NAME = SortKey("name", ((Actor.name, False), (Actor.id, False)), ("str", "int"))
SORT_BY_ID = SortKey("id", ((Actor.id, False),), ("int",))


def direct_match(q_folded: str) -> Any:
    """The actor's name, slug or an alias starts with the query, or an external id equals it."""
    prefix = q_folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    alias_hit = exists().where(
        ActorAlias.actor_id == Actor.id, ActorAlias.normalized.like(prefix, escape="\\")
    )
    code_hit = exists().where(ExternalId.actor_id == Actor.id, func.lower(ExternalId.value) == q_folded)
    return or_(func.lower(Actor.name).like(prefix, escape="\\"), Actor.slug.like(prefix), alias_hit, code_hit)


def exact_match(q_folded: str) -> Any:
    """The actor's name or an alias is the query (case and accents aside), or an external id equals it."""
    alias_hit = exists().where(ActorAlias.actor_id == Actor.id, ActorAlias.normalized == q_folded)
    code_hit = exists().where(ExternalId.actor_id == Actor.id, func.lower(ExternalId.value) == q_folded)
    return or_(func.lower(Actor.name) == q_folded, alias_hit, code_hit)


def match_sort(q_folded: str) -> SortKey:
    """With a name query: exact matches (name, alias, code) first, then the other direct ones (prefixes),
    then fuzzy ones; by name within each. The statement carries the rank as `match_rank` (see
    list_statement)."""
    rank = case((exact_match(q_folded), 0), (direct_match(q_folded), 1), else_=2)
    return SortKey(
        "match",
        ((rank, False), (Actor.name, False), (Actor.id, False)),
        ("int", "str", "int"),
        ("match_rank", "name", "id"),
    )


def looks_like_id(ref: int | str) -> bool:
    return isinstance(ref, int) or (ref.isascii() and ref.isdigit())


def _as_id(ref: int | str) -> int | None:
    """An id-looking reference as an int, or None if it is out of range (so it matches nothing)."""
    value = int(ref)
    return value if 0 < value <= MAX_ID else None


async def resolve_ref(session: AsyncSession, ref: int | str) -> int | None:
    values: dict[str, int | str]
    if looks_like_id(ref):
        actor_id = _as_id(ref)
        if actor_id is None:
            return None
        stmt, raw, values = _BY_ID, _by_id_raw, {"id": actor_id}
    else:
        stmt, raw, values = _BY_SLUG, _by_slug_raw, {"slug": ref}
    # Every filtered search resolves its actor: on SQLite the statement compiled once (fetch_raw).
    rows = await fetch_raw(session, raw, values)
    if rows is not None:
        return rows[0]["id"] if rows else None
    return (await fetch(session, stmt, values)).scalar_one_or_none()


async def resolve_refs(session: AsyncSession, refs: Iterable[int | str]) -> dict[str, int]:
    """Map each given id or slug (as a string) to an actor id; unknown ones are absent."""
    wanted = list(dict.fromkeys(str(r) for r in refs))
    if not wanted:
        return {}
    if len(wanted) == 1:  # the usual filter: one prepared statement, no IN list to build and compile
        ref = wanted[0]
        one = await resolve_ref(session, ref)
        # As below, an id is found only as written ("007" is not actor 7).
        return {ref: one} if one is not None and (not looks_like_id(ref) or str(one) == ref) else {}
    ids = [i for r in wanted if looks_like_id(r) and (i := _as_id(r)) is not None]
    slugs = [r for r in wanted if not looks_like_id(r)]
    stmt = select(Actor.id, Actor.slug).where(or_(Actor.id.in_(ids), Actor.slug.in_(slugs)))
    found: dict[str, int] = {}
    for actor_id, slug in (await session.execute(stmt)).all():
        if str(actor_id) in wanted:
            found[str(actor_id)] = actor_id
        if slug in wanted:
            found[slug] = actor_id
    return found


_SUMMARY = select(*SUMMARY_COLUMNS, Actor.created_at, Actor.updated_at).where(Actor.id == bindparam("id"))
_BY_ID = select(Actor.id).where(Actor.id == bindparam("id"))
_BY_SLUG = select(Actor.id).where(Actor.slug == bindparam("slug"))


@functools.cache
def _by_id_raw(dialect: Any) -> RawStatement:
    return RawStatement.of(_BY_ID, dialect)


@functools.cache
def _by_slug_raw(dialect: Any) -> RawStatement:
    return RawStatement.of(_BY_SLUG, dialect)


async def get_summary(session: AsyncSession, actor_id: int) -> dict[str, Any] | None:
    """The actor's columns with its timestamps."""
    row = (await fetch(session, _SUMMARY, {"id": actor_id})).mappings().first()
    return dict(row) if row else None


async def briefs(session: AsyncSession, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = (await session.execute(select(*BRIEF_COLUMNS).where(Actor.id.in_(ids)))).mappings().all()
    return {r["id"]: dict(r) for r in rows}


_ALIASES = (
    select(ActorAlias.alias, ActorAlias.kind, ActorAlias.ambiguous, ActorAlias.case_sensitive)
    .where(ActorAlias.actor_id == bindparam("id"))
    .order_by(ActorAlias.kind, ActorAlias.alias)
)
_EXTERNAL = select(ExternalId.scheme, ExternalId.value).where(ExternalId.actor_id == bindparam("id"))


async def aliases(session: AsyncSession, actor_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in (await fetch(session, _ALIASES, {"id": actor_id})).mappings().all()]


async def external_ids(session: AsyncSession, actor_id: int) -> dict[str, str]:
    return {s: v for s, v in (await fetch(session, _EXTERNAL, {"id": actor_id})).all()}


async def slug_taken(session: AsyncSession, slug: str, *, except_id: int | None = None) -> bool:
    cond = Actor.slug == slug
    if except_id is not None:
        cond = cond & (Actor.id != except_id)
    return bool((await session.execute(select(exists().where(cond)))).scalar())


async def same_actor(session: AsyncSession, kind: str, name: str, country: str | None) -> str | None:
    """The slug of a stored actor of this kind and country whose name is `name` (case aside), if any."""
    stmt = (
        select(Actor.slug)
        .where(
            Actor.kind == kind,
            Actor.country.is_(None) if country is None else Actor.country == country,
            func.lower(Actor.name) == name.lower(),
        )
        .order_by(Actor.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar()


async def slugs_like(session: AsyncSession, base: str) -> set[str]:
    stmt = select(Actor.slug).where(or_(Actor.slug == base, Actor.slug.like(base + "-%")))
    return set((await session.execute(stmt)).scalars().all())


async def external_id_owner(session: AsyncSession, scheme: str, value: str) -> int | None:
    stmt = select(ExternalId.actor_id).where(ExternalId.scheme == scheme, ExternalId.value == value)
    return (await session.execute(stmt)).scalar_one_or_none()


def list_statement(
    *,
    kind: Sequence[str] | None,
    country: str | None,
    q_folded: str | None,
    member_ids: Any | None,
    fuzzy_ids: list[int] | None = None,
) -> Any:
    stmt = select(*SUMMARY_COLUMNS)
    if kind:
        stmt = stmt.where(Actor.kind.in_(kind))
    if country:
        stmt = stmt.where(Actor.country == country)
    if q_folded:
        stmt = stmt.where(or_(direct_match(q_folded), Actor.id.in_(fuzzy_ids or [])))
    if member_ids is not None:
        stmt = stmt.where(Actor.id.in_(member_ids))
    return stmt


async def replace_aliases(session: AsyncSession, actor_id: int, rows: list[dict[str, Any]]) -> None:
    await session.execute(delete(ActorAlias).where(ActorAlias.actor_id == actor_id))
    for row in rows:
        session.add(ActorAlias(actor_id=actor_id, **row))


async def replace_external_ids(session: AsyncSession, actor_id: int, ids: dict[str, str]) -> None:
    await session.execute(delete(ExternalId).where(ExternalId.actor_id == actor_id))
    for scheme, value in ids.items():
        session.add(ExternalId(actor_id=actor_id, scheme=scheme, value=value))


async def get_orm(session: AsyncSession, actor_id: int) -> Actor | None:
    return await session.get(Actor, actor_id)


async def delete_actor(session: AsyncSession, actor_id: int) -> None:
    await session.execute(delete(Actor).where(Actor.id == actor_id))


# -- sync reads for the per-process linker and name index (app/actors/gazetteer.py, fuzzy.py) ---------


def gazetteer_version(session: Session) -> int:
    return session.scalar(select(AppState.value).where(AppState.key == "gazetteer")) or 0


def gazetteer_rows(session: Session) -> tuple[Sequence[Any], Sequence[Any]]:
    """(id, kind, name) of every actor and (actor_id, alias, kind, ambiguous, case_sensitive) of every alias."""
    actors = session.execute(select(Actor.id, Actor.kind, Actor.name)).all()
    aliases = session.execute(
        select(
            ActorAlias.actor_id,
            ActorAlias.alias,
            ActorAlias.kind,
            ActorAlias.ambiguous,
            ActorAlias.case_sensitive,
        )
    ).all()
    return actors, aliases


def name_rows(session: Session) -> Sequence[Any]:
    return session.execute(select(Actor.name, Actor.id)).all()


def alias_rows(session: Session) -> Sequence[Any]:
    return session.execute(select(ActorAlias.normalized, ActorAlias.actor_id)).all()
