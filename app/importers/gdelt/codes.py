"""Country codes in GDELT 2.0: CAMEO actor country codes and FIPS 10-4 location codes -> ISO 3166-1 alpha-3.

GDELT uses two different code systems in one row, and neither is quite ISO:

- ``Actor1CountryCode``/``Actor2CountryCode`` are CAMEO country codes. Most are ISO alpha-3, but CAMEO also
  codes regions and blocs (``EUR`` Europe, ``WST`` "the West", ``SEA`` Southeast Asia, ...), which must never
  be taken for a country, and a few places with codes of their own (``WSB`` West Bank, ``GZS`` Gaza Strip,
  ``BAG`` Baghdad) or older ISO codes (``ROM``, ``TMP``, ``ZAR``, ``YUG``). Note that ``CAF`` is the Central
  African Republic in CAMEO as in ISO; CAMEO's code for the Central Africa region is ``CFR``.
- ``ActionGeo_CountryCode`` (and the actors' ``*Geo_CountryCode``) are FIPS 10-4 codes, two letters that
  often collide with a *different* country's ISO alpha-2 code (FIPS ``GM`` is Germany, ISO ``GM`` is the
  Gambia; FIPS ``RS`` is Russia, ISO ``RS`` is Serbia). ``FIPS_TO_ISO3`` maps every FIPS 10-4 country code;
  dependencies without an ISO code of their own map to the ISO code that covers them (the US minor outlying
  islands to ``UMI``, the French Scattered Islands to ``ATF``), disputed islands and "Oceans" to nothing.

The FIPS table (``data/fips-10-4.tsv``) was built from the GeoNames country table (its ``fips`` column)
plus the FIPS entities GeoNames leaves out; ``KV`` (Kosovo) maps to the widely used user-assigned ``XKX``,
and ``YI`` and ``NT`` to the withdrawn ISO codes of Serbia and Montenegro (``SCG``) and the Netherlands
Antilles (``ANT``).

``KNOWN_GROUPS`` maps CAMEO's codes of international organisations and alliances to our actors' slugs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

# CAMEO region and bloc codes (CAMEO.country.txt), plus BAL used by some CAMEO dictionaries.
CAMEO_REGIONS: Final[dict[str, str]] = {
    "AFR": "Africa",
    "ASA": "Asia",
    "BAL": "Baltic states",
    "BLK": "Balkans",
    "CAS": "Central Asia",
    "CAU": "Caucasus",
    "CEU": "Central Europe",
    "CFR": "Central Africa",
    "CRB": "Caribbean",
    "EAF": "Eastern Africa",
    "EEU": "Eastern Europe",
    "EIN": "East Indies",
    "EUR": "Europe",
    "LAM": "Latin America",
    "MDT": "Mediterranean",
    "MEA": "Middle East",
    "NAF": "North Africa",
    "NMR": "North America",
    "PGS": "Persian Gulf",
    "SAF": "Southern Africa",
    "SAM": "South America",
    "SAS": "South Asia",
    "SCN": "Scandinavia",
    "SEA": "Southeast Asia",
    "WAF": "West Africa",
    "WST": "The West",
}

# CAMEO country codes that are not the ISO alpha-3 code of the same place.
CAMEO_NONSTANDARD: Final[dict[str, str]] = {
    "WSB": "PSE",  # West Bank
    "GZS": "PSE",  # Gaza Strip
    "BAG": "IRQ",  # Baghdad
    "ROM": "ROU",  # Romania (pre-2002 ISO code)
    "TMP": "TLS",  # East Timor (pre-2002 ISO code)
    "ZAR": "COD",  # Zaire
    "YUG": "SRB",  # Yugoslavia
    "SCG": "SRB",  # Serbia and Montenegro
    "KSV": "XKX",  # Kosovo
    "KOS": "XKX",  # Kosovo
}

# CAMEO codes of international organisations and alliances -> the slug of the actor they denote (used only
# when such an actor exists). An actor's external id with scheme "cameo" adds to or overrides this.
KNOWN_GROUPS: Final[dict[str, str]] = {
    "NAT": "nato",
    "EEC": "eu",
    "ASN": "asean",
    "UNO": "united-nations",
    "IMF": "imf",
    "WBK": "world-bank",
    "OPC": "opec",
    "GCC": "gcc",
    "OAS": "oas",
}

FIPS_FILE = Path(__file__).resolve().parent / "data" / "fips-10-4.tsv"


def _read_fips(path: Path) -> dict[str, str | None]:
    """The FIPS table, tab-separated with a header: FIPS 10-4 code, ISO 3166-1 alpha-3 ("-": no country),
    name."""
    out: dict[str, str | None] = {}
    with path.open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            fips, iso3, _name = line.rstrip("\n").split("\t")
            out[fips] = None if iso3 == "-" else iso3
    return out


FIPS_TO_ISO3: Final[dict[str, str | None]] = _read_fips(FIPS_FILE)


def fips_to_iso3(code: str) -> str | None:
    """ISO alpha-3 for a FIPS 10-4 country code; None when blank, unknown or not a country."""
    return FIPS_TO_ISO3.get(code.strip().upper()) if code else None


def is_known_fips(code: str) -> bool:
    return code.strip().upper() in FIPS_TO_ISO3


def cameo_region(code: str) -> str | None:
    """The region's name when a CAMEO country code denotes a region or bloc rather than a country."""
    return CAMEO_REGIONS.get(code.strip().upper()) if code else None


def cameo_to_iso3(code: str) -> str | None:
    """ISO alpha-3 for a CAMEO country code; None for blanks, regions and anything that is not 3 letters."""
    code = code.strip().upper() if code else ""
    if len(code) != 3 or not code.isalpha() or code in CAMEO_REGIONS:
        return None
    return CAMEO_NONSTANDARD.get(code, code)
