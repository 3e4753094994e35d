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
   at build time: the ``family_name`` given on the entry (or on another entry of the same person,
   when the surface contains it); else, when any name of the person is written family-name-first
   with a hyphenated given name ("Kim Seon-ho", "Moon Jae-in", see ``is_family_name_first``), the
   FIRST token of each of its names ("Kim Seon Ho" -> "Kim" too); else the last token with any
   preceding lowercase particles and without suffixes ("Vladimir Putin" -> "Putin",
   "Ursula von der Leyen" -> "von der Leyen", "Joseph R. Biden Jr." -> "Biden"); a guessed surname
   of 1-2 letters is not used. An ``al-``/``el-`` prefix also gives a key without it ("al-Assad"
   and "Assad"). Other name orders without a hyphen ("Xi Jinping") need ``family_name``.
   A surname must be written with its capital (or exactly as given). A bare surname resolves only
   to a person of that surname named earlier in the text by a non-surname alias (checked on the
   raw hits); if several were, the most recently named one, at lower confidence; otherwise it is
   no match.
4. Overlaps: longest match first, then leftmost ("the Kremlin" beats "Kremlin", "North Korean"
   beats "Korean", "Kim Jong-un" beats the surname "Kim").
5. Ambiguity: an entry with ``ambiguous=True`` (Georgia, Washington, Jordan, Chad...), or a surface
   shared by several actors, is SUPPORTED when (a) one of its actors is also matched unambiguously
   anywhere in the text (e.g. "Tbilisi" for Georgia, "U.S." or "United States" for a "Washington"
   metonym), or (b) it is coordinated with an unambiguous match of an actor of the same kind
   ("Georgia and Armenia", "Armenia, Georgia", "Georgia or the U.S."). Supported: confidence 0.7.
   Unsupported: confidence 0.4, which ``find`` drops by default (``min_confidence=0.5``).
6. Confidence: 1.0 for a name, 0.9 for an abbreviation, metonym or demonym, 0.8 for a surname
   back-reference (0.6 when several persons of that surname were named before), 0.7 / 0.4 for
   supported / unsupported ambiguous aliases.

Demonyms ending in "an" or "i" also match their plural ("Koreans", "Israelis").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, NamedTuple

import ahocorasick

__all__ = [
    "Gazetteer",
    "GazetteerEntry",
    "Match",
    "family_name_of",
    "is_auto_case_sensitive",
    "is_family_name_first",
]

CONF_NAME: Final = 1.0
CONF_ALIAS: Final = 0.9
CONF_SURNAME: Final = 0.8
CONF_SURNAME_SHARED: Final = 0.6  # several persons of that surname were named before
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


# A candidate span: (start, end, options). Plain tuples: this is the hot loop.
_Span = tuple[int, int, tuple[_Option, ...]]


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


def is_family_name_first(full_name: str) -> bool:
    """Korean-style "Family Given-name" with a hyphenated given name: "Kim Seon-ho", "Moon Jae-in"."""
    tokens = full_name.split()
    return len(tokens) == 2 and "-" not in tokens[0] and _EAST_ASIAN_GIVEN.fullmatch(tokens[1]) is not None


