"""Rules for claims: speaker, subjects, article and event must exist; propositions by id, key or text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .. import outbox
from ..actors import repository as actors_repo
from ..actors.service import body_actor_ids, filter_ids
from ..articles import repository as articles_repo
from ..errors import Conflict, Unprocessable, still_there
from ..events import repository as events_repo
from ..models import STANCES, Claim, Proposition
from ..pagination import PageParams, PageResult, keyset_page
from . import repository
from .schemas import ClaimCreate, ClaimUpdate, PropositionCreate


async def _actor_ids(session: AsyncSession, refs: list[Any], loc: str) -> list[int]:
    return await body_actor_ids(session, [(["body", loc, i], r) for i, r in enumerate(refs)])


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
    outbox.record(session, "proposition", "created", prop.id, {"text": prop.text, "key": None})
    return prop.id


async def _check_links(session: AsyncSession, article_id: int | None, event_id: int | None) -> None:
    if article_id is not None and not await articles_repo.exists_id(session, article_id):
        raise Unprocessable("Unknown article.", errors=[{"loc": ["body", "article_id"], "msg": "unknown"}])
    if event_id is not None and not await events_repo.exists_id(session, event_id):
        raise Unprocessable("Unknown event.", errors=[{"loc": ["body", "event_id"], "msg": "unknown"}])


async def list_claims(
    session: AsyncSession,
    page: PageParams,
    *,
    speakers: list[str] | None = None,
    about: list[str] | None = None,
    stances: Sequence[str] | None = None,
    event_id: int | None = None,
    proposition_id: int | None = None,
    article_id: int | None = None,
) -> PageResult:
    filters: dict[str, Any] = {
        "speaker_ids": await filter_ids(session, speakers, "speaker"),
        "about_ids": await filter_ids(session, about, "about"),
        "stances": stances,
        "event_id": event_id,
        "proposition_id": proposition_id,
        "article_id": article_id,
    }
    stmt = repository.list_statement(repository.filter_conditions(**filters))
    return await keyset_page(
        session, stmt, repository.SORT, page, filters, lambda rows: render(session, rows)
    )


async def get_claim(session: AsyncSession, claim_id: int) -> dict[str, Any]:
    row = still_there(await repository.get(session, claim_id), f"Claim {claim_id}")
    (out,) = await render(session, [row])
    return out


async def delete_claim(session: AsyncSession, claim_id: int) -> None:
    out = await get_claim(session, claim_id)
    await repository.delete_claim(session, claim_id)
    _record(session, "deleted", out)


async def create_claim(session: AsyncSession, data: ClaimCreate) -> dict[str, Any]:
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
    out = await get_claim(session, claim.id)
    _record(session, "created", out)
    return out


async def update_claim(session: AsyncSession, claim_id: int, data: ClaimUpdate) -> dict[str, Any]:
    claim = still_there(await repository.get_orm(session, claim_id), f"Claim {claim_id}")
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
    out = await get_claim(session, claim_id)
    _record(session, "updated", out)
    return out


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


async def list_propositions(session: AsyncSession, page: PageParams) -> PageResult:
    return await keyset_page(session, repository.PROPOSITIONS, repository.PROP_SORT, page, {})


async def create_proposition(session: AsyncSession, data: PropositionCreate) -> dict[str, Any]:
    if data.key and await repository.proposition_id_by(session, key=data.key):
        raise Conflict(f"A proposition with key {data.key!r} exists.")
    prop = Proposition(text=data.text, key=data.key, description=data.description)
    session.add(prop)
    await session.flush()
    outbox.record(session, "proposition", "created", prop.id, {"text": prop.text, "key": prop.key})
    return await get_proposition(session, prop.id)


async def get_proposition(session: AsyncSession, proposition_id: int) -> dict[str, Any]:
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


def _record(session: AsyncSession, op: str, claim: dict[str, Any]) -> None:
    data = {
        "speaker": claim["speaker"]["slug"],
        "stance": claim["stance"],
        "proposition_id": claim["proposition_id"],
        "article_id": claim["article_id"],
        "said_on": claim["said_on"],
    }
    actor_ids = [claim["speaker"]["id"], *(a["id"] for a in claim["about"])]
    outbox.record(session, "claim", op, claim["id"], data, actor_ids=actor_ids)
