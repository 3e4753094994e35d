"""GDELT actor blocks -> geonews actors.

Actor1 is the ``initiator`` and Actor2 the ``target``. Each resolves to our country actor through its CAMEO
country code (``codes`` maps CAMEO's region and non-ISO codes) and, when its name or CAMEO group code names a
person, organisation or alliance we know, to that actor as well. What the database knows about actors is
read once into an ``ActorIndex``, and each distinct actor block is resolved once, so nothing is queried per
row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ...text import fold
from . import repository
from .codes import KNOWN_GROUPS, cameo_region, cameo_to_iso3
from .columns import ACTOR_BLOCK, ACTOR_FIELDS, ACTOR_TYPES
from .names import name_key, readable_name
from .report import ImportReport

# (display name, raw fields kept in attributes, actor ids, CAMEO country code that found no actor)
Resolved = tuple[str, dict[str, Any], tuple[int, ...], str | None]


@dataclass
class ActorIndex:
    iso3: dict[str, int]  # ISO alpha-3 -> country actor
    names: dict[str, int]  # folded name or alias -> non-country actor
    codes: dict[str, int]  # CAMEO actor or group code -> actor
    actor_names: dict[int, str]
    country_forms: dict[int, set[str]]  # country actor -> its folded name, names and abbreviations

    @classmethod
    def load(cls, conn: Connection) -> ActorIndex:
        actors = repository.actors(conn)
        actor_names = {a.id: a.name for a in actors}
        kind = {a.id: a.kind for a in actors}
        iso3: dict[str, int] = {}
        for a in actors:
            if a.kind == "country" and a.country:
                iso3.setdefault(a.country.upper(), a.id)
        codes: dict[str, int] = {}
        by_slug = {a.slug: a.id for a in actors}
        for code, slug in KNOWN_GROUPS.items():
            if slug in by_slug:
                codes[code] = by_slug[slug]
        for scheme, value, actor_id in repository.external_ids(conn, ("iso3", "cameo")):
            if scheme == "iso3":
                iso3[value.upper()] = actor_id
            else:
                codes[value.upper()] = actor_id

        country_forms: dict[int, set[str]] = defaultdict(set)
        names: dict[str, int] = {}
        clashes: set[str] = set()

        def add(form: str, actor_id: int) -> None:
            if not form:
                return
            if form in names and names[form] != actor_id:
                clashes.add(form)
            names.setdefault(form, actor_id)

        # Countries are resolved by their CAMEO code, which is authoritative; names add the actors that
        # codes cannot name: people, organisations, alliances. Metonyms and demonyms ("Brussels",
        # "American") depend on context and are left out, and so are aliases marked ambiguous.
        for a in actors:
            if a.kind == "country":
                country_forms[a.id].add(fold(a.name))
            else:
                add(fold(a.name), a.id)
        for actor_id, norm, ambiguous in repository.aliases(conn, ("name", "abbreviation")):
            if kind.get(actor_id) == "country":
                country_forms[actor_id].add(norm)
            elif not ambiguous:
                add(norm, actor_id)
        for form in clashes:
            names.pop(form, None)
        return cls(iso3, names, codes, actor_names, dict(country_forms))


class ActorResolver:
    """Resolves actor blocks against an ``ActorIndex``, each distinct block once."""

    def __init__(self, index: ActorIndex, report: ImportReport) -> None:
        self.index = index
        self.report = report
        self._resolved: dict[tuple[str, ...], Resolved] = {}

    def resolve(
        self, cols: list[str], base: int, role: str, out: set[tuple[int, str]]
    ) -> tuple[str, dict[str, Any]]:
        """Resolve the actor block starting at column ``base``: adds (actor_id, role) pairs to ``out``;
        returns the display name and the raw fields kept in attributes."""
        block = tuple(cols[base : base + ACTOR_BLOCK])
        info = self._resolved.get(block)
        if info is None:
            info = self._resolved[block] = self._resolve(block)
        display, kept, actor_ids, unresolved = info
        out.update((actor_id, role) for actor_id in actor_ids)
        if unresolved:
            self.report.unresolved_countries[unresolved] += 1
        return display, kept

    def _resolve(self, block: tuple[str, ...]) -> Resolved:
        index = self.index
        raw = {k: block[i].strip() for i, k in enumerate(ACTOR_FIELDS)}
        types = [block[i].strip() for i in ACTOR_TYPES if block[i].strip()]
        kept: dict[str, Any] = {k: v for k, v in raw.items() if v}
        if types:
            kept["types"] = types
        gdelt_name = raw["name"]
        display = readable_name(gdelt_name) if gdelt_name else ""
        key = name_key(gdelt_name) if gdelt_name else ""
        actor_ids: list[int] = []
        unresolved = None

        country_code = raw["country"].upper()
        if country_code:
            region = cameo_region(country_code)
            iso3 = cameo_to_iso3(country_code)
            country_id = index.iso3.get(iso3) if iso3 else None
            if region:
                kept["region"] = region
            elif country_id is None:
                unresolved = country_code
            if country_id is not None:
                actor_ids.append(country_id)
                # "THE US", "UNITED STATES": name the country as we do
                if not gdelt_name or key in index.country_forms.get(country_id, ()):
                    display = index.actor_names[country_id]

        named = index.names.get(key) if key else None
        if named is None:
            for code in (raw["known_group"].upper(), raw["code"].upper()):
                if code and code in index.codes:
                    named = index.codes[code]
                    break
        if named is not None:
            actor_ids.append(named)
            display = index.actor_names[named]
        return display, kept, tuple(actor_ids), unresolved