def family_name_of(full_name: str, *, family_name_first: bool | None = None) -> str | None:
    """The surname heuristic of rule 3 (None for a single-token name or a guessed 1-2 letter surname).

    ``family_name_first`` None: decided by ``is_family_name_first``.
    """
    tokens = full_name.split()
    while len(tokens) > 1 and tokens[-1].lower().rstrip(",") in _NAME_SUFFIXES:
        tokens.pop()
        tokens[-1] = tokens[-1].rstrip(",")
    if len(tokens) < 2:
        return None
    if family_name_first is None:
        family_name_first = is_family_name_first(full_name)
    if family_name_first:
        return tokens[0]
    i = len(tokens) - 1
    while i > 1 and tokens[i - 1] in _NAME_PARTICLES:  # particles are lowercase in the name
        i -= 1
    family = " ".join(tokens[i:])
    # "Kim Jong Un" -> "Un", "Moon Jae In" -> "In": a guessed 1-2 letter surname is more often a
    # mis-ordered name (or a common word) than a surname; such names need ``family_name``.
    return family if sum(c.isalpha() for c in family) > 2 else None


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

        entries = list(entries)
        # Per person: an explicit family name given on any of its entries, and whether any of its
        # names is written family-name-first ("Kim Jong-un" makes "Kim Jong Un" family-first too).
        explicit_family: dict[int, str] = {}
        family_first: set[int] = set()
        for e in entries:
            if e.actor_kind == _PERSON and e.alias_kind == "name":
                if e.family_name and e.actor_id not in explicit_family:
                    explicit_family[e.actor_id] = _normalize_surface(e.family_name)
                if is_family_name_first(_normalize_surface(e.surface)):
                    family_first.add(e.actor_id)

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
                family = _normalize_surface(e.family_name) if e.family_name else None
                if family is None and (known := explicit_family.get(e.actor_id)):
                    family = known if f" {known} " in f" {surface} " else None
                if family is None:
                    family = family_name_of(surface, family_name_first=e.actor_id in family_first)
                if family and family != surface:
                    for key in _surname_keys(family):
                        add(key, _Option(e.actor_id, _PERSON, _SURNAME_KIND, False, key, True, CONF_SURNAME))

        automaton = ahocorasick.Automaton()
        for key, option_set in table.items():
            options = tuple(option_set)
            # "simple": one option that needs no case check and no disambiguation (the common case).
            only = options[0]
            simple = len(options) == 1 and only.exact is None and not only.ambiguous and not only.surname
            automaton.add_word(key, (len(key), options, simple))
        if table:
            automaton.make_automaton()
        self._automaton = automaton if table else None
        self._size = len(table)

    def __len__(self) -> int:
        """Number of distinct folded keys (surfaces, plurals and surnames)."""
        return self._size

    def find(self, text: str, *, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> list[Match]:
        """Actor mentions in ``text``, in text order, non-overlapping, with offsets into ``text``."""
        if self._automaton is None or not text:
            return []
        spans = _candidates(self._automaton, text)
        if not spans:
            return []
        kept = _resolve_overlaps(spans)

        # Pass 1, in text order: unambiguous spans and surname back-references.
        resolved: list[tuple[_Span, _Option | None, float]] = []
        sure_actors: set[int] = set()
        last_named: dict[int, int] = {}  # person -> start of its latest non-surname mention
        # person -> mentions so far. A bare surname shared by several people goes to the one named
        # most recently if that was in the same paragraph, else to the most talked-about one ("Kim"
        # paragraphs after three mentions of Kim Seon-ho and one of Kim Jong-un is Kim Seon-ho).
        salience: dict[int, int] = {}
        for span in kept:
            options = span[2]
            only = options[0]
            if len(options) == 1 and not only.ambiguous and not only.surname:
                resolved.append((span, only, only.confidence))
                sure_actors.add(only.actor_id)
                if only.actor_kind == _PERSON:
                    last_named[only.actor_id] = span[0]
                    salience[only.actor_id] = salience.get(only.actor_id, 0) + 1
                continue
            direct = [o for o in options if not o.surname and not o.ambiguous]
            if direct and len({o.actor_id for o in direct}) == 1:
                best = max(direct, key=_by_confidence)
                resolved.append((span, best, best.confidence))
                sure_actors.add(best.actor_id)
                if best.actor_kind == _PERSON:
                    last_named[best.actor_id] = span[0]
                    salience[best.actor_id] = salience.get(best.actor_id, 0) + 1
                continue
            if not direct:
                surnames = [o for o in options if o.surname and o.actor_id in last_named]
                if surnames:
                    best = max(surnames, key=lambda o: last_named[o.actor_id])
                    if text.rfind("\n\n", 0, span[0]) > last_named[best.actor_id]:
                        best = max(
                            surnames, key=lambda o: (salience.get(o.actor_id, 0), last_named[o.actor_id])
                        )
                    salience[best.actor_id] = salience.get(best.actor_id, 0) + 1
                    shared = len({o.actor_id for o in surnames}) > 1
                    resolved.append((span, best, CONF_SURNAME_SHARED if shared else CONF_SURNAME))
                    sure_actors.add(best.actor_id)
                    continue
            resolved.append((span, None, 0.0))  # ambiguous: decided in pass 2

        # Pass 2: ambiguous spans need support (rule 5).
        matches: list[Match] = []
        for i, (span, option, conf) in enumerate(resolved):
            if option is None:
                ambiguous = sorted((o for o in span[2] if not o.surname), key=_ambiguity_order)
                if not ambiguous:
                    continue
                supported = [o for o in ambiguous if o.actor_id in sure_actors] or [
                    o for o in ambiguous if _coordinated(text, resolved, i, o.actor_kind)
                ]
                if supported:
                    option, conf = supported[0], CONF_AMBIGUOUS_SUPPORTED
                else:
                    option, conf = ambiguous[0], CONF_AMBIGUOUS_UNSUPPORTED
            if conf >= min_confidence:
                start, end = span[0], span[1]
                matches.append(Match(option.actor_id, start, end, text[start:end], conf, option.alias_kind))
        return matches


def _by_confidence(o: _Option) -> float:
    return o.confidence


def _ambiguity_order(o: _Option) -> tuple[float, int]:
    return (-o.confidence, o.actor_id)


def _candidates(automaton: ahocorasick.Automaton, text: str) -> list[_Span]:
    """Automaton hits on word boundaries, with the options that fit (case, surname rule)."""
    folded = _fold(text)
    n = len(text)
    spans: list[_Span] = []
    # person -> end of its first non-surname hit. pyahocorasick reports hits in order of their end,
    # so a full name that ends before a surname starts has always been seen by then.
    named: dict[int, int] = {}
    for last, (length, options, simple) in automaton.iter(folded):
        start = last - length + 1
        end = last + 1
        if (start and text[start - 1].isalnum()) or (end < n and text[end].isalnum()):
            continue
        if simple:
            spans.append((start, end, options))
            only = options[0]
            if only.actor_kind == _PERSON and only.actor_id not in named:
                named[only.actor_id] = end
            continue
        original = _fold_punct(text[start:end])
        kept = tuple(
            o
            for o in options
            if (o.exact is None or original == o.exact or (o.surname and original == _capitalized(o.exact)))
            and (not o.surname or named.get(o.actor_id, n + 1) <= start)
        )
        if kept:
            spans.append((start, end, kept))
            for o in kept:
                if o.actor_kind == _PERSON and not o.surname and not o.ambiguous and o.actor_id not in named:
                    named[o.actor_id] = end
    return spans


def _capitalized(s: str) -> str:
    return s[:1].upper() + s[1:]


def _span_order(span: _Span) -> tuple[int, int]:
    return (span[0] - span[1], span[0])


def _resolve_overlaps(spans: list[_Span]) -> list[_Span]:
    """Longest first, then leftmost; returns the kept spans in text order.

    Spans are swept in start order; only clusters of overlapping spans (rare) are resolved greedily,
    which gives the same result as a global longest-first pass since clusters do not interact.
    """
    spans.sort()
    kept: list[_Span] = []
    i = 0
    total = len(spans)
    while i < total:
        cluster_end = spans[i][1]
        j = i + 1
        while j < total and spans[j][0] < cluster_end:
            cluster_end = max(cluster_end, spans[j][1])
            j += 1
        if j == i + 1:
            kept.append(spans[i])
        else:
            chosen: list[_Span] = []
            for span in sorted(spans[i:j], key=_span_order):
                if all(span[1] <= c[0] or c[1] <= span[0] for c in chosen):
                    chosen.append(span)
            chosen.sort()
            kept.extend(chosen)
        i = j
    return kept


def _coordinated(text: str, resolved: list[tuple[_Span, _Option | None, float]], i: int, kind: str) -> bool:
    """Is span i joined by "and", "," ... to a neighbouring unambiguous match of the same kind?"""
    span = resolved[i][0]
    if i > 0:
        prev, opt, _ = resolved[i - 1]
        if opt is not None and opt.actor_kind == kind and _COORDINATION.fullmatch(text, prev[1], span[0]):
            return True
    if i + 1 < len(resolved):
        nxt, opt, _ = resolved[i + 1]
        if opt is not None and opt.actor_kind == kind and _COORDINATION.fullmatch(text, span[1], nxt[0]):
            return True
    return False
