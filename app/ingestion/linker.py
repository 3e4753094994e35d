"""Gazetteer linker: find the actors an article mentions, with character offsets.

``Gazetteer(entries)`` builds ONE Aho-Corasick automaton (pyahocorasick) over folded surfaces;
``find(text)`` makes one pass over the folded text, so its cost depends on the text and the number of
hits, not on the number of entries.

Folding: ``str.lower()`` plus 1:1 replacements (curly apostrophes -> ``'``, Unicode hyphens -> ``-``,
no-break spaces and line breaks -> space). Every step maps one character to one character, so
offsets into the folded text ARE offsets into the original text. ``str.casefold()`` is not used
because it changes lengths (``ß`` -> ``ss``); when ``lower()`` itself would change the length
(``İ``), each character is replaced by the first character of its lowercase form instead.

Rules, in the order ``find`` applies them:

1. Word boundaries: a hit counts only when the characters just before and after it (in the original
   text) are not letters or digits. So "US" is not found in "USA", nor "Chad" in "Chadwick", while
   "Russia’s" and "Russia-Ukraine" yield "Russia".
2. Case: matching is case-insensitive except for entries with ``case_sensitive=True`` and for every
   surface whose letters are all capitals and at most 4 (``US``, ``U.S.``, ``UK``, ``NATO``, ``IP4``):
   those must appear exactly as written, so "us" is not the United States. (A mixed-case spelling such
   as "Nato" needs its own alias.)
3. Person surnames: from every ``alias_kind="name"`` entry of a ``person`` a surname key is derived
   at build time: ``family_name`` when given; else the FIRST token for a two-token name whose second
   token is a hyphenated given name with a lowercase second syllable ("Kim Seon-ho" -> "Kim",
   "Moon Jae-in" -> "Moon"); else the last token together with preceding lowercase particles and
   without suffixes ("Vladimir Putin" -> "Putin", "Ursula von der Leyen" -> "von der Leyen",
   "Martin Luther King Jr." -> "King"); an ``al-``/``el-`` prefix also gives a key without it
   ("al-Assad" and "Assad"). Names without a space, or written in another order without a hyphen
   ("Xi Jinping"), need ``family_name``. A surname must be written with its capital (or exactly
   as given). A bare surname resolves only to a person of that surname named earlier in the text (by
   any non-surname alias); if several, the most recently named one; otherwise it is no match.
4. Overlaps: longest match first, then leftmost ("the Kremlin" beats "Kremlin", "North Korean"
   beats "Korean", "Kim Jong-un" beats the surname "Kim").
5. Ambiguity: an entry with ``ambiguous=True`` (Georgia, Washington, Jordan, Chad...), or a surface
   shared by several actors, is SUPPORTED when (a) one of its actors is also matched unambiguously
   anywhere in the text (e.g. "Tbilisi" or "Georgian" for Georgia, "U.S." for a "Washington"
   metonym), or (b) it is coordinated with an unambiguous match of an actor of the same kind
   ("Georgia and Armenia", "Armenia, Georgia", "Georgia or the US"). Supported: confidence 0.7.
   Unsupported: confidence 0.4, which ``find`` drops by default (``min_confidence=0.5``).
6. Confidence: 1.0 for a name, 0.9 for an abbreviation, metonym or demonym, 0.8 for a surname
   back-reference, 0.7 / 0.4 for supported / unsupported ambiguous aliases.

Demonyms ending in "an" or "i" also match their plural ("Koreans", "Israelis").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, NamedTuple

import ahocorasick

__all__ = ["Gazetteer", "GazetteerEntry", "Match", "family_name_of", "is_auto_case_sensitive"]

CONF_NAME: Final = 1.0
CONF_ALIAS: Final = 0.9
CONF_SURNAME: Final = 0.8
CONF_AMBIGUOUS_SUPPORTED: Final = 0.7
CONF_AMBIGUOUS_UNSUPPORTED: Final = 0.4
DEFAULT_MIN_CONFIDENCE: Final = 0.5

_PERSON: Final = "person"
_SURNAME_KIND: Final = "surname"

# One character -> one character, so offsets survive folding.
_FOLD_PAIRS: Final = (
    ("’", "'"), ("‘", "'"), ("ʼ", "'"), ("`", "'"),
    ("\u2010", "-"), ("\u2011", "-"), ("\u2012", "-"), ("\u2013", "-"),
    ("\u00a0", " "), ("\u202f", " "), ("\u2007", " "), ("\n", " "), ("\t", " "), ("\r", " "),
)  # fmt: skip
_EAST_ASIAN_GIVEN = re.compile(r"[A-Z][a-z]+-[a-z]+")
_NAME_SUFFIXES: Final = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"})
_NAME_PARTICLES: Final = frozenset(
    {"von", "van", "der", "den", "de", "da", "di", "du", "del", "della", "la", "le", "bin", "ibn", "dos",
     "das", "ter", "ten", "al", "el", "y"}
)  # fmt: skip
_ARTICLE_PREFIXES: Final = ("al-", "el-", "Al-", "El-")
# The text between two coordinated names: "Georgia and Armenia", "Georgia’s, Armenia’s", "X or the Y".
_COORDINATION = re.compile(
    r"(?:['’]s)?\s*(?:,|;|/|&|\band\b|\bor\b|,\s*and\b|,\s*or\b)\s*(?:the\s+)?", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    actor_id: int
    actor_kind: str
    surface: str
    alias_kind: str  # name | abbreviation | metonym | demonym
    ambiguous: bool = False
    case_sensitive: bool = False
    family_name: str | None = None  # persons only: overrides the surname heuristic


@dataclass(frozen=True, slots=True)
class Match:
    actor_id: int
    start: int
    end: int
    text: str
    confidence: float
    alias_kind: str


class _Option(NamedTuple):
    actor_id: int
    actor_kind: str
    alias_kind: str
    ambiguous: bool
    exact: str | None  # required spelling (punctuation-folded) for case-sensitive options
    surname: bool
    confidence: float


class _Span(NamedTuple):
    start: int
    end: int
    options: tuple[_Option, ...]


def _fold_punct(s: str) -> str:
    for a, b in _FOLD_PAIRS:
        if a in s:
            s = s.replace(a, b)
    return s


def _fold(text: str) -> str:
    """Lowercase + 1:1 punctuation folding; always the same length as ``text``."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join([c.lower()[0] for c in text])
    return _fold_punct(low)


