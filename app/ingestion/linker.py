"""Gazetteer linker: find the actors an article mentions, with character offsets.

``Gazetteer(entries)`` builds ONE Aho-Corasick automaton (``Automaton``: Rust's aho-corasick crate,
through ahocorasick-rs) over folded surfaces;
``find(text)`` makes one pass over the folded text, so its cost depends on the text and the number of
hits, not on the number of entries. The context rules below look only at a few words around a hit.

Folding: ``str.lower()``, accents removed (``é`` -> ``e``, ``ğ`` -> ``g``, ``đ`` -> ``d``) and 1:1
punctuation replacements (curly apostrophes -> ``'``, Unicode hyphens -> ``-``, no-break spaces and
line breaks -> space). Every step maps one character to one character, so offsets into the folded
text ARE offsets into the original text ("Erdogan" finds "Erdoğan", "Elysee" finds "Élysée").
``str.casefold()`` is not used because it changes lengths (``ß`` -> ``ss``); when ``lower()`` itself
would change the length (``İ``), each character is replaced by the first character of its lowercase
form instead.

Rules, in the order ``find`` applies them:

1. Word boundaries: a hit counts only when the characters just before and after it (in the original
   text) are not letters or digits. So "US" is not found in "USA", nor "Chad" in "Chadwick", while
   "Russia’s" and "Russia-Ukraine" yield "Russia".
2. Case: matching is case-insensitive except for entries with ``case_sensitive=True``, for the names
   listed as ``case_sensitive_names`` in ambiguous_names.json (Chile, Cuba, Chad, Israel...: words or
   personal names too) and for every surface whose letters are all capitals and at most 4 (``US``,
   ``U.S.``, ``UK``, ``NATO``, ``IP4``): those must appear exactly as written (accents included), so
   "us" is not the United States. (A mixed-case spelling such as "Nato" needs its own alias.)
3. Person surnames: from every ``alias_kind="name"`` entry of a ``person`` a surname key is derived
   at build time: the ``family_name`` given on the entry (or on another entry of the same person,
   when the surface contains it); else, when any name of the person is written family-name-first
   (a hyphenated given name, "Kim Seon-ho", "Moon Jae-in"; or a two-word name starting with a common
   Chinese surname, "Xi Jinping", "Wang Yi", see ``is_family_name_first``), the FIRST token of each
   of its names; else the last token with any preceding lowercase particles and without suffixes
   ("Vladimir Putin" -> "Putin", "Ursula von der Leyen" -> "von der Leyen", "Joseph R. Biden Jr." ->
   "Biden"); a guessed surname of 1-2 letters is not used. An ``al-``/``el-`` prefix also gives a key
   without it ("al-Assad" and "Assad"). A surname must be written with its capital (accents may be
   dropped). A bare surname resolves only to a person of that surname named earlier in the text by a
   non-surname alias (checked on the raw hits); if several were, the most recently named one, at lower
   confidence; otherwise it is no match. A surname also beats an actor name of the same spelling when
   its person was named before and that actor was not ("Luís Montenegro ... Montenegro said").
4. Overlaps: longest match first, then leftmost ("the Kremlin" beats "Kremlin", "North Korean"
   beats "Korean", "Kim Jong-un" beats the surname "Kim"). The ``not_actors`` names of
   ambiguous_names.json take part and are then dropped: "New Mexico" hides "Mexico", "Washington
   Post" hides "Washington", "Indian Ocean" hides "Indian".
5. Ambiguity: an entry with ``ambiguous=True`` (Georgia, Washington, Jordan...), or a surface shared by
   several actors, is SUPPORTED when (a) one of its actors is also matched unambiguously anywhere in
   the text (e.g. "Tbilisi" for Georgia, "U.S." or "United States" for a "Washington" metonym), or (b)
   it is coordinated with an unambiguous match of an actor of the same kind ("Georgia and Armenia",
   "Armenia, Georgia", "Georgia or the U.S."). Supported: confidence 0.7. Unsupported: confidence 0.4,
   which ``find`` drops by default (``min_confidence=0.5``).
6. Context (each rule looks at a few words around the hit):
   a. Datelines: an all-capitals hit that opens a paragraph and is followed by a comma, colon, dash or
      parenthesis ("MOSCOW, March 3 —", "UNITED NATIONS (Reuters) -") is where the story was filed,
      not an actor.
   b. Larger names: a single-word hit that may be a personal or place name (an ambiguous entry, a
      capital, a one-word person alias or surname, a case-sensitive name) is dropped when a
      capitalised word that is not a title, weekday, month or sentence opener stands right before or
      after it ("Paris Hilton", "Denzel Washington", "Melania Trump", "Niger River"), and a non-person
      one also when the text named someone that way before ("Lewis Hamilton ... Hamilton said").
   c. Capitals and other place metonyms stand for their government only when they act or are a party:
      followed by a verb of saying or acting, possibly after auxiliaries, adverbs and time phrases
      ("Moscow said", "Beijing on Tuesday warned", "Seoul would stay close", "Washington, which has
      long insisted"); the object of such a verb ("warned Moscow", "urged Beijing"); after a relation
      word ("ties with Tehran", "pressure from Beijing", "talks between Pyongyang and Moscow", "aid to
      Kyiv", "an ally of Moscow", "claimed by Caracas"); a possessive that does not name a place
      ("Moscow's decision" but not "Moscow's mayor"); compounds ("Moscow-backed", "pro-Beijing"); or
      coordinated with another actor that qualifies ("Brussels and Washington agreed"). Elsewhere —
      after "in", "at", "to", "near", in "Moscow-based", or with no such context — it is a place, and
      places are not actors: no mention (but it still supports an ambiguous name of its country).
      Seats of government (``seats_of_power``: the Kremlin, the White House, the Pentagon, Downing
      Street...) always stand for their government.
   d. A demonym naming a language is not a mention ("spoke in Italian and Spanish", "Russian-language").
   e. An abbreviation glued to a currency sign ("US$", "AU$") is not a mention.
7. Confidence: 1.0 for a name, 0.9 for an abbreviation, metonym or demonym, 0.8 for a surname
   back-reference (0.6 when several persons of that surname were named before), 0.7 / 0.4 for
   supported / unsupported ambiguous aliases (a place metonym that acts counts as supported).

Demonyms ending in "an" or "i" also match their plural ("Koreans", "Israelis").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Generic, NamedTuple, TypeVar

import ahocorasick_rs

__all__ = [
    "Automaton",
    "Gazetteer",
    "GazetteerEntry",
    "Match",
    "fold",
    "family_name_of",
    "is_auto_case_sensitive",
    "is_family_name_first",
    "is_seat_of_power",
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
_NOT_AN_ACTOR: Final = -1

# One character -> one character, so offsets survive folding.
_FOLD_PAIRS: Final = (
    ("’", "'"), ("‘", "'"), ("ʼ", "'"), ("`", "'"),
    ("\u2010", "-"), ("\u2011", "-"), ("\u2012", "-"), ("\u2013", "-"),
    ("\u00a0", " "), ("\u202f", " "), ("\u2007", " "), ("\n", " "), ("\t", " "), ("\r", " "),
)  # fmt: skip
# Letters that do not decompose in Unicode but are written without their stroke in English copy.
_EXTRA_BASE: Final = {
    "đ": "d",
    "Đ": "D",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "ħ": "h",
    "Ħ": "H",
    "ı": "i",
}


def _accent_table() -> dict[int, str]:
    """Accented Latin letter -> its base letter, case kept (one character to one character)."""
    table: dict[int, str] = {}
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base
    table.update({ord(k): v for k, v in _EXTRA_BASE.items()})
    return table


_DEACCENT: Final = _accent_table()
_FOLD_TABLE: Final = {
    **{cp: base.lower() for cp, base in _DEACCENT.items()},
    **{ord(a): b for a, b in _FOLD_PAIRS},
}
_PUNCT_TABLE: Final = {ord(a): b for a, b in _FOLD_PAIRS}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EAST_ASIAN_GIVEN = re.compile(r"[A-Z][a-z]+-[a-z]+")
# Common Chinese family names, for "Xi Jinping" -> "Xi". "He" is left out: "He said" is not a surname.
_CHINESE_SURNAMES: Final = _words(
    "Li Wang Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Hu Zhu Gao Lin Guo Ma Luo Liang Zheng Xie Han Tang "
    "Feng Dong Xiao Cao Yuan Deng Fu Shen Zeng Peng Su Jiang Cai Jia Ding Wei Xue Yan Pan Du Dai Xia Zhong "
    "Tian Ren Fang Shi Yao Tan Liao Zou Xiong Jin Hao Kong Bai Cui Kang Mao Qiu Qin Gu Hou Shao Meng Duan Lei "
    "Qian Yin Xi Qiao Wen Yi"
)
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


def _load_lists() -> dict[str, list[str]]:
    return json.loads(Path(__file__).with_name("ambiguous_names.json").read_text(encoding="utf-8"))


_LISTS: Final = _load_lists()


V = TypeVar("V")

# Up to this many keys the automaton is a DFA (the fastest scan; its tables grow with the keys: ~5 MB and
# 40 ms to build for the seed's 2,400, ~150 MB and 1.8 s for 100,000); beyond, a contiguous NFA (as fast
# up to some 20,000 keys, a few MB, built in half the time).
DFA_MAX_KEYS: Final = 10_000


class Automaton(Generic[V]):
    """Every occurrence of any key in a text (overlapping), with the key's value: Aho-Corasick in Rust
    (ahocorasick-rs). Hits come in order of their end, the longest first among those ending at one
    character, as pyahocorasick's `iter` (which geonews used before) reported them; offsets are
    characters. Over the generated articles' bodies (~1,800 characters, bench/prepare.py) a scan of the
    seed's 2,400 actor keys takes ~27 µs against pyahocorasick's ~90 (its iterator made a Python tuple
    per hit and stepped through the trie object per character)."""

    __slots__ = ("_ac", "_values")

    def __init__(self, table: dict[str, V]) -> None:
        if not table:
            raise ValueError("an automaton needs at least one key")
        impl = (
            ahocorasick_rs.Implementation.DFA
            if len(table) <= DFA_MAX_KEYS
            else ahocorasick_rs.Implementation.ContiguousNFA
        )
        self._ac = ahocorasick_rs.AhoCorasick(list(table), implementation=impl, store_patterns=False)
        self._values = list(table.values())

    def __len__(self) -> int:
        return len(self._values)

    def hits(self, text: str) -> list[tuple[int, int, V]]:
        """(start, end, value) of every occurrence of a key in `text`."""
        values = self._values
        return [(s, e, values[i]) for i, s, e in self._ac.find_matches_as_indexes(text, overlapping=True)]


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
    place: bool = False  # a metonym that is a place: an actor only when the context says it acts
    bare: bool = False  # one word that may be part of another proper name (rule 6b)


# A candidate span: (start, end, options). Plain tuples: this is the hot loop.
_Span = tuple[int, int, tuple[_Option, ...]]


_ASCII_PAIRS: Final = tuple((a, b) for a, b in _FOLD_PAIRS if a.isascii())


def _fold_ascii(s: str) -> str:
    for a, b in _ASCII_PAIRS:
        if a in s:
            s = s.replace(a, b)
    return s


def _fold_punct(s: str) -> str:
    return _fold_ascii(s) if s.isascii() else s.translate(_PUNCT_TABLE)


def _deaccent(s: str) -> str:
    return s if s.isascii() else s.translate(_DEACCENT)


def _fold(text: str) -> str:
    """Lowercase, accents removed, 1:1 punctuation folding; always the same length as ``text``."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join([c.lower()[0] for c in text])
    # str.translate with a large table is slow; most text is ASCII and needs only a few replacements.
    return _fold_ascii(low) if low.isascii() else low.translate(_FOLD_TABLE)


