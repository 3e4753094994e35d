"""Turn scraped article text (plain or HTML) into a clean body.

Everything expensive (regexes, the debris rules, translation tables) is built once at import; a call
does a handful of C-level passes over the text plus one Python step per line.

Output contract: Unicode NFC, paragraphs separated by exactly ``"\\n\\n"``, no newline inside a
paragraph, single spaces, no leading/trailing whitespace.

Hard-wrap repair (a single newline inside a paragraph), decided per line break, first rule wins:

1. the line ends with ``letter-`` (e.g. ``defen-`` / ``Seon-``): join without a space; the hyphen is
   dropped when the fragment before it is lowercase and the next line starts lowercase
   (``defen-\\nse`` -> ``defense``), kept otherwise (``Indo-\\nPacific``, ``Seon-\\nho``).
2. the next line starts with a lowercase letter and the break splits a word, i.e. one of:
   a. the last token of the line is 1-2 letters, lowercase, and not a common short word
      (``COMMON_SHORT_WORDS``: "he", "in", "a", "to", ...);
   b. the last token is 1-2 letters, Title-case, and not at a sentence start (the token before it does
      not end a sentence): a capitalised "In" in mid-sentence is a proper noun's first letters, so
      ``the In\\ndo-Pacific`` -> ``the Indo-Pacific``; a single capital other than "A"/"I" always joins;
   c. the first token of the next line is 1-2 lowercase letters, not a common short word, followed by a
      non-letter (``Pacif\\nic partners`` -> ``Pacific partners``).
3. otherwise the newline becomes a space (``he\\nstated.`` -> ``he stated.``).

Bullet lines ("- ", "* ", "• ", "1. ") start a new paragraph instead of being joined.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path
from typing import Final

from selectolax.lexbor import LexborHTMLParser

__all__ = ["COMMON_SHORT_WORDS", "clean_text", "looks_like_html"]

_RULES_PATH: Final = Path(__file__).with_name("debris_rules.json")

# Words of one or two letters that are complete English words: a line ending in one of these is a
# normal line break, not a split word.
COMMON_SHORT_WORDS: Final[frozenset[str]] = frozenset(
    {
        "a", "i", "o", "ah", "am", "an", "as", "at", "ax", "be", "by", "do", "eh", "go", "ha", "he",
        "hi", "ho", "if", "in", "is", "it", "me", "my", "no", "of", "oh", "ok", "on", "or", "ox", "so",
        "to", "up", "us", "vs", "we", "ye",
    }
)  # fmt: skip

_SENTENCE_END: Final = frozenset(".!?:;\"'”’)»")

# Every HTML element name: a text holding one of these as a tag (``<code>``, ``</em>``, ``<br/>``) is markup.
_HTML_ELEMENTS: Final = (
    "!doctype|!--|a|abbr|address|area|article|aside|audio|b|base|bdi|bdo|blockquote|body|br|button|canvas|"
    "caption|center|cite|code|col|colgroup|data|dd|del|details|dfn|dialog|div|dl|dt|em|embed|fieldset|"
    "figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|label|legend|"
    "li|link|main|map|mark|menu|meta|meter|nav|noscript|object|ol|optgroup|option|output|p|param|picture|"
    "pre|progress|q|rp|rt|ruby|s|samp|script|section|select|small|source|span|strike|strong|style|sub|"
    "summary|sup|svg|table|tbody|td|template|textarea|tfoot|th|thead|time|title|tr|track|tt|u|ul|var|video|wbr"
)
_HTML_HINT = re.compile(rf"</?(?:{_HTML_ELEMENTS})[\s/>]", re.IGNORECASE)
_BLOCK_TAG = re.compile(
    r"<(/?)(p|div|br|hr|h[1-6]|li|ul|ol|dl|dt|dd|tr|td|th|table|thead|tbody|blockquote|pre|article|"
    r"section|main|header|footer|aside|nav|figure|figcaption|address|details|summary|center)(?=[\s/>])",
    re.IGNORECASE,
)
_DROP_TAGS: Final = [
    "head", "script", "style", "noscript", "template", "nav", "footer", "aside", "form", "figure",
    "figcaption", "iframe", "svg", "canvas", "button", "select", "textarea", "input", "label", "header",
    "object", "embed", "video", "audio", "picture", "dialog", "menu",
]  # fmt: skip
_BLOCK_MARK: Final = "\ue000"  # private-use char: paragraph boundary while converting HTML
_DROP_HYPHEN: Final = "\x00"  # _join_wrapped's answer for "join and drop the line-end hyphen"

_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_INVISIBLE: Final = ("\u200b", "\u2060", "\ufeff")
_BULLET = re.compile(r"(?:[-*•◦▪‣·]|\d{1,3}[.)])\s")
_EDGE_PUNCT: Final = " \t:.·•|»›>-–—*#…!_~"


def _norm_line(line: str) -> str:
    return " ".join(line.casefold().split()).strip(_EDGE_PUNCT)


class _DebrisRules:
    """The rules of debris_rules.json, compiled once (see the comment at the top of that file)."""

    __slots__ = ("exact", "exact_max_len", "line_re", "keyword_res", "pattern_max_len", "inline")

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.exact = frozenset(_norm_line(s) for s in data.get("exact_lines", ()))
        # A line much longer than the longest exact rule cannot equal one: don't normalise it.
        self.exact_max_len = 2 * max((len(s) for s in self.exact), default=0) + 8
        # Patterns run on the lowercased line without re.IGNORECASE, which is ~2x faster.
        patterns = data.get("line_patterns", ())
        self.line_re = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self.keyword_res: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
            (rule["keyword"].lower(), re.compile(rule["pattern"]))
            for rule in data.get("keyword_patterns", ())
        )
        self.pattern_max_len = int(data.get("max_pattern_line_length", 300))
        self.inline: tuple[str, ...] = tuple(s for s in data.get("inline_strings", ()) if s)

    def is_debris(self, line: str) -> bool:
        n = len(line)
        if n <= self.exact_max_len and _norm_line(line) in self.exact:
            return True
        if n > self.pattern_max_len:
            return False
        low = line.lower()
        if self.line_re is not None and self.line_re.fullmatch(low) is not None:
            return True
        return any(kw in low and rx.fullmatch(low) is not None for kw, rx in self.keyword_res)


_RULES: Final = _DebrisRules(_RULES_PATH)


def looks_like_html(text: str) -> bool:
    """True when the text contains at least one common HTML tag."""
    return "<" in text and _HTML_HINT.search(text) is not None


def _html_to_text(markup: str) -> str:
    # Mark every block boundary with a private-use character before parsing, so that a single C-level
    # text() call yields the text with paragraph boundaries (no Python walk over the DOM).
    marked = _BLOCK_TAG.sub(lambda m: _BLOCK_MARK + m.group(0), markup)
    tree = LexborHTMLParser(marked)
    tree.strip_tags(_DROP_TAGS, recursive=True)
    body = tree.body
    if body is None:
        return ""
    text = body.text(deep=True, separator="", strip=False)
    # HTML whitespace is not significant: only the marks separate paragraphs.
    parts = (" ".join(p.split()) for p in text.split(_BLOCK_MARK))
    return "\n\n".join(p for p in parts if p)


def _leading_letters(s: str) -> str:
    i = 0
    n = len(s)
    while i < n and s[i].isalpha():
        i += 1
    return s[:i]


def _trailing_letters(s: str) -> str:
    i = len(s)
    while i > 0 and s[i - 1].isalpha():
        i -= 1
    return s[i:]


def _join_wrapped(prev: str, nxt: str) -> str:
    """The separator to put between two lines of one paragraph ("", " " or ``_DROP_HYPHEN``): see the
    module docstring. Only the previous line is looked at, so a paragraph is joined in linear time."""
    last = prev[-1]
    first = nxt[0]
    if last == "-" and len(prev) > 1 and prev[-2].isalpha():
        # "defen-" + "se" loses the hyphen; "Seon-" + "ho" and "Indo-" + "Pacific" keep it.
        return _DROP_HYPHEN if _trailing_letters(prev[:-1]).islower() and first.islower() else ""
    if not (first.islower() and last.isalpha()):
        return " "
    tail = _trailing_letters(prev)
    before = prev[: len(prev) - len(tail)]
    if before and not before[-1].isspace():
        tail = ""  # "U.S.\n..." or "3a": not a plain word fragment
    if tail and len(tail) <= 2:
        if tail.islower():
            if tail not in COMMON_SHORT_WORDS:
                return ""
        elif len(tail) == 1:
            if tail not in ("A", "I"):
                return ""
        elif tail[0].isupper() and tail[1].islower():
            stripped = before.rstrip()
            if stripped and stripped[-1] not in _SENTENCE_END:
                return ""
    head = _leading_letters(nxt)
    if (
        len(head) <= 2
        and head.islower()
        and head not in COMMON_SHORT_WORDS
        and (len(head) == len(nxt) or not nxt[len(head)].isalpha())
    ):
        return ""
    return " "


def _paragraph(lines: list[str]) -> str:
    if len(lines) == 1:
        return lines[0]
    parts = [lines[0]]
    prev = lines[0]
    for line in lines[1:]:
        sep = _join_wrapped(prev, line)
        if sep == _DROP_HYPHEN:
            parts[-1] = parts[-1][:-1]
        elif sep:
            parts.append(sep)
        parts.append(line)
        prev = line
    return "".join(parts)


def clean_text(raw: str, *, title: str | None = None, plain: bool = False) -> str:
    """Clean one scraped article body; drop a leading line equal to ``title`` when given. ``plain``: the
    text is already plain (extracted from a page), so a "<" or "&" in it is text, not markup."""
    if not raw:
        return ""
    text = raw if unicodedata.is_normalized("NFC", raw) else unicodedata.normalize("NFC", raw)
    if plain:
        pass
    elif looks_like_html(text):
        text = _html_to_text(text)
    elif "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    # Membership tests and replace() run at C speed; a regex or translate() over the text does not.
    for s in _INVISIBLE:
        if s in text:
            text = text.replace(s, "")
    if "\u00ad" in text:
        # A soft hyphen at a line end is a hyphenation point; anywhere else it is invisible.
        text = text.replace("\u00ad\r\n", "").replace("\u00ad\n", "").replace("\u00ad", "")
    for s in _RULES.inline:
        if s in text:
            text = text.replace(s, "")

    title_key = _norm_line(title) if title else ""
    title_max_len = 2 * len(title_key) + 8
    paragraphs: list[str] = []
    current: list[str] = []
    seen_content = False
    # splitlines() knows every Unicode line break and split() every Unicode space.
    for raw_line in text.splitlines():
        line = " ".join(raw_line.split())
        if not line or _RULES.is_debris(line):
            if current:  # a debris line also ends the paragraph it interrupts
                paragraphs.append(_paragraph(current))
                current = []
            continue
        if not seen_content:
            seen_content = True
            if title_key and len(line) <= title_max_len and _norm_line(line) == title_key:
                continue
        if current and _BULLET.match(line):
            paragraphs.append(_paragraph(current))
            current = []
        current.append(line)
    if current:
        paragraphs.append(_paragraph(current))
    return "\n\n".join(paragraphs)