def _normalize_surface(surface: str) -> str:
    return " ".join(_fold_punct(surface).split())


def is_auto_case_sensitive(surface: str) -> bool:
    """All-capital surfaces of at most 4 letters ("US", "U.S.", "NATO") are matched case-sensitively."""
    letters = [c for c in surface if c.isalpha()]
    return 0 < len(letters) <= 4 and all(c.isupper() for c in letters)


def family_name_of(full_name: str) -> str | None:
    """The surname heuristic of rule 3 (None for a single-token name)."""
    tokens = full_name.split()
    while len(tokens) > 1 and tokens[-1].lower().rstrip(",") in _NAME_SUFFIXES:
        tokens.pop()
        if tokens[-1].endswith(","):
            tokens[-1] = tokens[-1][:-1]
    if len(tokens) < 2:
        return None
    if len(tokens) == 2 and _EAST_ASIAN_GIVEN.fullmatch(tokens[1]) and "-" not in tokens[0]:
        return tokens[0]
    i = len(tokens) - 1
    while i > 1 and tokens[i - 1] in _NAME_PARTICLES:  # particles are lowercase in the name
        i -= 1
    return " ".join(tokens[i:])


def _surname_keys(family: str) -> list[str]:
    keys = [family]
    for prefix in _ARTICLE_PREFIXES:
        if family.startswith(prefix) and len(family) > len(prefix) + 1:
            keys.append(family[len(prefix) :])
    return keys


def _plural_demonym(surface: str) -> str | None:
    return surface + "s" if surface.endswith(("an", "i")) else None


