"""Rules for relations: both ends must exist, evidence must point at stored articles, dates must be ordered."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .. import outbox
from ..actors import repository as actors_repo
from ..actors.service import body_actor_ids, filter_id
from ..articles import repository as articles_repo
from ..errors import Unprocessable, still_there
from ..models import Relation
from ..pagination import PageParams, PageResult, keyset_page
from . import repository
from .schemas import EvidenceIn, RelationCreate, RelationUpdate


async def _check_articles(session: AsyncSession, evidence: list[EvidenceIn]) -> None:
    ids = {e.article_id for e in evidence}
    missing = ids - await articles_repo.existing_ids(session, ids)
    if missing:
        raise Unprocessable(
            "Evidence points at articles that do not exist.",
            errors=[{"loc": ["body", "evidence"], "msg": f"unknown article ids {sorted(missing)}"}],
        )


async def list_relations(
    session: AsyncSession,
    page: PageParams,
    *,
    subject: str | None = None,
    object: str | None = None,
    actor: str | None = None,
    actor_id: int | None = None,
    direction: str = "both",
    types: list[str] | None = None,
    as_of: date | None = None,
) -> PageResult:
    """Relations by either end, type and date, in id order (`actor_id`: an actor already resolved)."""
    filters: dict[str, Any] = {
        "subject_id": await filter_id(session, subject, "subject"),
        "object_id": await filter_id(session, object, "object"),
        "actor_id": actor_id if actor_id is not None else await filter_id(session, actor, "actor"),
        "direction": direction,
        "types": types,
        "as_of": as_of,
    }
    stmt = repository.list_statement(**filters)
    return await keyset_page(
        session, stmt, repository.SORT_BY_ID, page, filters, lambda rows: render(session, rows)
    )


async def get_relation(session: AsyncSession, relation_id: int) -> dict[str, Any]:
    row = still_there(await repository.get(session, relation_id), f"Relation {relation_id}")
    (out,) = await render(session, [row])
    return out


async def create_relation(session: AsyncSession, data: RelationCreate) -> dict[str, Any]:
    subject_id, object_id = await body_actor_ids(
        session, [(["body", "subject"], data.subject), (["body", "object"], data.object)]
    )
    if subject_id == object_id:
        raise Unprocessable(
            "A relation is between two different actors.",
            errors=[{"loc": ["body", "object"], "msg": "the subject itself"}],
        )
    await _check_articles(session, data.evidence)
    rel = Relation(
        subject_id=subject_id,
        type=data.type,
        object_id=object_id,
        title=data.title,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        confidence=data.confidence,
        source_note=data.source,
        attributes=data.attributes,
    )
    session.add(rel)
    await session.flush()
    await repository.replace_evidence(session, rel.id, [e.model_dump() for e in data.evidence])
    await session.flush()
    out = await get_relation(session, rel.id)
    _record(session, "created", out)
    return out


async def update_relation(session: AsyncSession, relation_id: int, data: RelationUpdate) -> dict[str, Any]:
    rel = still_there(await repository.get_orm(session, relation_id), f"Relation {relation_id}")
    changes = data.model_dump(exclude_unset=True)
    mapping = {"source": "source_note"}
    for field, value in changes.items():
        if field == "evidence":
            continue
        if field == "type" and value is None:
            continue
        setattr(rel, mapping.get(field, field), value)
    if rel.valid_from and rel.valid_to and rel.valid_to <= rel.valid_from:
        raise Unprocessable("valid_to must be after valid_from.")
    if data.evidence is not None:
        await _check_articles(session, data.evidence)
        await repository.replace_evidence(session, relation_id, [e.model_dump() for e in data.evidence])
    await session.flush()
    out = await get_relation(session, relation_id)
    _record(session, "updated", out)
    return out


async def delete_relation(session: AsyncSession, relation_id: int) -> None:
    out = await get_relation(session, relation_id)
    await repository.delete_relation(session, relation_id)
    _record(session, "deleted", out)


async def render(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Relation rows with both ends and their evidence, in two queries for any number of rows."""
    actors = await actors_repo.briefs(
        session, [r["subject_id"] for r in rows] + [r["object_id"] for r in rows]
    )
    evidence = await repository.evidence_for(session, [r["id"] for r in rows])
    return [
        {
            "id": r["id"],
            "subject": actors[r["subject_id"]],
            "type": r["type"],
            "object": actors[r["object_id"]],
            "title": r["title"],
            "valid_from": r["valid_from"],
            "valid_to": r["valid_to"],
            "confidence": r["confidence"],
            "source": r["source_note"],
            "attributes": r["attributes"],
            "evidence": evidence[r["id"]],
        }
        for r in rows
    ]


def _record(session: AsyncSession, op: str, rel: dict[str, Any]) -> None:
    data = {
        "subject": rel["subject"]["slug"],
        "type": rel["type"],
        "object": rel["object"]["slug"],
        "title": rel["title"],
        "valid_from": rel["valid_from"],
        "valid_to": rel["valid_to"],
    }
    ends = [rel["subject"]["id"], rel["object"]["id"]]
    outbox.record(session, "relation", op, rel["id"], data, actor_ids=ends)
