"""The vendored browser libraries are exactly what app/web/assets.json pins, each with its licence, and the
Python package ships them."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from app.web import assets

ROOT = Path(__file__).resolve().parents[2]


def test_vendored_files_match_the_pins() -> None:
    assert assets.check() == []


def test_every_package_has_a_version_a_licence_and_its_licence_file() -> None:
    for name, spec in assets.load()["packages"].items():
        assert spec["version"].count(".") == 2, name
        assert spec["license"], name
        assert (assets.destination(name, spec) / "LICENSE").stat().st_size > 200, name


def test_the_package_data_covers_templates_and_static_files() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["app.web"]
    web = ROOT / "app" / "web"
    shipped = {p for pattern in patterns for p in web.glob(pattern) if p.is_file()}
    wanted = {p for p in (web / "static").rglob("*") if p.is_file()} | set((web / "templates").glob("*.html"))
    assert wanted <= shipped
    assert (web / "assets.json") in shipped


def test_pages_reference_only_local_assets() -> None:
    for template in (ROOT / "app" / "web" / "templates").glob("*.html"):
        text = template.read_text()
        assert "http://" not in text and "https://" not in text, template.name
    manifest = json.loads((ROOT / "app" / "web" / "assets.json").read_text())
    assert "axe-core" in manifest["packages"]
