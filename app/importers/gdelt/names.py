"""Readable text made from GDELT's fields: names in title case, stub titles from URLs, event type names."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from ...text import fold

_SMALL_WORDS = frozenset(
    {"a", "an", "and", "at", "de", "del", "for", "in", "of", "on", "the", "to", "la", "le"}
)
_ACRONYMS = frozenset(
    {"UN", "US", "USA", "UK", "EU", "UAE", "NGO", "IMF", "FBI", "CIA", "ISIS", "ISIL", "NATO", "ASEAN", "SADC",
     "AU", "UNICEF", "WHO", "BBC", "CNN", "PKK", "IRA", "ANC", "OPEC", "GCC", "ECOWAS", "FARC", "KGB", "NSA",
     "ICC", "OAS", "WTO", "IAEA", "UNESCO", "UNHCR", "YPG", "SDF", "ETA", "LTTE", "MP", "MPS", "CEO", "PLO"}
)  # fmt: skip


def _cap_word(word: str, first: bool) -> str:
    if word.upper() in _ACRONYMS:
        return word.upper()
    if not first and word.lower() in _SMALL_WORDS:
        return word.lower()
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def readable_name(name: str) -> str:
    """GDELT's upper-case names in title case: ``THE EUROPEAN UNION`` -> ``The European Union``."""
    words = name.split()
    return " ".join(_cap_word(w, i == 0) for i, w in enumerate(words))


_EXT = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cms|cfm|shtml|xml)$", re.IGNORECASE)
_SPLIT = re.compile(r"[-_+.,\s]+")


def title_from_url(url: str, fallback: str) -> str:
    """A readable title from the last wordy path segment of a URL (``…/riverbend-plans-hotel.html`` ->
    ``Riverbend plans hotel``); ``fallback`` (the source's name) when the URL has no words to offer."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return fallback
    for seg in reversed([s for s in path.split("/") if s]):
        words = [
            w
            for w in _SPLIT.split(_EXT.sub("", unquote(seg)))
            if w and not w.isdigit() and not (len(w) > 5 and any(c.isdigit() for c in w))
        ]
        if len(words) >= 2:
            text = " ".join(words)[:300]
            return text[:1].upper() + text[1:]
    return fallback


_NOT_SPECIFIED = re.compile(r",?\s*not spec(?:ified)?(?: below)?\s*$", re.IGNORECASE)


def clean_type_name(name: str) -> str:
    """``Make statement, not specified below`` -> ``Make statement``: the catch-all suffix reads badly."""
    return _NOT_SPECIFIED.sub("", name).strip() or name.strip()


def name_key(name: str) -> str:
    """The form a GDELT actor name is looked up by: folded, without a leading "the"."""
    key = fold(name)
    return key[4:] if key.startswith("the ") else key
