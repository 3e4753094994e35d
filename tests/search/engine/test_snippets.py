"""Snippets: <mark> around exactly the words the index matches, escaped text, the best window."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from app.models import Article
from app.search.engine import Highlighter, snippets
from app.search.engine.snippets import _WORD, MAX_WINDOWS, SNIPPET_TOKENS, STEM_TAIL
from app.search.engine.translate import analyze
from app.search.query import parse


def test_marks_stemmed_words_and_prefixes():
    h = Highlighter(parse("sanctions negot*"))
    out = h.snippet("New sanctioned banks; the Negotiators met. Sanctions again.")
    assert out is not None
    assert "<mark>sanctioned</mark>" in out and "<mark>Negotiators</mark>" in out
    assert "<mark>Sanctions</mark>" in out and "<mark>banks</mark>" not in out


def test_excluded_terms_are_not_marked_and_text_is_escaped():
    h = Highlighter(parse('"ceasefire talks" -drone'))
    out = h.snippet("A <b>drone</b> hit & the ceasefire talks stalled.")
    assert (
        out == "A &lt;b&gt;drone&lt;/b&gt; hit &amp; the <mark>ceasefire</mark> <mark>talks</mark> stalled."
    )


def test_window_prefers_more_distinct_terms():
    words = " ".join(f"w{i}" for i in range(60))
    text = f"oil {words} wheat and oil together here {words}"
    out = Highlighter(parse("wheat OR oil")).snippet(text, tokens=8)
    assert out is not None and out.startswith("…") and out.endswith("…")
    assert "<mark>wheat</mark>" in out and "<mark>oil</mark>" in out


def test_snippets_fall_back_to_title_then_lead():
    got = snippets(
        parse("summit"), {1: ("Summit opens", "Leaders arrived."), 2: ("Other", "Nothing here at all.")}
    )
    assert got[1] == "<mark>Summit</mark> opens"
    assert got[2] == "Nothing here at all."


def test_snippets_for_a_page_of_real_hits(world):
    q = parse("sanctions")
    hits = world.reader.search(q, limit=20).hits
    with world.sync.connect() as conn:
        rows = conn.execute(
            select(Article.id, Article.title, Article.body).where(Article.id.in_([h.id for h in hits]))
        ).all()
    out = snippets(q, {i: (t, b) for i, t, b in rows})
    assert set(out) == {h.id for h in hits}
    assert all("<mark>" in v for v in out.values())


# -- the candidate scan gives what tokenising every word gives ---------------------------------------------


def _reference(h: Highlighter, text: str, tokens: int = SNIPPET_TOKENS) -> str | None:
    """The straightforward snippet: every word tokenised and stemmed, a window tried from each hit."""
    words = list(_WORD.finditer(text))
    terms = [h._match(m.group()) for m in words]
    hits = [i for i, t in enumerate(terms) if t is not None]
    if not hits:
        return None
    best, best_key = 0, (-1, -1)
    for first in hits[:MAX_WINDOWS]:
        start = max(0, min(first - 2, len(words) - tokens))
        inside = [terms[i] for i in hits if start <= i < start + tokens]
        key = (len(set(inside)), len(inside))
        if key > best_key:
            best, best_key = start, key
    window = words[best : best + tokens]
    out = ["…"] if best > 0 else []
    pos = window[0].start() if best > 0 else 0
    for k, m in enumerate(window):
        out.append(html.escape(text[pos : m.start()], quote=False))
        word = html.escape(m.group(), quote=False)
        out.append(f"<mark>{word}</mark>" if terms[best + k] is not None else word)
        pos = m.end()
    out.append("…" if best + tokens < len(words) else html.escape(text[pos:], quote=False))
    return "".join(out).strip()


TRICKY = [
    "Dying lying TYING vying skies skis ability possibility generalization, hopefully happiness.",
    "Pétrole and pétroles; naïve façade — “Erdoğan” met Zelenskyy’s team at the summit_2024 (summits).",
    "İstanbul summit: the İİİ delegation summited.",  # lower case is longer: offsets would shift
    "summit",
    "  summit  ",
    "x " * 40 + "summit at the very end",
    "summit " * 100,
    "no match at all here",
    "",
    "sanctioned sanctioning Sanctions SANCTIONS un_sanctioned pre-sanctions 2024sanctions",
    # a short stem's head ("a", "t") makes most words candidates; substrings must not count as hits
    "And the band and Bosnia-and-Herzegovina handled it; AND teas, tea and steam. and",
    "Tea—tea·tea,tea teatime tea.",
]


@pytest.mark.parametrize(
    "q",
    [
        "summit",
        "sanctions",
        "die OR lie",
        "ability possible",
        "general*",
        "petrole",
        "zelenskyy",
        "s*",
        '"Bosnia and Herzegovina"',
        "tea",
        "a*",
    ],  # fmt: skip
)
def test_candidate_scan_equals_tokenising_everything(q, world):
    h = Highlighter(parse(q))
    with world.sync.connect() as conn:
        bodies = [b for (b,) in conn.execute(select(Article.body).limit(150))]
    for text in TRICKY + bodies:
        for tokens in (4, SNIPPET_TOKENS):
            assert h.snippet(text, tokens) == _reference(h, text, tokens), (q, text[:80])


def test_word_heads_hold_for_stemming_hard_cases():
    """Porter2 keeps all but the last two letters of a stem as the word's first letters: the premise of
    the candidate scan (dying -> die breaks it for one letter, not for two)."""
    words = TRICKY[0].replace(",", "").replace(".", "").split() + [
        "relational", "sensitivity", "agreed", "feeding", "hoping", "hopped", "activities", "rationalization",
        "conditionally", "predictability", "vulnerability", "electricity", "organizational", "nationality",
    ]  # fmt: skip
    for w in words:
        (stem,) = analyze(w)
        assert w.lower().startswith(stem[: max(1, len(stem) - STEM_TAIL)]), (w, stem)
    assert not all(w.lower().startswith(analyze(w)[0][:-1]) for w in words)  # one letter is not enough


def test_text_end_is_where_the_trailing_non_word_characters_begin():
    """`_text_end` walks back over `not str.isalnum()` characters: what the regex `[\\W_]*+\\Z` finds, on
    random strings of letters, digits, numerals, combining and zero-width marks, underscores, spaces and
    punctuation."""
    import random
    import re

    from app.search.engine.snippets import _text_end

    trailing = re.compile(r"[\W_]*+\Z")
    rng = random.Random(7)
    alphabet = "ab _.,!é1٣Ⅻ\u0301\u200b\n\t-…"
    texts = ["", " ", "end.", "x_", "naïve…", "Ⅻ", "a\u0301"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(12))) for _ in range(5000)]
    for text in texts:
        m = trailing.search(text)
        assert _text_end(text) == (m.start() if m else len(text)), repr(text)