# What the linkers scan (the actors' and the places' alike): a caller that links one text with both folds it
# once and passes it to each `find` (~12 µs of an article of ~1,800 characters).
fold = _fold


def _normalize_surface(surface: str) -> str:
    return " ".join(_fold_punct(surface).split())


def _key(surface: str) -> str:
    return " ".join(_fold(surface).split())


_SEATS: Final = frozenset(_key(s) for s in _LISTS.get("seats_of_power", []))
_CASE_SENSITIVE_NAMES: Final = frozenset(_LISTS.get("case_sensitive_names", []))
_NOT_ACTORS: Final = tuple(_LISTS.get("not_actors", []))


def is_seat_of_power(surface: str) -> bool:
    """Is this metonym a seat of government (the Kremlin, Downing Street) rather than a place?"""
    return _key(surface) in _SEATS


def is_auto_case_sensitive(surface: str) -> bool:
    """All-capital surfaces of at most 4 letters ("US", "U.S.", "NATO") are matched case-sensitively."""
    letters = [c for c in surface if c.isalpha()]
    return 0 < len(letters) <= 4 and all(c.isupper() for c in letters)


def is_family_name_first(full_name: str) -> bool:
    """Family name first: "Kim Seon-ho", "Moon Jae-in" (hyphenated given name) or "Xi Jinping"
    (two words, the first a common Chinese surname)."""
    tokens = full_name.split()
    if len(tokens) != 2 or "-" in tokens[0]:
        return False
    if _EAST_ASIAN_GIVEN.fullmatch(tokens[1]) is not None:
        return True
    return tokens[0] in _CHINESE_SURNAMES and tokens[1][:1].isupper() and tokens[1][1:].islower()


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
            listed = e.alias_kind == "name" and surface in _CASE_SENSITIVE_NAMES
            case_sensitive = e.case_sensitive or listed or is_auto_case_sensitive(surface)
            conf = CONF_NAME if e.alias_kind == "name" else CONF_ALIAS
            place = e.alias_kind == "metonym" and not is_seat_of_power(surface)
            one_word = " " not in surface
            bare = one_word and (
                place or e.ambiguous or listed or (e.actor_kind == _PERSON and e.alias_kind == "name")
            )
            option = _Option(
                e.actor_id, e.actor_kind, e.alias_kind, e.ambiguous,
                surface if case_sensitive else None, False, conf, place, bare,
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
                        add(
                            key,
                            _Option(
                                e.actor_id,
                                _PERSON,
                                _SURNAME_KIND,
                                False,
                                key,
                                True,
                                CONF_SURNAME,
                                False,
                                True,
                            ),
                        )
        # Names that are not actors but contain one: they win the longest-match rule, then vanish.
        blocker = _Option(_NOT_AN_ACTOR, "", "", False, None, False, 0.0)
        for name in _NOT_ACTORS:
            key = _fold(_normalize_surface(name))
            if key and key not in table:
                table[key] = {blocker: None}

        entries_of: dict[str, tuple[tuple[_Option, ...], bool]] = {}
        for key, option_set in table.items():
            if not key:
                continue
            options = tuple(option_set)
            # "simple": one option that needs no case check, no disambiguation and no context.
            only = options[0]
            simple = (
                len(options) == 1
                and only.exact is None
                and not only.ambiguous
                and not only.surname
                and not only.place
                and not only.bare
                and only.actor_id != _NOT_AN_ACTOR
            )
            entries_of[key] = (options, simple)
        self._automaton = Automaton(entries_of) if entries_of else None
        self._size = len(entries_of)

    def __len__(self) -> int:
        """Number of distinct folded keys (surfaces, plurals, surnames and non-actor names)."""
        return self._size

    def find(
        self, text: str, *, min_confidence: float = DEFAULT_MIN_CONFIDENCE, folded: str | None = None
    ) -> list[Match]:
        """Actor mentions in ``text``, in text order, non-overlapping, with offsets into ``text``
        (`folded`: ``fold(text)``, when the caller has it)."""
        if self._automaton is None or not text:
            return []
        spans = _candidates(self._automaton, text, _fold(text) if folded is None else folded)
        if not spans:
            return []
        kept = _resolve_overlaps(spans)
        taken = [(s[0], s[1]) for s in kept]  # every kept span, non-actor names included (rule 6b)
        kept = [s for s in kept if s[2][0].actor_id != _NOT_AN_ACTOR]

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
            named = [o for o in options if o.surname and o.actor_id in last_named]
            # A surname of someone named before beats a name nobody else has used yet
            # ("Luís Montenegro ... Montenegro said" is the prime minister, not the country).
            surname_wins = bool(named) and (not direct or direct[0].actor_id not in sure_actors)
            if direct and len({o.actor_id for o in direct}) == 1 and not surname_wins:
                best = max(direct, key=_by_confidence)
                resolved.append((span, best, best.confidence))
                sure_actors.add(best.actor_id)
                if best.actor_kind == _PERSON:
                    last_named[best.actor_id] = span[0]
                    salience[best.actor_id] = salience.get(best.actor_id, 0) + 1
                continue
            if surname_wins:
                best = max(named, key=lambda o: last_named[o.actor_id])
                if text.rfind("\n\n", 0, span[0]) > last_named[best.actor_id]:
                    best = max(named, key=lambda o: (salience.get(o.actor_id, 0), last_named[o.actor_id]))
                salience[best.actor_id] = salience.get(best.actor_id, 0) + 1
                shared = len({o.actor_id for o in named}) > 1
                resolved.append((span, best, CONF_SURNAME_SHARED if shared else CONF_SURNAME))
                sure_actors.add(best.actor_id)
                continue
            resolved.append((span, None, 0.0))  # ambiguous: decided in pass 2

        # Pass 2: ambiguous spans need support (rule 5).
        chosen: list[tuple[_Span, _Option, float]] = []
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
            chosen.append((span, option, conf))

        # Pass 3: context (rule 6).
        keep = _context(text, chosen, taken)
        matches: list[Match] = []
        for (span, option, conf), ok in zip(chosen, keep, strict=True):
            if ok is False:
                continue
            if ok is True and option.place and conf < CONF_AMBIGUOUS_SUPPORTED:
                conf = CONF_AMBIGUOUS_SUPPORTED  # a capital that acts is its government
            if conf >= min_confidence:
                start, end = span[0], span[1]
                matches.append(Match(option.actor_id, start, end, text[start:end], conf, option.alias_kind))
        return matches


def _by_confidence(o: _Option) -> float:
    return o.confidence


def _ambiguity_order(o: _Option) -> tuple[float, int]:
    return (-o.confidence, o.actor_id)


def _candidates(
    automaton: Automaton[tuple[tuple[_Option, ...], bool]], text: str, folded: str
) -> list[_Span]:
    """Automaton hits (in `folded`, text folded) on word boundaries, with the options that fit (case,
    surname rule)."""
    n = len(text)
    spans: list[_Span] = []
    # person -> end of its first non-surname hit. The automaton reports hits in order of their end, so a
    # full name that ends before a surname starts has always been seen by then.
    named: dict[int, int] = {}
    for start, end, (options, simple) in automaton.hits(folded):
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
            if (
                o.exact is None
                or original == o.exact
                or (
                    o.surname
                    and _deaccent(original) in (_deaccent(o.exact), _deaccent(_capitalized(o.exact)))
                )
            )
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


# -- rule 6: context ------------------------------------------------------------------------------------

_WEEKDAYS: Final = _words("monday tuesday wednesday thursday friday saturday sunday")
_MONTHS: Final = _words(
    "january february march april may june july august september october november december jan jan. feb feb. "
    "mar mar. apr apr. jun jul aug aug. sep sep. sept sept. oct oct. nov nov. dec dec."
)
# Capitalised words that do not make a neighbouring single word part of a longer proper name.
_NOT_NAME_PARTS: Final = (
    _WEEKDAYS
    | _MONTHS
    | _words(
        "president presidents prime premier minister ministers chancellor king queen emperor empress pope sultan "
        "emir sheikh sheikha prince princess crown secretary secretary-general general gen gen. mr mr. mrs mrs. "
        "ms ms. dr dr. senator sen. governor gov. vice foreign defence defense interior finance trade chief "
        "leader chairman chairwoman chair chairperson speaker ambassador envoy commissioner director "
        "director-general representative rep. lt. col. captain admiral marshal commander supreme ayatollah "
        "cardinal archbishop bishop father sir dame lord lady former acting interim transitional deputy first "
        "justice judge prosecutor spokesman spokeswoman spokesperson mayor officials official army navy military "
        "police government minister-president his her the a an in on at and but or as if when while for from to "
        "with by after before since under over meanwhile however then so yet also both neither nor still even "
        "only why how what where who whom whose which that this these those asked did does do has have had is was "
        "were are will would could should can may might must said says not no yes today yesterday tonight last "
        "next earlier later separately elsewhere unlike like although though because once until unless whether "
        "without within against between among amid despite during through toward towards upon about above across "
        "along around behind below beside beyond near off out past per via i we they he she it our their its my "
        "your all some many most several two three four five state affairs adviser advisor duke grand "
        "co-president taoiseach madam president-elect council commission ministry office cabinet parliament "
        "senate assembly court"
    )
)
_GOV_VERB_STEMS: Final = (
    "say says said saying agree agreed agrees agreeing warn warned warns warning announce announced announces "
    "announcing accuse accused accuses accusing deny denied denies denying reject rejected rejects rejecting "
    "condemn condemned condemns condemning insist insisted insists insisting claim claimed claims claiming "
    "respond responded responds responding retaliate retaliated retaliates retaliating demand demanded demands "
    "demanding urge urged urges urging threaten threatened threatens threatening refuse refused refuses refusing "
    "welcome welcomed welcomes welcoming sign signed signs signing impose imposed imposes imposing expel expelled "
    "expels expelling summon summoned summons summoning recall recalled recalls recalling approve approved approves "
    "approving launch launched launches launching send sent sends sending deploy deployed deploys deploying seek "
    "sought seeks seeking want wanted wants wanting hope hoped hopes hoping plan planned plans planning vow vowed "
    "vows vowing pledge pledged pledges pledging promise promised promises promising offer offered offers offering "
    "call called calls calling signal signalled signaled signals signalling signaling maintain maintained "
    "maintains maintaining argue argued argues arguing dismiss dismissed dismisses dismissing blame blamed blames "
    "blaming protest protested protests protesting criticize criticized criticizes criticizing criticise "
    "criticised criticises criticising push pushed pushes pushing press pressed presses pressing back backed backs "
    "backing support supported supports supporting oppose opposed opposes opposing object objected objects "
    "objecting recognize recognized recognizes recognizing recognise recognised recognises recognising decide "
    "decided decides deciding confirm confirmed confirms confirming acknowledge acknowledged acknowledges "
    "acknowledging decline declined declines declining state stated states stating tell told tells telling ask "
    "asked asks asking order ordered orders ordering ban banned bans banning sanction sanctioned sanctions "
    "sanctioning suspend suspended suspends suspending halt halted halts halting lift lifted lifts lifting extend "
    "extended extends extending block blocked blocks blocking veto vetoed vetoes vetoing vote voted votes voting "
    "invite invited invites inviting host hosted hosts hosting react reacted reacts reacting accept accepted "
    "accepts accepting negotiate negotiated negotiates negotiating seize seized seizes seizing annex annexed "
    "annexes annexing invade invaded invades invading recognize join joined joins joining leave left leaves "
    "leaving withdraw withdrew withdraws withdrawing withdrawn intend intended intends intending stay stayed "
    "stays staying keep kept keeps keeping continue continued continues "
    "continuing take took takes taking make made makes making show showed shown shows showing move moved moves "
    "moving fear feared fears fearing believe believed believes believing consider considered considers "
    "considering view viewed views viewing regard regarded regards prefer preferred prefers need "
    "needed needs needing expect expected expects expecting wish wished wishes tried try tries trying insist "
    "deepen deepened deepens deepening strengthen strengthened strengthens expand expanded expands cut cuts "
    "cutting raise raised raises raising increase increased increases lower lowered lowers scramble scrambled "
    "scrambles scrambling exchange exchanged exchanges exchanging reach reached reaches reaching appeal appealed "
    "appeals appealing brief briefed briefs briefing inform informed informs informing notify notified notifies "
    "respond retort retorted fired slammed slams slam lashed lashes rebuffed rebuffs rebuff countered counters "
    "counter hailed hails hail praised praises praise thanked thanks thank congratulated congratulates vetoes "
    "doubled doubles tripled ratified ratifies ratify endorsed endorses endorse rejected proposed proposes propose "
    "proposing suggested suggests suggest suggesting stressed stresses stress reiterated reiterates reiterate "
    "noted notes note added adds accuse releases released release freed frees free detained detains detain "
    "arrested arrests arrest pledged urged start started starts starting begin began begun begins "
    "help helped helps helping"
)
_GOV_VERBS: Final = _words(_GOV_VERB_STEMS)
_AUXILIARIES: Final = _words(
    "has have had will would could can may might must should shall did does do is was were are been being "
    "cannot can't won't wouldn't didn't doesn't don't hasn't haven't hadn't isn't wasn't aren't weren't"
)
_BE: Final = _words("is was were are been being isn't wasn't aren't weren't")
_FILLERS: Final = (
    _words(
        "also already again now then later previously earlier quickly swiftly promptly repeatedly publicly "
        "officially formally immediately strongly firmly reportedly still long never not yet once first last so "
        "far separately jointly too meanwhile however instead thus therefore in turn for its part which who that "
        "on this next late early yesterday today tonight week month year morning afternoon evening night weekend "
        "recently just soon openly privately quietly sharply angrily bluntly initially finally eventually "
        "apparently reportedly allegedly increasingly consistently"
    )
    | _WEEKDAYS
)
_READY: Final = _words(
    "ready willing prepared keen determined concerned opposed committed open reluctant unwilling eager "
    "unhappy furious angry confident satisfied disappointed alarmed worried expected likely unlikely set "
    "poised due able unable trying seeking looking pushing pressing planning considering weighing preparing "
    "working pursuing demanding insisting refusing threatening urging"
)
_PLACE_NOUNS: Final = _words(
    "mayor mayors residents resident inhabitants citizens people streets street metro subway underground "
    "airport airports outskirts suburbs suburb centre center downtown district districts neighbourhood "
    "neighborhood neighbourhoods neighborhoods skyline city population hospitals hospital schools traffic air "
    "weather restaurants restaurant cafes cafés bars parks park river old historic main central northern "
    "southern eastern western largest biggest oldest famous stock university universities zoo marathon "
    "museums museum police fire mayoral municipal mosque mosques cathedral churches square squares bridges "
    "bridge port harbour harbor waterfront hotels hotel housing property real rents buildings skyscrapers "
    "landmarks nightlife bus buses trams taxi taxis roads ring railway station stations train trains tube "
    "football club team fans governor province region regional suburbs apartment apartments homes houses "
    "markets market bazaar shops"
)
# Rule 6c, the words before a capital that make it a party: "<word> <preposition> Moscow" or "<verb> Moscow".
_RELATION_NOUNS: Final = _words(
    "ties relations relationship talks tension tensions rift rapprochement cooperation dialogue negotiations deal "
    "deals agreement agreements accord alliance partnership war conflict dispute standoff summit rivalry detente "
    "détente thaw feud row spat trade exchange exchanges mediation ceasefire truce treaty pact axis friendship "
    "hostility contacts channel channels hotline split confrontation competition gap"
)
_BEFORE_PREPOSITION: Final = {
    "with": _RELATION_NOUNS
    | _words(
        "engagement sided side sides siding aligned align allied cooperate cooperates cooperated cooperating "
        "negotiate negotiates negotiated negotiating engage engages engaged engaging broke break breaking sever "
        "severs severed severing normalise normalises normalised normalising normalize normalizes normalized "
        "normalizing reconcile reconciles reconciled reconciling dealing clash clashes clashed clashing coordinate "
        "coordinates coordinated coordinating agreed agree spoke speaks talk talks talked talking met meet meeting "
        "held holding work works worked working"
    ),
    "on": _words(
        "pressure sanctions tariffs embargo restrictions demands call calls called pressed pressing leaning lean "
        "rely relies relied reliance dependence dependent depends depend pressuring squeeze crackdown"
    ),
    "against": _words(
        "sanctions measures case lawsuit complaint campaign retaliation action actions aggression stance "
        "resolution warned sided turned united rallied rally unite war struggle fight retaliate retaliates "
        "retaliated retaliating"
    ),
    "to": _words(
        "aid support assistance arms weapons message letter warning appeal request concessions loyalty ultimatum "
        "offer proposal overture overtures gift loan loans credit ammunition missiles tanks jets blow setback "
        "threat challenge rebuke snub reply response answer pledge commitment obligation obligations envoy "
        "ambassador allegiance deference lifeline wrote write writes appealed signalled signaled responded replied"
    ),
    "from": _words(
        "pressure support aid assistance warning warnings response message signal signals demands threat threats "
        "backing help request reaction approval permission objection objections protest protests recognition "
        "invitation offer proposal funding loan loans weapons arms envoy envoys delegation officials diplomats "
        "negotiators statement word orders guarantees"
    ),
    "for": _words(
        "support backing aid assistance sympathy blow setback victory win boost defeat headache challenge "
        "embarrassment message warning concession concessions sanctions loyalty"
    ),
    "of": _words(
        "demand demands request requests ally allies partner partners enemy enemies adversary adversaries rival "
        "rivals approval blessing position policy policies stance interests ire wrath support backing critic critics "
        "criticism envoy envoys ambassador ambassadors representative representatives behalf side proxy proxies "
        "client pressure influence orbit decision response intentions claims account version view"
    ),
    "toward": _words(
        "defiance hostility attitude policy policies stance approach posture overture overtures gesture openness "
        "anger resentment scepticism skepticism shift pivot tilt"
    ),
}
_BEFORE_PREPOSITION["towards"] = _BEFORE_PREPOSITION["toward"]
# Verbs whose object a capital can be ("warned Moscow", "urged Beijing", "sent New Delhi a request").
_OBJECT_VERBS: Final = _words(
    "warn warned warns warning urge urged urges urging accuse accused accuses accusing press pressed presses "
    "pressing tell told tells telling ask asked asks asking criticize criticized criticizes criticizing criticise "
    "criticised criticises criticising condemn condemns condemned condemning blame blamed blames blaming back backs "
    "backed backing support supports supported supporting sanction sanctions sanctioned sanctioning punish punishes "
    "punished punishing reassure reassures reassured reassuring defy defied defies defying challenge challenges "
    "challenged challenging rebuke rebukes rebuked rebuking snub snubs snubbed snubbing thank thanks thanked "
    "thanking join joins joined joining confront confronts confronted confronting lobby lobbied lobbies lobbying "
    "persuade persuades persuaded persuading convince convinces convinced convincing push pushes pushed pushing "
    "court courts courted courting recognise recognises recognised recognising recognize recognizes recognized "
    "recognizing isolate isolates isolated isolating appease appeases appeased appeasing provoke provokes provoked "
    "provoking deter deters deterred deterring invite invites invited inviting inform informs informed informing "
    "notify notifies notified notifying brief briefs briefed briefing assure assures assured assuring remind "
    "reminds reminded reminding mediate mediates mediated mediating betray betrays betrayed betraying trust trusts "
    "trusted distrust distrusts distrusted oppose opposes opposed opposing help helps helped helping arm arms armed "
    "arming pressure pressures pressured pressuring threaten threatens threatened threatening praise praises "
    "praised praising hail hails hailed hailing welcome welcomes welcomed welcoming congratulate congratulates "
    "congratulated congratulating contact contacts contacted contacting approach approaches approached "
    "approaching answer answers answered answering send sent sends sending gave give gives giving offer offers "
    "offered offering hand hands handed handing promise promises promised promising owe owes owed"
)
_PLACE_PREPOSITIONS: Final = _words(
    "in at near outside inside around across throughout into toward towards via to from of over above under beyond "
    "within visit visited visiting visits reach reached reaching arrive arrived arriving left leave leaving fly flew "
    "flying flown travel travelled traveled travelling traveling return returned returning based headquartered born "
    "raised downtown central northern southern eastern western suburban greater east west north south"
)
_GOV_COMPOUND = re.compile(
    r"-(?:backed|led|allied|aligned|friendly|sponsored|brokered|funded|installed|appointed|controlled|imposed|style"
    r"|approved|supported|leaning|oriented|dominated|organi[sz]ed|initiated|proposed|drafted|mediated|ordered"
    r"|sanctioned|run)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?|[^\sA-Za-z]")
_LANGUAGE_BEFORE: Final = _words(
    "in into from speak speaks spoke speaking spoken fluent learn learning learned learnt teach taught "
    "translated translation"
)
_LANGUAGE_AFTER = re.compile(r"(?:-language|-speaking|\s+language|\s+speakers|\s+translation|\s+subtitles)\b")
_DATELINE_END = re.compile(r"(?:,|:|\s+\(|\s+[—–-]\s)")


def _context(
    text: str, chosen: list[tuple[_Span, _Option, float]], taken: list[tuple[int, int]]
) -> list[bool | None]:
    """Rule 6 for each chosen span: False = not a mention; True = a place metonym that acts; None = keep."""
    n = len(chosen)
    keep: list[bool | None] = [None] * n
    ends = {s[1] for s, _, _ in chosen}
    starts = {s[0] for s, _, _ in chosen}
    place_status: dict[int, int] = {}  # i -> +1 government, -1 place, 0 no evidence
    for i, ((start, end, _), option, _conf) in enumerate(chosen):
        if option.alias_kind == "abbreviation" and text.startswith("$", end):
            keep[i] = False
            continue
        if _is_dateline(text, start, end):
            keep[i] = False
            continue
        if option.bare:
            if _in_larger_name(text, start, end, starts, ends):
                keep[i] = False
                continue
            if option.actor_kind != _PERSON and _named_earlier_as_person(text, start, end, taken):
                keep[i] = False
                continue
        if option.alias_kind == "demonym" and _is_language(text, start, end, chosen, i):
            keep[i] = False
            continue
        if option.place:
            place_status[i] = _place_reading(text, start, end)
    # Coordination: "Pyongyang and Moscow signed", "Seoul and the United States said".
    changed = True
    while changed:
        changed = False
        for i, status in place_status.items():
            if status != 0:
                continue
            for j in (i - 1, i + 1):
                if not 0 <= j < n or keep[j] is False:
                    continue
                a, b = (chosen[j][0], chosen[i][0]) if j < i else (chosen[i][0], chosen[j][0])
                if not _COORDINATION.fullmatch(text, a[1], b[0]):
                    continue
                other = place_status.get(j)
                if other == 1 or (other is None and not chosen[j][1].place):
                    place_status[i] = 1
                    changed = True
                    break
    for i, status in place_status.items():
        keep[i] = status == 1
    return keep


def _is_dateline(text: str, start: int, end: int) -> bool:
    if start and text[start - 1] != "\n":
        return False
    word = text[start:end]
    if not word.isupper() or len(word) < 4:
        return False
    return _DATELINE_END.match(text, end) is not None


# A word's characters from the start of a word (not from inside one), taken whole (possessive: no
# backtracking into it), then the space before `start`: about a third of the cost of trying every
# position of the 40 characters before a hit (~0.9 against ~2.6 µs a call on generated articles).
_WORD_BEFORE = re.compile(r"(?<![\w'’.-])([\w'’.-]++) $")
_WORD_AFTER = re.compile(r" ([\w'’-]+)")


def _word_before(text: str, start: int) -> tuple[int, str]:
    """The word right before ``start`` when a single space separates them, else (start, "")."""
    if start < 2 or text[start - 1] != " ":
        return start, ""
    # A word that starts before the 40-character window is not matched from inside it: no word, as the
    # test of the character before a match (below) decides for a match cut at the window's start.
    m = _WORD_BEFORE.search(text, max(0, start - 40), start)
    if m is None or (m.start() and not text[m.start() - 1].isspace() and text[m.start() - 1] not in '("“'):
        return start, ""
    return m.start(1), m.group(1)


def _word_after(text: str, end: int) -> str:
    m = _WORD_AFTER.match(text, end)
    return m.group(1) if m else ""


def _is_name_part(word: str) -> bool:
    if word.endswith((".", ",", ";", ":", "!", "?")):
        return False  # the end of a sentence or clause (titles such as "Mr." are listed anyway)
    return (
        len(word) > 1
        and word[0].isupper()
        and any(c.islower() for c in word)
        and word.lower().rstrip("'’s") not in _NOT_NAME_PARTS
        and word.lower() not in _NOT_NAME_PARTS
    )


def _in_larger_name(text: str, start: int, end: int, starts: set[int], ends: set[int]) -> bool:
    """Rule 6b: a capitalised non-title word right before or after ("Paris Hilton", "Denzel Washington")."""
    k, before = _word_before(text, start)
    if before and k not in starts and (start - 1) not in ends and _is_name_part(before):
        return True
    after = _word_after(text, end)
    return bool(after) and (end + 1) not in starts and _is_name_part(after)


def _named_earlier_as_person(text: str, start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    """Rule 6b: "Lewis Hamilton ... Hamilton": the word was part of a longer name earlier in the text."""
    surface = text[start:end]
    pos = text.find(surface, 0, start)
    while pos != -1:
        after = pos + len(surface)
        if (not pos or not text[pos - 1].isalnum()) and (after >= len(text) or not text[after].isalnum()):
            k, before = _word_before(text, pos)
            if before and _is_name_part(before) and not _overlaps(taken, k, pos - 1):
                return True
            neighbour = _word_after(text, after)
            if (
                neighbour
                and _is_name_part(neighbour)
                and not _overlaps(taken, after + 1, after + 1 + len(neighbour))
            ):
                return True
        pos = text.find(surface, pos + 1, start)
    return False


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """Is this word part of a name the gazetteer knows ("Washington Post", "Santiago Peña")?"""
    return any(s < end and start < e for s, e in taken)


def _is_language(text: str, start: int, end: int, chosen: list[tuple[_Span, _Option, float]], i: int) -> bool:
    """Rule 6d: "in Russian.", "spoke in Italian and Spanish", "Russian-language"."""
    if _LANGUAGE_AFTER.match(text, end):
        return True
    _k, before = _word_before(text, start)
    before = before.lower()
    if before in ("and", "or") and i > 0:
        prev_span, prev_option, _ = chosen[i - 1]
        if prev_option.alias_kind == "demonym" and text[prev_span[1] : start].strip() in (
            "and",
            "or",
            ", and",
        ):
            return _is_language(text, prev_span[0], prev_span[1], chosen, i - 1)
        return False
    if before not in _LANGUAGE_BEFORE:
        return False
    rest = text[end : end + 12]
    return not rest or rest[0] in '.,;:)!?"”' or re.match(r"\s+(?:and|or)\s+[A-Z]", rest) is not None


def _party_before(before: str) -> bool:
    """Rule 6c: do the words before make the capital a party ("talks between", "ties with", "warned")?"""
    if before.endswith(("pro-", "anti-", "Pro-", "Anti-")):
        return True
    words = before.lower().split()[-6:]
    if not words or not before[-1:].isspace():
        return False
    last = words[-1]
    if last == "between":
        return any(w in _RELATION_NOUNS for w in words[-5:-1])
    if last == "by":
        return len(words) > 1 and words[-2].endswith(("ed", "en"))
    if last in _BEFORE_PREPOSITION:
        return len(words) > 1 and words[-2] in _BEFORE_PREPOSITION[last]
    return last in _OBJECT_VERBS


def _place_reading(text: str, start: int, end: int) -> int:
    """Rule 6c for a place metonym: +1 it acts for its government, -1 it is a place, 0 no evidence."""
    before = text[max(0, start - 60) : start]
    if _party_before(before):
        return 1
    after = text[end : end + 100]
    if after[:1] in ("'", "’") and (after[1:2] in ("s", " ") or not after[1:2]):
        words = _WORD.findall(after[2:40])
        nxt = words[0].lower() if words else ""
        return -1 if nxt in _PLACE_NOUNS else 1
    if _GOV_COMPOUND.match(after):
        return 1
    last = before.rsplit(None, 1)[-1].lower() if before.strip() and before[-1:].isspace() else ""
    if after.startswith("-based") or last in _PLACE_PREPOSITIONS:
        return -1
    return 1 if _acts(after) else 0


def _acts(after: str) -> bool:
    """Does a verb of saying or acting follow, past auxiliaries, adverbs, time phrases and parentheses?"""
    be = False
    commas = 0
    for token in _WORD.findall(after)[:12]:
        low = token.lower().replace("’", "'")
        if token == ",":
            commas += 1
            if commas > 2:
                return False
            continue
        if not token[0].isalpha():
            return False
        if low in _AUXILIARIES:
            be = be or low in _BE
            continue
        if low in _FILLERS or low in _MONTHS or token.isdigit():
            continue
        if be:
            return low in _READY or (low.endswith("ing") and low in _GOV_VERBS)
        return low in _GOV_VERBS
    return False
