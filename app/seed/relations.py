"""Seed relations (relations.json): time-bounded ties between actors (membership, alliance, treaty, …) with
the articles that evidence them. A relation's natural key is (subject, type, object, valid_from, title)."""

from __future__ import annotations

from typing import Any

from ..models import Relation
from . import repository
from .context import SeedContext, assign, to_date


def load_relations(ctx: SeedContext, records: list[dict[str, Any]]) -> None:
    s, report = ctx.session, ctx.report
    existing = repository.relations_by_key(s)
    evidence = repository.evidence_by_relation(s)
    for rec in records:
        key = (
            ctx.actor(rec["subject"]),
            rec["type"],
            ctx.actor(rec["object"]),
            to_date(rec.get("valid_from")),
            rec.get("title"),
        )
        values = {
            "valid_to": to_date(rec.get("valid_to")),
            "confidence": float(rec.get("confidence", 1.0)),
            "source_note": rec.get("source"),
            "attributes": rec.get("attributes"),
        }
        rel = existing.get(key)
        if rel is None:
            rel = Relation(
                subject_id=key[0],
                type=key[1],
                object_id=key[2],
                valid_from=key[3],
                title=key[4],
                **values,
            )
            s.add(rel)
            s.flush()
            existing[key] = rel
            report.created["relations"] += 1
        elif assign(rel, values):
            report.updated["relations"] += 1
        wanted = {(ctx.article(e["article"]), e.get("quote")) for e in rec.get("evidence") or []}
        if wanted != evidence.get(rel.id, set()):
            repository.replace_evidence(s, rel.id, sorted(wanted, key=str))
            report.updated["evidence"] += 1
    s.flush()
