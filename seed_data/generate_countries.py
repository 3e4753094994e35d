#!/usr/bin/env python3
"""Generate seed_data/countries.json: every ISO 3166-1 country from pycountry, merged with
the hand-curated seed_data/country_overrides.json (keyed by alpha-3).

Deterministic: countries sorted by slug, aliases sorted by kind then folded text, JSON written
with indent=1 and ensure_ascii=False, so re-running it reproduces the same file byte for byte.

Usage: python seed_data/generate_countries.py [--check]
  --check  exit 1 if countries.json on disk differs from what would be generated.

Override entry (all keys optional):
  name           common name when pycountry's is awkward ("North Korea")
  slug           explicit slug when slugifying the name is ugly
  official_name  replaces pycountry's official name (used in the description and as an alias)
  capitals       [{alias, kind: "metonym", ambiguous?, case_sensitive?}] capitals / seats of power
  aliases        [{alias, kind, ambiguous?, case_sensitive?}] extra names, abbreviations,
                 demonyms and metonyms
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import pycountry

HERE = Path(__file__).resolve().parent
OVERRIDES = HERE / "country_overrides.json"
OUTPUT = HERE / "countries.json"

ALIAS_KINDS = ("name", "abbreviation", "demonym", "metonym")
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Same normalisation as app.text.fold: accent-free, case-folded, single-spaced."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("\u2019", "'").replace("\u2018", "'")
    return _SPACES.sub(" ", stripped.casefold()).strip()


def slugify(text: str) -> str:
    """Same as app.text.slugify."""
    return _SLUG_STRIP.sub("-", fold(text).replace("'", "")).strip("-")[:200] or "actor"


def _strip_the(text: str) -> str:
    return text[4:] if text.startswith("the ") else text


def _alias(alias: str, kind: str, ambiguous: bool = False, case_sensitive: bool = False) -> dict:
    out: dict = {"alias": alias, "kind": kind}
    if ambiguous:
        out["ambiguous"] = True
    if case_sensitive:
        out["case_sensitive"] = True
    return out


def build_country(c, override: dict) -> dict:
    iso3 = c.alpha_3
    name = override.get("name") or getattr(c, "common_name", None) or c.name
    official = override.get("official_name") or getattr(c, "official_name", None)
    official = _strip_the(official) if official else None

    seen = {fold(name)}
    aliases: list[dict] = []

    def add(entry: dict, curated: bool) -> None:
        kind = entry.get("kind", "name")
        if kind not in ALIAS_KINDS:
            raise SystemExit(f"{iso3}: bad alias kind {kind!r}")
        key = fold(entry["alias"])
        if key in seen:
            if curated:
                raise SystemExit(f"{iso3}: duplicate alias {entry['alias']!r} (after folding)")
            return
        seen.add(key)
        aliases.append(
            _alias(entry["alias"], kind, bool(entry.get("ambiguous")), bool(entry.get("case_sensitive")))
        )

    # Curated entries first, so their flags win over the plain pycountry-derived names.
    for entry in override.get("capitals", []):
        add(entry, curated=True)
    for entry in override.get("aliases", []):
        add(entry, curated=True)
    # Names pycountry knows, skipping the inverted "Korea, Republic of" style ones.
    for candidate in (official, getattr(c, "common_name", None), c.name):
        if candidate and "," not in candidate and "(" not in candidate:
            add({"alias": candidate, "kind": "name"}, curated=False)

    order = {k: i for i, k in enumerate(ALIAS_KINDS)}
    aliases.sort(key=lambda a: (order[a["kind"]], fold(a["alias"]), a["alias"]))

    return {
        "kind": "country",
        "name": name,
        "slug": override.get("slug") or slugify(name),
        "country": iso3,
        "description": f"{official or c.name} (ISO 3166-1 {c.alpha_2}/{iso3})",
        "external_ids": {"iso2": c.alpha_2, "iso3": iso3, "iso_numeric": c.numeric},
        "aliases": aliases,
    }


def generate() -> str:
    overrides = json.loads(OVERRIDES.read_text(encoding="utf-8"))
    known = {c.alpha_3 for c in pycountry.countries}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise SystemExit(f"overrides for codes pycountry does not know: {unknown}")
    countries = [build_country(c, overrides.get(c.alpha_3, {})) for c in pycountry.countries]
    countries.sort(key=lambda d: d["slug"])
    slugs = [d["slug"] for d in countries]
    if len(slugs) != len(set(slugs)):
        raise SystemExit("duplicate country slugs")
    return json.dumps(countries, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({text.count(chr(10) + ' {')} countries)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
