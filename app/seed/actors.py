"""Seed actors: countries (countries.json), alliances, organisations and people (actors.json), each with
its aliases and external ids (ISO codes, CAMEO codes, Wikidata). An actor's natural key is its slug."""

from __future__ import annotations

from typing import Any

from ..models import Actor
from ..text import fold
from . import repository
from .context import SeedContext, assign


def load_actors(ctx: SeedContext, records: list[dict[str, Any]]) -> None:
    s, report = ctx.session, ctx.report
    existing = repository.actors_by_slug(s)
    aliases = repository.alias_rows_by_actor(s)
    ext = repository.external_ids_by_actor(s)
    for rec in records:
        values = {
            "kind": rec["kind"],
            "name": rec["name"],
            "country": rec.get("country"),
            "description": rec.get("description"),
        }
        actor = existing.get(rec["slug"])
        if actor is None:
            actor = Actor(slug=rec["slug"], **values)
            s.add(actor)
            s.flush()
            report.created["actors"] += 1
        elif assign(actor, values):
            report.updated["actors"] += 1
        ctx.actor_ids[actor.slug] = actor.id
        wanted = alias_rows(rec)
        if {tuple(r.values()) for r in wanted} != aliases.get(actor.id, set()):
            repository.replace_aliases(s, actor.id, wanted)
            report.updated["aliases"] += 1
        wanted_ext = {k: str(v) for k, v in (rec.get("external_ids") or {}).items() if v}
        if wanted_ext != ext.get(actor.id, {}):
            repository.replace_external_ids(s, actor.id, wanted_ext)
            report.updated["external_ids"] += 1
    s.flush()


def alias_rows(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's aliases as rows (fields in repository.ALIAS_FIELDS order), without the ones that fold
    to its name or to an earlier alias. An alias is a string or an object with a kind and flags."""
    seen = {fold(rec["name"])}
    rows = []
    for item in rec.get("aliases") or []:
        item = {"alias": item} if isinstance(item, str) else item
        norm = fold(item["alias"])
        if not norm or norm in seen:
            continue
        seen.add(norm)
        rows.append(
            {
                "alias": item["alias"],
                "normalized": norm,
                "kind": item.get("kind", "name"),
                "ambiguous": bool(item.get("ambiguous", False)),
                "case_sensitive": bool(item.get("case_sensitive", False)),
            }
        )
    return rows
