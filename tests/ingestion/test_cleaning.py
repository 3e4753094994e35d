"""clean_text: the real seed article, HTML input, debris rules and hard-wrap repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ingestion.cleaning import clean_text, looks_like_html

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "nk-russia-nato-ip4.txt"
SEED_TITLE = (
    "North Korea May Be Providing Civilian, Not Military, Support to Russia, Says South Korean Official"
)


@pytest.fixture(scope="module")
def seed_raw() -> str:
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED}")
    return SEED.read_text(encoding="utf-8")


def _expected_seed_body(raw: str) -> str:
    """The seed body built by hand from the raw file: the two known wrap breaks repaired, the
    debris blocks (first one, last two) and the title removed."""
    fixed = raw.replace("of the In\ndo-Pacific", "of the Indo-Pacific").replace("he\nstated.", "he stated.")
    blocks = [b.strip() for b in fixed.split("\n\n") if b.strip()]
    assert blocks[0] == "spot_imgspot_img" and blocks[1] == SEED_TITLE
    assert blocks[-2:] == ["Get in Touch", "Latest Posts"]
    return "\n\n".join(blocks[2:-2])


def test_seed_article_cleans_to_the_body(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw, title=SEED_TITLE)
    assert cleaned == _expected_seed_body(seed_raw)
    assert cleaned.startswith("BRUSSELS: North Korea might be supporting Russia")
    assert cleaned.endswith("cybersecurity and disinformation.")
    assert "the Indo-Pacific partners" in cleaned
    assert "evaluated,” he stated." in cleaned
    for debris in ("spot_img", "Get in Touch", "Latest Posts", SEED_TITLE):
        assert debris not in cleaned
    paragraphs = cleaned.split("\n\n")
    assert len(paragraphs) == 5
    assert all("\n" not in p and "  " not in p and p == p.strip() for p in paragraphs)


def test_seed_article_without_title_keeps_the_title_line(seed_raw: str) -> None:
    cleaned = clean_text(seed_raw)
    assert cleaned.split("\n\n")[0] == SEED_TITLE
    assert cleaned.split("\n\n", 1)[1] == _expected_seed_body(seed_raw)


def test_cleaning_is_idempotent(seed_raw: str) -> None:
    once = clean_text(seed_raw, title=SEED_TITLE)
    assert clean_text(once, title=SEED_TITLE) == once


HTML_PAGE = """<!DOCTYPE html>
<html><head><title>Ignored</title><style>p { color: red }</style>
<script>var tracking = "North Korea";</script></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<header class="site-header"><a href="/">The Daily Example</a></header>
<article>
  <h1>Seoul warns of   troop deployment</h1>
  <p>SEOUL: South Korea&#8217;s defence ministry said on <b>Thursday</b>
     that it was&nbsp;monitoring the situation &amp; would respond.</p>
  <figure><img src="a.jpg" alt="soldiers"><figcaption>Soldiers at the border. Photo: AP</figcaption></figure>
  <p>Advertisement</p>
  <p>Officials listed three concerns:</p>
  <ul><li>troop numbers</li><li>weapons transfers</li></ul>
  <p>First line<br>second line</p>
  <div class="share">Facebook Twitter WhatsApp Telegram</div>
  <p>We use cookies to improve your experience. By continuing you accept our cookie policy.</p>
