"""Main-text extraction (trafilatura) on the real news pages of tests/data/pages, and the pipeline's
precedence between what a client declares and what a page says."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ingestion.cleaning import clean_text
from app.ingestion.extract import ExtractionError, extract, is_whole_document
from app.ingestion.linker import Gazetteer
from app.ingestion.pipeline import ArticleInput, prepare

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
DW_URL = "https://www.dw.com/en/berlin-confronts-germanys-colonial-past-with-new-initiative/a-52060881"


def _html(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode("utf-8", "replace")


def _dw() -> str:
    return _html(PAGES / "trafilatura" / "dw.com.colonial.html.gz")


def _expected_pages() -> list[tuple[str, str, str]]:
    """(name, html, expected main text) of every page with an expected text."""
    out = []
    expected = json.loads((PAGES / "scrapinghub" / "expected.json").read_text(encoding="utf-8"))
    for key, item in sorted(expected.items()):
        out.append((key, _html(PAGES / "scrapinghub" / f"{key}.html.gz"), item["articleBody"]))
    for key, item in json.loads((PAGES / "annotated.json").read_text(encoding="utf-8")).items():
        out.append((key, _html(PAGES / item["file"]), item["articleBody"]))
    return out


def _words(text: str) -> Counter[str]:
    return Counter(w.casefold() for w in re.findall(r"\w+", text))


def test_every_real_page_is_a_whole_document() -> None:
    paths = sorted((PAGES / "scrapinghub").glob("*.html.gz")) + sorted((PAGES / "trafilatura").glob("*.gz"))
    assert len(paths) >= 40
    for path in paths:
        assert is_whole_document(_html(path)), path.name


@pytest.mark.parametrize(
    "body",
    [
        "",
        "Officials in Seoul and Tokyo met in Canberra.",
        "<p>Officials in Seoul and Tokyo met in Canberra.</p><p>They talked.</p>",
        "<code>&lt;br /></code>",
        "<div class='story'><h2>Kyiv warns</h2><p>Kyiv said Pyongyang was sending troops.</p></div>",
        "Use <html> tags to start a page, the tutorial said.",
    ],
)
def test_fragments_and_text_are_not_documents(body: str) -> None:
    assert not is_whole_document(body)


def test_a_document_without_doctype_but_with_head_and_body_is_one() -> None:
    assert is_whole_document("<!-- saved --><head><title>x</title></head><body><p>Text</p></body>")
    assert is_whole_document("\ufeff<?xml version='1.0'?>\n<!DOCTYPE html><html><body>x</body></html>")


def test_dw_page_keeps_the_article_and_drops_menus_and_banners() -> None:
    page = extract(_dw(), DW_URL)
    assert page.title == "Berlin confronts Germany's colonial past with new initiative"
    assert page.published == datetime(2020, 1, 19)
    assert page.language == "en"
    assert page.author == "Deutsche Welle"
    assert page.text.startswith("The German capital has launched a five-year project")
    for passage in ("Freedom fighters replace colonial leaders", "Right-wing resistance"):
        assert passage in page.text
    # The language picker, the cookie banner and the related videos are gone; the cleaner's debris rules
    # then drop the "Read more:" lines inside the article.
    for debris in ("Albanian", "Bulgarian", "Shqip", "We use cookies", "Namibians want Germany"):
        assert debris not in page.text
    body = clean_text(page.text, title=page.title, plain=True)
    assert "Read more:" in page.text and "Read more:" not in body
    # The fragment cleaner keeps them: the reason extraction exists.
    before = clean_text(_dw())
    assert "Albanian Shqip" in before and "Russian Русский" in before


def test_word_precision_and_recall_on_real_pages() -> None:
    """Words of the extracted text against each page's expected main text (bench/extraction.py prints the
    full table): trafilatura is far more precise than the fragment cleaner and loses almost nothing."""
    precisions, recalls, cleaner_precisions = [], [], []
    for name, html, expected in _expected_pages():
        want = _words(expected)
        have = _words(clean_text(extract(html).text, plain=True))
        shared = sum((want & have).values())
        precisions.append(shared / sum(have.values()))
        recalls.append(shared / sum(want.values()))
        assert recalls[-1] >= 0.8, name
        old = _words(clean_text(html))
        cleaner_precisions.append(sum((want & old).values()) / max(1, sum(old.values())))
    n = len(precisions)
    assert n >= 25
    assert sum(precisions) / n >= 0.93
    assert sum(recalls) / n >= 0.97
    assert sum(cleaner_precisions) / n <= 0.7


def test_a_page_without_text_is_an_error() -> None:
    with pytest.raises(ExtractionError):
        extract(
            "<!DOCTYPE html><html><head><title>App</title></head><body><script>start()</script></body></html>"
        )


GAZETTEER = Gazetteer([])


def _item(**kw: object) -> ArticleInput:
    base: dict[str, object] = {"url": DW_URL, "title": None, "body": _dw(), "published_at": None}
    return ArticleInput(**{**base, **kw})  # type: ignore[arg-type]


def test_prepare_fills_empty_fields_from_the_page() -> None:
    p = prepare(0, _item(), GAZETTEER)
    assert p.values["title"] == "Berlin confronts Germany's colonial past with new initiative"
    assert p.values["published_at"] == datetime(2020, 1, 19)
    assert p.values["date_source"] == "extracted"
    assert p.values["language"] == "en" and p.values["language_confidence"] is None
    assert p.values["source"] == "dw.com"
    assert "Albanian" not in p.values["body"]
    assert p.raw_html is None


def test_what_the_client_declares_wins_over_the_page() -> None:
    p = prepare(
        0,
        _item(
            title="Berlin renames streets",
            published_at=datetime(2020, 1, 20, 8, 0),
            language="de",
            source="Deutsche Welle",
            keep_raw=True,
        ),
        GAZETTEER,
    )
    assert p.values["title"] == "Berlin renames streets"
    assert p.values["published_at"] == datetime(2020, 1, 20, 8, 0)
    assert p.values["date_source"] == "published"
    assert p.values["language"] == "de"
    assert p.values["source"] == "Deutsche Welle"
    assert p.raw_html == _dw()


def test_extract_false_keeps_the_fragment_cleaner() -> None:
    p = prepare(0, _item(title="t", published_at=datetime(2020, 1, 20), extract=False), GAZETTEER)
    assert "Albanian" in p.values["body"]


def test_extract_true_on_a_fragment_extracts() -> None:
    body = "<div><p>" + "Officials in Seoul and Tokyo met in Canberra on Friday to talk. " * 5 + "</p></div>"
    p = prepare(0, _item(title="t", published_at=datetime(2020, 1, 20), body=body, extract=True), GAZETTEER)
    assert p.values["body"].startswith("Officials in Seoul and Tokyo met in Canberra on Friday")


def test_a_page_with_no_date_and_none_given_fails_with_its_reason() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>T</title></head><body><article>"
        + ("<p>Officials in Seoul and Tokyo met in Canberra on Friday to talk about trade.</p>" * 4)
        + "</article></body></html>"
    )
    with pytest.raises(ValueError, match="published_at: missing, and the page declares no date"):
        prepare(0, _item(body=html), GAZETTEER)
    p = prepare(0, _item(body=html, published_at=datetime(2024, 1, 1)), GAZETTEER)
    assert p.values["title"] == "T"
    # No declared language: detected from the text, with its confidence.
    assert p.values["language"] == "en" and 0.4 <= p.values["language_confidence"] <= 1


def test_feed_html_such_as_code_br_is_cleaned_like_other_markup() -> None:
    """feedparser's item_description_code_br: the entity-escaped <br /> inside <code> is that element's
    text, and no tag is left in the body."""
    p = prepare(
        0,
        ArticleInput(
            url="http://www.example.com/",
            title="x",
            body="<code>&lt;br /></code>",
            published_at=datetime(2024, 1, 1),
        ),
        GAZETTEER,
    )
    assert p.values["body"] == "<br />"
    assert "<code>" not in p.values["body"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda head, body: f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>",
            st.text(max_size=80),
            st.text(max_size=300),
        ),
        st.builds(
            lambda t: f"<?xml version='1.0' encoding='latin-1'?><html><body><p>{t}</p></body></html>",
            st.text(),
        ),
    )
)
def test_any_input_is_extracted_or_refused_with_a_reason(body: str) -> None:
    """Whatever a client sends with extract=true ends as text or an ExtractionError (a 422), never a crash."""
    try:
        page = extract(body)
    except ExtractionError as exc:
        assert str(exc)
    else:
        assert page.text.strip()
