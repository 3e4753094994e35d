"""Rules for claims: speaker, subjects, article and event must exist; propositions by id, key or text."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..actors import repository as actors_repo
from ..articles import repository as articles_repo
from ..errors import Conflict, Unprocessable
from ..events import repository as events_repo
from ..models import STANCES, Claim, Proposition
from . import repository
from .schemas import ClaimCreate, ClaimUpdate, PropositionCreate


async def _actor_ids(session: AsyncSession, refs: list[Any], loc: str) -> list[int]:
    found = await actors_repo.resolve_refs(session, refs)
    errors = [
        {"loc": ["body", loc, i], "msg": f"unknown actor {r!r}"}
        for i, r in enumerate(refs)
        if str(r) not in found
    ]
    if errors:
        raise Unprocessable("Unknown actor.", errors=errors)
    return [found[str(r)] for r in refs]


async def _proposition_id(session: AsyncSession, ref: int | str) -> int:
    if isinstance(ref, int):
        if not await repository.proposition_exists(session, ref):
            raise Unprocessable(
                "Unknown proposition.", errors=[{"loc": ["body", "proposition"], "msg": "unknown id"}]
            )
        return ref
    found = await repository.proposition_id_by(session, key=ref) or await repository.proposition_id_by(
        session, text=ref
    )
    if found:
        return found
    prop = Proposition(text=ref)
    session.add(prop)
    await session.flush()
    return prop.id


async def _check_links(session: AsyncSession, article_id: int | None, event_id: int | None) -> None:
    if article_id is not None and not await articles_repo.exists_id(session, article_id):
        raise Unprocessable("Unknown article.", errors=[{"loc": ["body", "article_id"], "msg": "unknown"}])
    if event_id is not None and not await events_repo.exists_id(session, event_id):
        raise Unprocessable("Unknown event.", errors=[{"loc": ["body", "event_id"], "msg": "unknown"}])


async def create(session: AsyncSession, data: ClaimCreate) -> int:
    (speaker_id,) = await _actor_ids(session, [data.speaker], "speaker")
    about = await _actor_ids(session, data.about, "about")
    await _check_links(session, data.article_id, data.event_id)
    prop_id = await _proposition_id(session, data.proposition) if data.proposition is not None else None
    claim = Claim(
        speaker_id=speaker_id,
        text=data.text,
        stance=data.stance,
        article_id=data.article_id,
        event_id=data.event_id,
        said_on=data.said_on,
        proposition_id=prop_id,
    )
    session.add(claim)
    await session.flush()
    await repository.replace_about(session, claim.id, about)
    return claim.id


async def update(session: AsyncSession, claim_id: int, data: ClaimUpdate) -> None:
    claim = await repository.get_orm(session, claim_id)
    assert claim is not None
    changes = data.model_dump(exclude_unset=True)
    if data.text is not None:
        claim.text = data.text
    if data.stance is not None:
        claim.stance = data.stance
    if "said_on" in changes:
        claim.said_on = data.said_on
    if "event_id" in changes:
        await _check_links(session, None, data.event_id)
        claim.event_id = data.event_id
    if "proposition" in changes:
        claim.proposition_id = (
            await _proposition_id(session, data.proposition) if data.proposition is not None else None
        )
    if data.about is not None:
        await repository.replace_about(session, claim_id, await _actor_ids(session, data.about, "about"))
    await session.flush()


async def render(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    speakers = await actors_repo.briefs(session, [r["speaker_id"] for r in rows])
    about = await repository.about_for(session, [r["id"] for r in rows])
    out = []
    for r in rows:
        d = dict(r)
        d["speaker"] = speakers[d.pop("speaker_id")]
        d["about"] = about[r["id"]]
        out.append(d)
    return out


async def create_proposition(session: AsyncSession, data: PropositionCreate) -> int:
    if data.key and await repository.proposition_id_by(session, key=data.key):
        raise Conflict(f"A proposition with key {data.key!r} exists.")
    prop = Proposition(text=data.text, key=data.key, description=data.description)
    session.add(prop)
    await session.flush()
    return prop.id


async def proposition_detail(session: AsyncSession, proposition_id: int) -> dict[str, Any]:
    out = await repository.proposition(session, proposition_id)
    assert out is not None
    claims = await render(
        session,
        await repository.all_for(session, repository.filter_conditions(proposition_id=proposition_id)),
    )
    out["claims"] = claims
    out["by_stance"] = {s: [c for c in claims if c["stance"] == s] for s in STANCES}
    out["stance_counts"] = {s: len(v) for s, v in out["by_stance"].items()}
    return out