</article>
<aside><h3>Related Posts</h3><p>Another story</p></aside>
<form><input name="email"><button>Subscribe</button></form>
<footer><p>© 2024 The Daily Example. All rights reserved.</p></footer>
<noscript>Enable JavaScript</noscript>
</body></html>
"""


def test_html_is_converted_with_paragraph_boundaries() -> None:
    assert looks_like_html(HTML_PAGE)
    cleaned = clean_text(HTML_PAGE, title="Seoul warns of troop deployment")
    assert cleaned == (
        "SEOUL: South Korea’s defence ministry said on Thursday that it was monitoring the situation"
        " & would respond.\n\n"
        "Officials listed three concerns:\n\n"
        "troop numbers\n\n"
        "weapons transfers\n\n"
        "First line\n\n"
        "second line"
    )


def test_html_fragment_without_body_tag() -> None:
    assert clean_text("<p>One &lt;two&gt;</p><p>Three</p>") == "One <two>\n\nThree"


def test_plain_text_with_angle_brackets_is_not_html() -> None:
    text = "Turnout was <50% in the north and >60% in the south."
    assert not looks_like_html(text)
    assert clean_text(text) == text


def test_entities_in_plain_text_are_decoded() -> None:
    assert clean_text("AT&amp;T and Procter &#38; Gamble") == "AT&T and Procter & Gamble"
    assert clean_text("AT&T stays") == "AT&T stays"


@pytest.mark.parametrize(
    "line",
    [
        "spot_imgspot_img",
        "Get in Touch",
        "Latest Posts",
        "Share this:",
        "SHARE THIS ARTICLE",
        "Subscribe",
        "Read more",
        "Read more: Seoul and Tokyo hold talks",
        "Related Posts",
        "Advertisement",
        "ADVERTISEMENT - SCROLL TO CONTINUE",
        "[image]",
        "[Photo: soldiers at the border]",
        "Image: Reuters",
        "Photo credit: AP/Ahn Young-joon",
        "Facebook Twitter WhatsApp Telegram Email",
        "Facebook | Twitter | LinkedIn",
        "We use cookies to give you the best experience on our website.",
        "By continuing to use this site, you agree to our use of cookies.",
        "Tags: North Korea, Russia",
        "5 min read",
        "© 2024 Example Media Ltd",
        "Follow us on Telegram",
        "Sign up for our daily newsletter",
    ],
)
def test_debris_lines_are_removed(line: str) -> None:
    assert (
        clean_text(f"First paragraph.\n\n{line}\n\nSecond paragraph.")
        == "First paragraph.\n\nSecond paragraph."
    )


@pytest.mark.parametrize(
    "paragraph",
    [
        "Facebook and Twitter removed the accounts, officials said.",
        "Subscribers to the service were told to read more carefully.",
        "Photos released by the ministry showed the launch site.",
        "The advertisement campaign was paid for by the embassy.",
        "Share prices fell in Seoul.",
    ],
)
def test_content_that_resembles_debris_is_kept(paragraph: str) -> None:
    assert clean_text(f"Intro.\n\n{paragraph}") == f"Intro.\n\n{paragraph}"


def test_debris_glued_to_text_is_removed() -> None:
    assert clean_text("spot_imgspot_imgNorth Korea said") == "North Korea said"


def test_title_only_dropped_when_leading() -> None:
    text = "Body starts here.\n\nTitle Line"
    assert clean_text(text, title="Title Line") == text
    assert clean_text("TITLE  line:\n\nBody.", title="Title line") == "Body."
    assert clean_text("Advertisement\n\nTitle line\nBody.", title="Title line") == "Body."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("he\nstated.", "he stated."),
        ("of the In\ndo-Pacific partners", "of the Indo-Pacific partners"),
        ("He said. In\ndoing so", "He said. In doing so"),
        ("defen-\nse", "defense"),
        ("Kim Seon-\nho said", "Kim Seon-ho said"),
        ("the Indo-\nPacific", "the Indo-Pacific"),
        ("Pacif\nic partners", "Pacific partners"),
        ("U\nkraine", "Ukraine"),
        ("A\nman", "A man"),
        ("to\nthe", "to the"),
        ("a line that ends\nand another that starts", "a line that ends and another that starts"),
        ("the U.S.\nsaid", "the U.S. said"),
        ("the UN\nsaid", "the UN said"),
        ("in 2019\nthe", "in 2019 the"),
        ("Russia\nsaid", "Russia said"),
        ("list:\n- one\n- two", "list:\n\n- one\n\n- two"),
        ("soft\u00ad\nhyphen and in\u00advisible", "softhyphen and invisible"),
    ],
)
def test_hard_wrap_repair(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_whitespace_and_paragraphs_are_normalised() -> None:
    raw = "  One\u00a0 two\t three  \r\n\r\n\r\n\n  Four\u200b five \u2028six  \n\n\n"
    assert clean_text(raw) == "One two three\n\nFour five six"


def test_unicode_is_nfc() -> None:
    assert clean_text("Cafe\u0301 in Mu\u0308nchen") == "Café in München"


def test_empty_and_debris_only_input() -> None:
    assert clean_text("") == ""
    assert clean_text("   \n\n ") == ""
    assert clean_text("spot_imgspot_img\n\nGet in Touch\n\nLatest Posts") == ""