class Gazetteer:
    """An immutable, thread-safe linker over a fixed set of entries."""

    __slots__ = ("_automaton", "_size")

    def __init__(self, entries: Iterable[GazetteerEntry]) -> None:
        table: dict[str, dict[_Option, None]] = {}

        def add(surface: str, option: _Option) -> None:
            key = _fold(_normalize_surface(surface))
            if key.strip():
                table.setdefault(key, {})[option] = None

        for e in entries:
            surface = _normalize_surface(e.surface)
            if not surface:
                continue
            case_sensitive = e.case_sensitive or is_auto_case_sensitive(surface)
            conf = CONF_NAME if e.alias_kind == "name" else CONF_ALIAS
            option = _Option(
                e.actor_id, e.actor_kind, e.alias_kind, e.ambiguous,
                surface if case_sensitive else None, False, conf,
            )  # fmt: skip
            add(surface, option)
            if e.alias_kind == "demonym" and (plural := _plural_demonym(surface)):
                add(plural, option._replace(exact=plural if case_sensitive else None))
            if e.actor_kind == _PERSON and e.alias_kind == "name":
                family = e.family_name or family_name_of(surface)
                if family and _normalize_surface(family) != surface:
                    for key in _surname_keys(_normalize_surface(family)):
                        add(key, _Option(e.actor_id, _PERSON, _SURNAME_KIND, False, key, True, CONF_SURNAME))

        automaton = ahocorasick.Automaton()
        for key, options in table.items():
            automaton.add_word(key, (len(key), tuple(options)))
        if table:
            automaton.make_automaton()
        self._automaton = automaton if table else None
        self._size = len(table)

    def __len__(self) -> int:
        """Number of distinct folded keys (surfaces, plurals and surnames)."""
        return self._size

    # -- matching -------------------------------------------------------------------------------

    def _candidates(self, automaton: ahocorasick.Automaton, text: str) -> list[_Span]:
        folded = _fold(text)
        n = len(text)
        spans: list[_Span] = []
        for last, (length, options) in automaton.iter(folded):
            start = last - length + 1
            end = last + 1
            if (start > 0 and text[start - 1].isalnum()) or (end < n and text[end].isalnum()):
                continue
            original: str | None = None
            kept: list[_Option] = []
            for o in options:
                if o.exact is not None:
                    if original is None:
                        original = _fold_punct(text[start:end])
                    if not (
                        original == o.exact or (o.surname and original == o.exact[:1].upper() + o.exact[1:])
                    ):
                        continue
                kept.append(o)
            if kept:
                spans.append(_Span(start, end, tuple(kept)))
        return spans

    @staticmethod
    def _resolve_overlaps(spans: list[_Span]) -> list[_Span]:
        """Longest first, then leftmost; returns the kept spans in text order."""
        spans.sort(key=lambda s: (s.start - s.end, s.start))
        starts: list[int] = []
        kept: list[_Span] = []
        for s in spans:
            i = bisect_left(starts, s.start)
            if i > 0 and kept[i - 1].end > s.start:
                continue
            if i < len(kept) and kept[i].start < s.end:
                continue
            starts.insert(i, s.start)
            kept.insert(i, s)
        return kept

    def find(self, text: str, *, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> list[Match]:
        """Actor mentions in ``text``, in text order, non-overlapping, with offsets into ``text``."""
        if self._automaton is None or not text:
            return []
        spans = self._candidates(self._automaton, text)
        if not spans:
            return []

        # A surname can only refer back to a person named in full earlier: drop the other surname
        # options before the overlap step, so that they cannot hide a shorter real match.
        if any(o.surname for s in spans for o in s.options):
            never = len(text) + 1
            first_named: dict[int, int] = {}  # person -> end of its first non-surname mention
            for s in spans:
                for o in s.options:
                    if (
                        o.actor_kind == _PERSON
                        and not o.surname
                        and not o.ambiguous
                        and s.end < first_named.get(o.actor_id, never)
                    ):
                        first_named[o.actor_id] = s.end
            filtered: list[_Span] = []
            for s in spans:
                opts = tuple(
                    o for o in s.options if not o.surname or first_named.get(o.actor_id, never) <= s.start
                )
                if opts:
                    filtered.append(s if len(opts) == len(s.options) else _Span(s.start, s.end, opts))
            spans = filtered

        kept = self._resolve_overlaps(spans)

        # Pass 1, in text order: unambiguous spans and surname back-references.
        resolved: list[tuple[_Span, _Option | None, float]] = []
        sure_actors: set[int] = set()
        last_named: dict[int, int] = {}  # person -> start of its latest non-surname mention
        for s in kept:
            direct = [o for o in s.options if not o.surname and not o.ambiguous]
            if direct and len({o.actor_id for o in direct}) == 1:
                best = max(direct, key=lambda o: o.confidence)
                resolved.append((s, best, best.confidence))
                sure_actors.add(best.actor_id)
                if best.actor_kind == _PERSON:
                    last_named[best.actor_id] = s.start
                continue
            if not direct:
                surnames = [o for o in s.options if o.surname and o.actor_id in last_named]
                if surnames:
                    best = max(surnames, key=lambda o: last_named[o.actor_id])
                    resolved.append((s, best, CONF_SURNAME))
                    sure_actors.add(best.actor_id)
                    continue
            resolved.append((s, None, 0.0))  # ambiguous: decided in pass 2

        # Pass 2: ambiguous spans need support (rule 5).
        matches: list[Match] = []
        for i, (s, option, conf) in enumerate(resolved):
            if option is None:
                ambiguous = [o for o in s.options if not o.surname]
                if not ambiguous:
                    continue
                ambiguous.sort(key=lambda o: (-o.confidence, o.actor_id))
                supported = [o for o in ambiguous if o.actor_id in sure_actors] or [
                    o for o in ambiguous if self._coordinated(text, resolved, i, o.actor_kind)
                ]
                if supported:
                    option, conf = supported[0], CONF_AMBIGUOUS_SUPPORTED
                else:
                    option, conf = ambiguous[0], CONF_AMBIGUOUS_UNSUPPORTED
            if conf >= min_confidence:
                matches.append(
                    Match(option.actor_id, s.start, s.end, text[s.start : s.end], conf, option.alias_kind)
                )
        return matches

    @staticmethod
    def _coordinated(
        text: str, resolved: list[tuple[_Span, _Option | None, float]], i: int, kind: str
    ) -> bool:
        """Is span i joined by "and", "," ... to a neighbouring unambiguous match of the same kind?"""
        span = resolved[i][0]
        if i > 0:
            prev, opt, _ = resolved[i - 1]
            if (
                opt is not None
                and opt.actor_kind == kind
                and _COORDINATION.fullmatch(text, prev.end, span.start) is not None
            ):
                return True
        if i + 1 < len(resolved):
            nxt, opt, _ = resolved[i + 1]
            if (
                opt is not None
                and opt.actor_kind == kind
                and _COORDINATION.fullmatch(text, span.end, nxt.start) is not None
            ):
                return True
        return False
