"""Every query on claims, the actors they are about, and propositions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import fetch
from ..models import Actor, Claim, ClaimAbout, Proposition
from ..pagination import SortKey

SORT = SortKey("id", ((Claim.id, False),), ("int",))
PROP_SORT = SortKey("id", ((Proposition.id, False),), ("int",))

COLUMNS = (
    Claim.id,
    Claim.speaker_id,
    Claim.text,
    Claim.stance,
    Claim.article_id,
    Claim.event_id,
    Claim.said_on,
    Claim.proposition_id,
    Claim.created_at,
)


def filter_conditions(
    *,
    speaker_ids: Sequence[int] | None = None,
    about_ids: Sequence[int] | None = None,
    stances: Sequence[str] | None = None,
    event_id: int | None = None,
    proposition_id: int | None = None,
    article_id: int | None = None,
) -> list[Any]:
    conds: list[Any] = []
    if speaker_ids:
        conds.append(Claim.speaker_id.in_(speaker_ids))
    if about_ids:
        conds.append(Claim.id.in_(select(ClaimAbout.claim_id).where(ClaimAbout.actor_id.in_(about_ids))))
    if stances:
        conds.append(Claim.stance.in_(stances))
    if event_id is not None:
        conds.append(Claim.event_id == event_id)
    if proposition_id is not None:
        conds.append(Claim.proposition_id == proposition_id)
    if article_id is not None:
        conds.append(Claim.article_id == article_id)
    return conds


def list_statement(conds: list[Any]) -> Any:
    return select(*COLUMNS).where(*conds)


async def all_for(session: AsyncSession, conds: list[Any]) -> list[dict[str, Any]]:
    stmt = select(*COLUMNS).where(*conds).order_by(Claim.said_on, Claim.id)
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


_GET = select(*COLUMNS).where(Claim.id == bindparam("id"))


async def get(session: AsyncSession, claim_id: int) -> dict[str, Any] | None:
    row = (await fetch(session, _GET, {"id": claim_id})).mappings().first()
    return dict(row) if row else None


async def exists_id(session: AsyncSession, claim_id: int) -> bool:
    return (await fetch(session, _GET, {"id": claim_id})).first() is not None


async def about_for(session: AsyncSession, claim_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in claim_ids}
    if not claim_ids:
        return out
    stmt = (
        select(ClaimAbout.claim_id, Actor.id, Actor.slug, Actor.name, Actor.kind)
        .join(Actor, Actor.id == ClaimAbout.actor_id)
        .where(ClaimAbout.claim_id.in_(claim_ids))
        .order_by(Actor.name)
    )
    for r in (await session.execute(stmt)).all():
        out[r.claim_id].append({"id": r.id, "slug": r.slug, "name": r.name, "kind": r.kind})
    return out


async def replace_about(session: AsyncSession, claim_id: int, actor_ids: list[int]) -> None:
    await session.execute(delete(ClaimAbout).where(ClaimAbout.claim_id == claim_id))
    ids = list(dict.fromkeys(actor_ids))
    if ids:
        await session.execute(
            ClaimAbout.__table__.insert(), [{"claim_id": claim_id, "actor_id": a} for a in ids]
        )


async def get_orm(session: AsyncSession, claim_id: int) -> Claim | None:
    return await session.get(Claim, claim_id)


async def delete_claim(session: AsyncSession, claim_id: int) -> None:
    await session.execute(delete(Claim).where(Claim.id == claim_id))


async def proposition(session: AsyncSession, proposition_id: int) -> dict[str, Any] | None:
    stmt = select(Proposition.id, Proposition.key, Proposition.text, Proposition.description).where(
        Proposition.id == proposition_id
    )
    row = (await session.execute(stmt)).mappings().first()
    return dict(row) if row else None


async def proposition_id_by(
    session: AsyncSession, *, key: str | None = None, text: str | None = None
) -> int | None:
    cond = Proposition.key == key if key is not None else Proposition.text == text
    return (await session.execute(select(Proposition.id).where(cond))).scalars().first()


async def proposition_exists(session: AsyncSession, proposition_id: int) -> bool:
    return bool((await session.execute(select(exists().where(Proposition.id == proposition_id)))).scalar())


PROPOSITIONS = select(Proposition.id, Proposition.key, Proposition.text, Proposition.description)
