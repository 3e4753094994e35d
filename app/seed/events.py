"""Seed event types (the CAMEO table, cameo-event-codes.tsv) and events (events.json): curated events with
their parent, participants and articles. A seeded event's natural key is its key, stored as its
external_id with source "seed"."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..models import Event, EventType
from . import repository
from .context import SEED_SOURCE, SeedContext, assign, to_date

# CAMEO root code -> quad class: 1 verbal cooperation, 2 material cooperation, 3 verbal conflict,
# 4 material conflict.
QUAD_CLASS = {**dict.fromkeys(range(1, 6), 1), **dict.fromkeys(range(6, 10), 2)}
QUAD_CLASS.update({**dict.fromkeys(range(10, 15), 3), **dict.fromkeys(range(15, 21), 4)})


def cameo_types(path: Path) -> list[dict[str, Any]]:
    """The CAMEO table as event types: code, name, root, parent, quad class, Goldstein score."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        for rec in reader:
            if len(rec) < 2 or not rec[0].strip().isdigit():
                continue
            code = rec[0].strip()
            name = rec[1].strip()
            name = name.capitalize() if name.isupper() else name
            gold = float(rec[2]) if len(rec) > 2 and rec[2].strip() else None
            parent = None if len(code) == 2 else (code[:2] if len(code) == 3 else code[:3])
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "root_code": code[:2],
                    "parent_code": parent,
                    "quad_class": QUAD_CLASS.get(int(code[:2])),
                    "goldstein": gold,
                }
            )
    return rows


def load_event_types(ctx: SeedContext, path: Path) -> None:
    if not path.exists():
        return
    s, report = ctx.session, ctx.report
    existing = repository.event_types_by_code(s)
    for row in cameo_types(path):
        current = existing.get(row["code"])
        if current is None:
            s.add(EventType(**row))
            report.created["event_types"] += 1
        elif assign(current, row):
            report.updated["event_types"] += 1
    s.flush()


def parents_first(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records ordered so that every event comes after its parent."""
    pending = list(records)
    ordered: list[dict[str, Any]] = []
    keys: set[str] = set()
    while pending:
        progressed = False
        for rec in list(pending):
            if not rec.get("parent") or rec["parent"] in keys:
                ordered.append(rec)
                keys.add(rec["key"])
                pending.remove(rec)
                progressed = True
        if not progressed:
            raise ValueError(f"seed events with unknown parents: {[r['key'] for r in pending]}")
    return ordered


def load_events(ctx: SeedContext, records: list[dict[str, Any]]) -> None:
    s, report = ctx.session, ctx.report
    existing = repository.events_by_external_id(s, SEED_SOURCE)
    for rec in parents_first(records):
        loc = rec.get("location") or {}
        values = {
            "type_code": rec["type"],
            "title": rec["title"],
            "description": rec.get("description"),
            "start_date": to_date(rec["start_date"]),
            "end_date": to_date(rec.get("end_date")),
            "location_name": loc.get("name"),
            "location_country": loc.get("country"),
            "lat": loc.get("lat"),
            "lon": loc.get("lon"),
            "status": rec.get("status", "reported"),
            "parent_id": ctx.event_ids[rec["parent"]] if rec.get("parent") else None,
            "attributes": rec.get("attributes"),
        }
        event = existing.get(rec["key"])
        if event is None:
            event = Event(source=SEED_SOURCE, external_id=rec["key"], **values)
            s.add(event)
            s.flush()
            report.created["events"] += 1
        elif assign(event, values):
            report.updated["events"] += 1
        ctx.event_ids[rec["key"]] = event.id
        wanted_p = {
            (ctx.actor(p["actor"]), p.get("role", "participant")) for p in rec.get("participants", [])
        }
        if wanted_p != repository.participants_of(s, event.id):
            repository.replace_participants(s, event.id, wanted_p)
            report.updated["participants"] += 1
        wanted_a = {ctx.article(k) for k in rec.get("articles", [])}
        if wanted_a != repository.article_ids_of_event(s, event.id):
            repository.replace_articles(s, event.id, wanted_a)
            report.updated["event_articles"] += 1
    s.flush()
