"""Rules for relations: both ends must exist, evidence must point at stored articles, dates must be ordered."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..actors import repository as actors_repo
from ..articles import repository as articles_repo
from ..errors import Unprocessable
from ..models import Relation
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


async def create(session: AsyncSession, data: RelationCreate) -> int:
    found = await actors_repo.resolve_refs(session, [data.subject, data.object])
    errors = [
        {"loc": ["body", field], "msg": f"unknown actor {ref!r}"}
        for field, ref in (("subject", data.subject), ("object", data.object))
        if str(ref) not in found
    ]
    if errors:
        raise Unprocessable("Unknown actor.", errors=errors)
    await _check_articles(session, data.evidence)
    rel = Relation(
        subject_id=found[str(data.subject)],
        type=data.type,
        object_id=found[str(data.object)],
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
    return rel.id


async def update(session: AsyncSession, relation_id: int, data: RelationUpdate) -> None:
    rel = await repository.get_orm(session, relation_id)
    assert rel is not None
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
