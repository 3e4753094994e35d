"""The README stays true: its configuration table is the settings' own, and its local links resolve (the docs' too)."""

from __future__ import annotations

import re
from pathlib import Path

from app.config import settings_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_configuration_table_is_generated_from_the_settings():
    start, end = "<!-- CONFIG:START -->", "<!-- CONFIG:END -->"
    table = README[README.index(start) + len(start) : README.index(end)].strip()
    assert table == settings_table(), "regenerate it: python -m app.config"


def test_local_links_resolve():
    targets = re.findall(r"\]\((?!https?://|#)([^)#\s]+)", README)
    assert targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, missing
    outside = [t for t in targets if (ROOT / t).resolve().is_relative_to(ROOT) is False]
    assert not outside, f"a clone has only the repository: {outside}"


def test_section_links_name_real_sections():
    anchors = {
        re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", README, flags=re.M)
    }
    wanted = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert wanted <= anchors, wanted - anchors


def _prose(markdown: str) -> str:
    """The text outside code: fenced blocks and inline spans may hold brackets that are no links."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S))


def test_the_docs_local_links_resolve():
    # The README's benchmark history lives in docs/benchmarks.md and links back into the repository.
    docs = sorted((ROOT / "docs").glob("*.md"))
    assert any(d.name == "benchmarks.md" for d in docs)
    missing = [
        f"{d.name}: {t}"
        for d in docs
        for t in re.findall(r"\]\((?!https?://|#)([^)#\s]+)", _prose(d.read_text()))
        if not (d.parent / t).exists()
    ]
    assert not missing, missing
