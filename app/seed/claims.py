"""Seed propositions (propositions.json, keyed by their key) and claims (claims.json): who said what in
which article, with a stance on a proposition and the actors it is about. A claim's natural key is
(speaker, article, text)."""

from __future__ import annotations

from typing import Any

from ..models import Claim, Proposition
from . import repository
from .context import SeedContext, assign, to_date


def load_propositions(ctx: SeedContext, records: list[dict[str, Any]]) -> None:
    s, report = ctx.session, ctx.report
    existing = repository.propositions_by_key(s)
    for rec in records:
        values = {"text": rec["text"], "description": rec.get("description")}
        prop = existing.get(rec["key"])
        if prop is None:
            prop = Proposition(key=rec["key"], **values)
            s.add(prop)
            s.flush()
            report.created["propositions"] += 1
        elif assign(prop, values):
            report.updated["propositions"] += 1
        ctx.proposition_ids[rec["key"]] = prop.id
    s.flush()


def load_claims(ctx: SeedContext, records: list[dict[str, Any]]) -> None:
    s, report = ctx.session, ctx.report
    existing = repository.claims_by_key(s)
    about = repository.about_by_claim(s)
    for rec in records:
        key = (ctx.actor(rec["speaker"]), ctx.article(rec["article"]), rec["text"])
        values = {
            "stance": rec["stance"],
            "event_id": ctx.event_ids[rec["event"]] if rec.get("event") else None,
            "said_on": to_date(rec.get("said_on")),
            "proposition_id": ctx.proposition_ids[rec["proposition"]] if rec.get("proposition") else None,
        }
        claim = existing.get(key)
        if claim is None:
            claim = Claim(speaker_id=key[0], article_id=key[1], text=key[2], **values)
            s.add(claim)
            s.flush()
            existing[key] = claim
            report.created["claims"] += 1
        elif assign(claim, values):
            report.updated["claims"] += 1
        wanted = {ctx.actor(a) for a in rec.get("about", [])}
        if wanted != about.get(claim.id, set()):
            repository.replace_about(s, claim.id, wanted)
            report.updated["claim_about"] += 1
    s.flush()
