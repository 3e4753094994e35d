"""Snippets: <mark> around exactly the words the index matches, escaped text, the best window."""

from __future__ import annotations

from app.search.engine import Highlighter, snippets
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
    from sqlalchemy import select

    from app.models import Article

    with world.sync.connect() as conn:
        rows = conn.execute(
            select(Article.id, Article.title, Article.body).where(Article.id.in_([h.id for h in hits]))
        ).all()
    out = snippets(q, {i: (t, b) for i, t, b in rows})
    assert set(out) == {h.id for h in hits}
    assert all("<mark>" in v for v in out.values())
