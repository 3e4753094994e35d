"""Small text helpers shared by several domains."""

from __future__ import annotations

import re
import unicodedata

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Accent-free, case-folded, single-spaced: the form aliases are matched and searched in."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("’", "'").replace("‘", "'")
    return _SPACES.sub(" ", stripped.casefold()).strip()


def slugify(text: str) -> str:
    return _SLUG_STRIP.sub("-", fold(text).replace("'", "")).strip("-")[:200] or "actor"
