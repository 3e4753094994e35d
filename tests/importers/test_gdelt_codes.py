"""The code tables the GDELT importer ships, checked against every code the sample uses."""

from __future__ import annotations

import json

import pycountry

from app.importers.gdelt import readable_name, title_from_url
from app.importers.gdelt.codes import (
    CAMEO_NONSTANDARD,
    CAMEO_REGIONS,
    FIPS_TO_ISO3,
    cameo_region,
    cameo_to_iso3,
    fips_to_iso3,
)
from app.seed.loader import SEED_DIR

from .conftest import A1_COUNTRY, A2_COUNTRY, GEO_COUNTRY

ISO3 = {c.alpha_3 for c in pycountry.countries}
# Codes outside ISO 3166-1 that the table maps to on purpose (see app/importers/gdelt/codes.py).
NOT_ISO = {"XKX", "SCG", "ANT"}


def test_every_fips_code_in_the_sample_maps_to_an_iso_country(export_rows):
    geo_columns = (37, 45, GEO_COUNTRY)  # Actor1Geo, Actor2Geo, ActionGeo country codes
    used = {r[c] for r in export_rows for c in geo_columns if r[c]}
    assert used
    unknown = used - set(FIPS_TO_ISO3)
    assert not unknown
    assert all(fips_to_iso3(code) in ISO3 | NOT_ISO for code in used)


def test_fips_table_is_complete_and_iso(export_rows):
    mapped = {v for v in FIPS_TO_ISO3.values() if v}
    assert mapped - ISO3 <= NOT_ISO
    # Every ISO country has a FIPS code, except the two that FIPS 10-4 files under another country.
    assert ISO3 - mapped <= {"ALA", "BES"}
    assert all(len(code) == 2 and code.isupper() for code in FIPS_TO_ISO3)


def test_every_cameo_country_code_in_the_sample_is_a_region_or_a_seeded_country(export_rows):
    seeded = {c["country"] for c in json.loads((SEED_DIR / "countries.json").read_text(encoding="utf-8"))}
    used = {r[c] for r in export_rows for c in (A1_COUNTRY, A2_COUNTRY) if r[c]}
    regions = {code for code in used if cameo_region(code)}
    assert regions  # the sample has region codes (EUR, AFR, WST, …): they must not pass for countries
    assert all(cameo_to_iso3(code) is None for code in regions)
    countries = used - regions
    assert {cameo_to_iso3(code) for code in countries} <= seeded


def test_region_codes_never_shadow_iso_codes():
    assert not set(CAMEO_REGIONS) & ISO3
    assert set(CAMEO_NONSTANDARD.values()) <= ISO3 | NOT_ISO
    assert cameo_to_iso3("ROM") == "ROU" and cameo_to_iso3("CAF") == "CAF" and cameo_to_iso3("") is None


def test_readable_names_and_titles_from_urls():
    assert readable_name("THE EUROPEAN UNION") == "The European Union"
    assert readable_name("UNITED STATES OF AMERICA") == "United States of America"
    assert readable_name("AL-QAEDA") == "Al-Qaeda" and readable_name("NATO") == "NATO"
    assert (
        title_from_url("http://www.example.org/news/article/27698-riverbend-planning-major-development/", "x")
        == "Riverbend planning major development"
    )
    assert title_from_url("http://example.cn/txt/2017-07/02/content_41135804.htm", "china.org.cn") == (
        "china.org.cn"
    )
