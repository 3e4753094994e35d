#!/usr/bin/env python3
"""Validate the curated seed files in this folder (stdlib only).

Checks that every referenced slug / key exists, slugs and keys are unique, dates parse and
intervals are well ordered, mention offsets and evidence quotes match the article body, alias
kinds, stances, statuses and relation types are valid, and each object has exactly the keys the
loader expects. For linking: a name or alias shared by several actors must be flagged ambiguous on
every one of them (or be listed in app/ingestion/ambiguous_names.json), and that file's seats of
government, case-sensitive names and non-actor names must agree with the actors. For the graph:
offices are held by persons, memberships point at organisations or alliances. Prints every problem
and exits 1 if there is any; prints a summary otherwise.

Usage: python seed_data/validate.py [SEED_DIR]
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

ACTOR_KINDS = {"country", "person", "organization", "alliance", "government_body", "armed_group", "media"}
ALIAS_KINDS = {"name", "abbreviation", "metonym", "demonym"}
RELATION_TYPES = {
    "member_of",
    "holds_position",
    "leader_of",
    "allied_with",
    "treaty_with",
    "supports",
    "opposes",
    "part_of",
    "located_in",
    "spokesperson_for",
    "partner_of",
}
STANCES = {"asserts", "denies", "suggests", "doubts"}
EVENT_STATUSES = {"reported", "confirmed", "disputed", "denied"}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ISO3_RE = re.compile(r"^[A-Z]{3}$")
EXT_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CAMEO_RE = re.compile(r"^\d{2,4}$")

ACTOR_KEYS = {"kind", "name", "slug", "country", "description", "external_ids", "aliases"}
ALIAS_KEYS = {"alias", "kind", "ambiguous", "case_sensitive"}
RELATION_KEYS = {
    "subject",
    "type",
    "object",
    "title",
    "valid_from",
    "valid_to",
    "confidence",
    "source",
    "attributes",
    "evidence",
}
ARTICLE_KEYS = {"key", "url", "title", "body", "summary", "source", "language", "published_at", "mentions"}
ARTICLE_OPTIONAL = {"note", "tags"}
EVENT_KEYS = {
    "key",
    "type",
    "title",
    "description",
    "start_date",
    "end_date",
    "location",
    "status",
    "parent",
    "participants",
    "articles",
}
CLAIM_KEYS = {"speaker", "text", "stance", "about", "event", "article", "said_on", "proposition"}
PROPOSITION_KEYS = {"key", "text", "description"}

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Same normalisation as app.text.fold (aliases are unique per actor in this form)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("\u2019", "'").replace("\u2018", "'")
    return _SPACES.sub(" ", stripped.casefold()).strip()


class Checker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def err(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")

    def warn(self, where: str, msg: str) -> None:
        self.warnings.append(f"{where}: {msg}")

    def load(self, name: str) -> list:
        path = self.folder / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.err(name, f"cannot load: {exc}")
            return []
        if not isinstance(data, list):
            self.err(name, "top level must be a JSON list")
            return []
        return data

    def keys(self, where: str, obj: object, required: set[str], optional: set[str] = frozenset()) -> bool:
        if not isinstance(obj, dict):
            self.err(where, "must be an object")
            return False
        missing = required - obj.keys()
        extra = obj.keys() - required - optional
        if missing:
            self.err(where, f"missing keys {sorted(missing)}")
        if extra:
            self.err(where, f"unexpected keys {sorted(extra)}")
        return not missing

    def day(self, where: str, value: object, nullable: bool = True) -> date | None:
        if value is None:
            if not nullable:
                self.err(where, "date is required")
            return None
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            self.err(where, f"bad date {value!r} (want YYYY-MM-DD)")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.err(where, f"impossible date {value!r}")
            return None


def check_actors(ck: Checker, countries: list, actors: list) -> dict[str, dict]:
    by_slug: dict[str, dict] = {}
    ext_seen: dict[tuple[str, str], str] = {}
    iso3s: set[str] = set()
    for name, items, country_file in (("countries.json", countries, True), ("actors.json", actors, False)):
        for i, a in enumerate(items):
            where = f"{name}[{i}]"
            if not ck.keys(where, a, ACTOR_KEYS):
                continue
            slug = a["slug"]
            where = f"{name}:{slug}"
            if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 200:
                ck.err(where, "bad slug")
            if slug in by_slug:
                ck.err(where, "duplicate slug")
            by_slug[slug] = a
            if a["kind"] not in ACTOR_KINDS:
                ck.err(where, f"bad kind {a['kind']!r}")
            if country_file and a["kind"] != "country":
                ck.err(where, "countries.json may only hold kind 'country'")
            if not country_file and a["kind"] == "country":
                ck.err(where, "countries belong in countries.json")
            if not isinstance(a["name"], str) or not a["name"].strip():
                ck.err(where, "empty name")
            iso3 = a["country"]
            if iso3 is not None and (not isinstance(iso3, str) or not ISO3_RE.match(iso3)):
                ck.err(where, f"bad country {iso3!r}")
            if a["kind"] == "country":
                iso3s.add(a["country"])
                if a["external_ids"].get("iso3") != a["country"]:
                    ck.err(where, "external_ids.iso3 must equal country")
            ext = a["external_ids"]
            if not isinstance(ext, dict):
                ck.err(where, "external_ids must be an object")
                ext = {}
            for k, v in ext.items():
                if not EXT_KEY_RE.match(k) or not isinstance(v, str) or not v:
                    ck.err(where, f"bad external id {k}={v!r}")
                elif (k, v) in ext_seen:
                    ck.err(where, f"external id {k}={v} also used by {ext_seen[(k, v)]}")
                else:
                    ext_seen[(k, v)] = slug
            if "wikidata" in ext and not re.fullmatch(r"Q\d+", ext["wikidata"]):
                ck.err(where, f"bad wikidata id {ext['wikidata']!r}")
            seen = {fold(a["name"]): "the actor's name"}
            if not isinstance(a["aliases"], list):
                ck.err(where, "aliases must be a list")
                continue
            for al in a["aliases"]:
                if not ck.keys(f"{where} alias", al, {"alias", "kind"}, ALIAS_KEYS - {"alias", "kind"}):
                    continue
                text = al["alias"]
                if not isinstance(text, str) or not text.strip() or text != text.strip():
                    ck.err(where, f"bad alias {text!r}")
                    continue
                if al["kind"] not in ALIAS_KINDS:
                    ck.err(where, f"alias {text!r}: bad kind {al['kind']!r}")
                for flag in ("ambiguous", "case_sensitive"):
                    if flag in al and not isinstance(al[flag], bool):
                        ck.err(where, f"alias {text!r}: {flag} must be a boolean")
                key = fold(text)
                if key in seen:
                    ck.err(where, f"alias {text!r} collides with {seen[key]} after folding")
                seen[key] = repr(text)
    for slug, a in by_slug.items():
        if a["kind"] != "country" and a["country"] is not None and a["country"] not in iso3s:
            ck.err(f"actors.json:{slug}", f"country {a['country']} is not in countries.json")
    if len(countries) < 240:
        ck.err("countries.json", f"only {len(countries)} countries; expected all of ISO 3166-1")
    return by_slug


def linker_lists(folder: Path) -> dict | None:
    """app/ingestion/ambiguous_names.json beside this seed folder (None when the app is not there)."""
    for candidate in (folder.parent / "app" / "ingestion" / "ambiguous_names.json",):
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    return None


def check_surfaces(ck: Checker, actors: dict[str, dict], lists: dict | None) -> int:
    """Names and aliases shared by several actors would make linking ambiguous: each use must be flagged.

    Returns the number of distinct surfaces (after folding)."""
    ambiguous_names = set(lists.get("names", [])) if lists else set()
    uses: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)  # folded -> (slug, surface, flagged)
    metonyms: set[str] = set()
    for slug, a in actors.items():
        if not isinstance(a.get("aliases"), list) or not isinstance(a.get("name"), str):
            continue
        uses[fold(a["name"])].append((slug, a["name"], a["name"] in ambiguous_names))
        for al in a["aliases"]:
            if isinstance(al, dict) and isinstance(al.get("alias"), str):
                uses[fold(al["alias"])].append((slug, al["alias"], bool(al.get("ambiguous"))))
                if al.get("kind") == "metonym":
                    metonyms.add(fold(al["alias"]))
    for key, users in uses.items():
        if len({slug for slug, _, _ in users}) < 2:
            continue
        unflagged = [f"{slug} ({surface!r})" for slug, surface, flagged in users if not flagged]
        if unflagged:
            others = ", ".join(sorted({slug for slug, _, _ in users}))
            ck.err(
                "aliases", f"{key!r} is used by {others} but not flagged ambiguous on {', '.join(unflagged)}"
            )
    if lists:
        for seat in lists.get("seats_of_power", []):
            if fold(seat) not in metonyms:
                ck.err("ambiguous_names.json", f"seat of power {seat!r} is not a metonym of any actor")
        names = {fold(a["name"]) for a in actors.values() if isinstance(a.get("name"), str)}
        for name in lists.get("case_sensitive_names", []):
            if fold(name) not in names:
                ck.err("ambiguous_names.json", f"case-sensitive name {name!r} is no actor's name")
        for name in lists.get("not_actors", []):
            if fold(name) in uses:
                ck.err("ambiguous_names.json", f"non-actor name {name!r} is an actor's name or alias")
        for name in lists.get("names", []):
            if fold(name) not in names:
                ck.warn("ambiguous_names.json", f"ambiguous name {name!r} is no actor's name")
    return len(uses)


def check_articles(ck: Checker, articles: list, actors: dict) -> dict[str, dict]:
    by_key: dict[str, dict] = {}
    for i, a in enumerate(articles):
        where = f"articles.json[{i}]"
        if not ck.keys(where, a, ARTICLE_KEYS, ARTICLE_OPTIONAL):
            continue
        where = f"articles.json:{a['key']}"
        if a["key"] in by_key:
            ck.err(where, "duplicate key")
        by_key[a["key"]] = a
        body = a["body"]
        if not isinstance(body, str) or not body:
            ck.err(where, "empty body")
            continue
        if "\r" in body or "\n\n\n" in body or body != body.strip():
            ck.err(where, "body should be trimmed, \\n line endings, paragraphs separated by one blank line")
        for junk in ("spot_img", "Get in Touch", "Latest Posts"):
            if junk in body:
                ck.err(where, f"body still contains site chrome {junk!r}")
        try:
            datetime.fromisoformat(a["published_at"].replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            ck.err(where, f"bad published_at {a['published_at']!r}")
        if not str(a["url"]).startswith(("http://", "https://")):
            ck.err(where, "url must be http(s)")
        last_end = -1
        for m in a["mentions"]:
            if not ck.keys(f"{where} mention", m, {"actor", "start", "end", "text"}):
                continue
            s, e = m["start"], m["end"]
            if m["actor"] not in actors:
                ck.err(where, f"mention of unknown actor {m['actor']!r}")
            if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(body)):
                ck.err(where, f"bad offsets {s}-{e}")
                continue
            if body[s:e] != m["text"]:
                ck.err(where, f"body[{s}:{e}] is {body[s:e]!r}, not {m['text']!r}")
            if s < last_end:
                ck.err(where, f"mention at {s} overlaps or is out of order")
            last_end = e
    return by_key


def check_relations(ck: Checker, relations: list, actors: dict, articles: dict) -> Counter:
    types: Counter = Counter()
    periods: dict[tuple, list[tuple[date | None, date | None, int]]] = defaultdict(list)
    for i, r in enumerate(relations):
        where = f"relations.json[{i}]"
        if not ck.keys(where, r, RELATION_KEYS):
            continue
        where = f"relations.json[{i}] {r['subject']} {r['type']} {r['object']}"
        for side in ("subject", "object"):
            if r[side] not in actors:
                ck.err(where, f"unknown {side} {r[side]!r}")
        if r["subject"] == r["object"]:
            ck.err(where, "subject equals object")
        if r["type"] not in RELATION_TYPES:
            ck.err(where, f"bad type {r['type']!r}")
        types[r["type"]] += 1
        if r["title"] is not None and (not isinstance(r["title"], str) or not r["title"]):
            ck.err(where, "title must be null or a non-empty string")
        if r["type"] in ("holds_position", "leader_of") and not r["title"]:
            ck.err(where, f"{r['type']} needs a title")
        subject, obj = actors.get(r["subject"]), actors.get(r["object"])
        if r["type"] in ("holds_position", "leader_of") and subject and subject.get("kind") != "person":
            ck.err(where, f"{r['type']} must be held by a person, not by a {subject.get('kind')!r} actor")
        if r["type"] == "member_of" and obj and obj.get("kind") not in ("organization", "alliance"):
            ck.err(
                where,
                f"member_of must point at an organization or alliance, not at a {obj.get('kind')!r} actor",
            )
        f = ck.day(where, r["valid_from"])
        t = ck.day(where, r["valid_to"])
        if f and t and not f < t:
            ck.err(where, "valid_from must be before valid_to (valid_to is exclusive)")
        if not isinstance(r["confidence"], (int, float)) or not 0 < r["confidence"] <= 1:
            ck.err(where, "confidence must be in (0, 1]")
        if not isinstance(r["source"], str) or not r["source"].strip():
            ck.err(where, "source is required")
        if not isinstance(r["attributes"], dict):
            ck.err(where, "attributes must be an object")
        for ev in r["evidence"]:
            if not ck.keys(f"{where} evidence", ev, {"article", "quote"}):
                continue
            art = articles.get(ev["article"])
            if art is None:
                ck.err(where, f"evidence from unknown article {ev['article']!r}")
            elif ev["quote"] is not None and ev["quote"] not in art["body"]:
                ck.err(where, f"quote not in article body: {ev['quote']!r}")
        periods[(r["subject"], r["type"], r["object"], r["title"])].append((f, t, i))
    for key, spans in periods.items():
        spans.sort(key=lambda s: s[0] or date.min)
        for (_f1, t1, i1), (f2, _t2, i2) in zip(spans, spans[1:], strict=False):
            if t1 is None or f2 is None or f2 < t1:
                ck.err(f"relations.json[{i1}] and [{i2}]", f"overlapping periods for {key}")
    return types


def cameo_codes(folder: Path) -> set[str] | None:
    for candidate in (
        folder / "cameo-event-codes.tsv",
        folder.parent.parent / "shared" / "data" / "gdelt" / "cameo-event-codes.tsv",
        folder.parent / "shared" / "data" / "gdelt" / "cameo-event-codes.tsv",
        Path("/work/shared/data/gdelt/cameo-event-codes.tsv"),
    ):
        if candidate.is_file():
            codes = set()
            for line in candidate.read_text(encoding="utf-8").splitlines()[1:]:
                code = line.split("\t", 1)[0].strip()
                if code:
                    codes.add(code)
            return codes
    return None


def check_events(ck: Checker, events: list, actors: dict, articles: dict, iso3s: set[str]) -> dict[str, dict]:
    codes = cameo_codes(ck.folder)
    by_key: dict[str, dict] = {}
    for i, e in enumerate(events):
        if not ck.keys(f"events.json[{i}]", e, EVENT_KEYS):
            continue
        where = f"events.json:{e['key']}"
        if e["key"] in by_key:
            ck.err(where, "duplicate key")
        by_key[e["key"]] = e
        if not isinstance(e["type"], str) or not CAMEO_RE.match(e["type"]):
            ck.err(where, f"type {e['type']!r} is not a CAMEO code")
        elif codes is not None and e["type"] not in codes:
            ck.err(where, f"type {e['type']!r} is not in the CAMEO table")
        s = ck.day(where, e["start_date"], nullable=False)
        t = ck.day(where, e["end_date"])
        if s and t and t < s:
            ck.err(where, "end_date before start_date")
        if e["status"] not in EVENT_STATUSES:
            ck.err(where, f"bad status {e['status']!r}")
        loc = e["location"]
        if loc is not None and ck.keys(f"{where} location", loc, {"name", "country"}, {"lat", "lon"}):
            if loc["country"] not in iso3s:
                ck.err(where, f"location country {loc['country']!r} unknown")
            lat, lon = loc.get("lat"), loc.get("lon")
            if lat is not None and not -90 <= lat <= 90 or lon is not None and not -180 <= lon <= 180:
                ck.err(where, "lat/lon out of range")
        roles = set()
        for p in e["participants"]:
            if not ck.keys(f"{where} participant", p, {"actor", "role"}):
                continue
            if p["actor"] not in actors:
                ck.err(where, f"unknown participant {p['actor']!r}")
            if not isinstance(p["role"], str) or not p["role"] or len(p["role"]) > 32:
                ck.err(where, f"bad role {p['role']!r}")
            if (p["actor"], p["role"]) in roles:
                ck.err(where, f"duplicate participant {p['actor']} as {p['role']}")
            roles.add((p["actor"], p["role"]))
        for art in e["articles"]:
            if art not in articles:
                ck.err(where, f"unknown article {art!r}")
    for key, e in by_key.items():
        seen, cur = {key}, e.get("parent")
        while cur is not None:
            if cur not in by_key:
                ck.err(f"events.json:{key}", f"unknown parent {cur!r}")
                break
            if cur in seen:
                ck.err(f"events.json:{key}", "parent cycle")
                break
            seen.add(cur)
            cur = by_key[cur].get("parent")
    return by_key


def check_claims(
    ck: Checker, claims: list, propositions: list, actors: dict, articles: dict, events: dict
) -> None:
    props: set[str] = set()
    for i, p in enumerate(propositions):
        if not ck.keys(f"propositions.json[{i}]", p, PROPOSITION_KEYS):
            continue
        if not SLUG_RE.match(p["key"]):
            ck.err(f"propositions.json[{i}]", f"bad key {p['key']!r}")
        if p["key"] in props:
            ck.err(f"propositions.json[{i}]", f"duplicate key {p['key']!r}")
        props.add(p["key"])
    used = set()
    for i, c in enumerate(claims):
        where = f"claims.json[{i}]"
        if not ck.keys(where, c, CLAIM_KEYS):
            continue
        if c["speaker"] not in actors:
            ck.err(where, f"unknown speaker {c['speaker']!r}")
        if c["stance"] not in STANCES:
            ck.err(where, f"bad stance {c['stance']!r}")
        for a in c["about"]:
            if a not in actors:
                ck.err(where, f"unknown actor in about: {a!r}")
        if c["event"] is not None and c["event"] not in events:
            ck.err(where, f"unknown event {c['event']!r}")
        art = articles.get(c["article"])
        if art is None:
            ck.err(where, f"unknown article {c['article']!r}")
        elif c["text"] not in art["body"]:
            ck.warn(where, "text is a paraphrase, not an exact substring of the body")
        ck.day(where, c["said_on"])
        if c["proposition"] is not None:
            if c["proposition"] not in props:
                ck.err(where, f"unknown proposition {c['proposition']!r}")
            used.add(c["proposition"])
    for p in sorted(props - used):
        ck.warn("propositions.json", f"no claim refers to {p!r}")


def main(argv: list[str]) -> int:
    folder = Path(argv[0]).resolve() if argv else Path(__file__).resolve().parent
    ck = Checker(folder)
    countries = ck.load("countries.json")
    actors_list = ck.load("actors.json")
    actors = check_actors(ck, countries, actors_list)
    surfaces = check_surfaces(ck, actors, linker_lists(folder))
    iso3s = {a["country"] for a in countries if isinstance(a, dict)}
    articles = check_articles(ck, ck.load("articles.json"), actors)
    relations = ck.load("relations.json")
    types = check_relations(ck, relations, actors, articles)
    events = check_events(ck, ck.load("events.json"), actors, articles, iso3s)
    claims = ck.load("claims.json")
    check_claims(ck, claims, ck.load("propositions.json"), actors, articles, events)

    for w in ck.warnings:
        print(f"warning: {w}")
    if ck.errors:
        for e in ck.errors:
            print(f"error: {e}")
        print(f"{len(ck.errors)} error(s)")
        return 1
    mentions = sum(len(a["mentions"]) for a in articles.values())
    print(
        f"ok: {len(countries)} countries, {len(actors_list)} actors ({surfaces} distinct names and aliases), "
        f"{len(relations)} relations "
        f"({', '.join(f'{k} {v}' for k, v in sorted(types.items()))}), {len(articles)} article(s) with "
        f"{mentions} mentions, {len(events)} events, {len(claims)} claims"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
