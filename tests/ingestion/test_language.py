"""Language detection (fastText lid.176): ISO 639-1 codes, "und" when the text cannot tell, a confidence."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ingestion.extract import extract
from app.ingestion.language import (
    _LETTER,
    _SYLLABIC,
    MAX_BYTES,
    MIN_CONFIDENCE,
    MIN_LETTERS,
    UNDETERMINED,
    _has_letters,
    declared_language,
    detect,
    detect_language,
)

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "North Korea might be supporting Russia with civilian personnel instead of military troops, "
            "according to a senior South Korean defense official.",
            "en",
        ),
        (
            "La Corée du Nord pourrait soutenir la Russie avec du personnel civil plutôt qu'avec des "
            "troupes, selon un haut responsable sud-coréen de la défense.",
            "fr",
        ),
        (
            "Nordkorea könnte Russland nach Angaben eines hochrangigen südkoreanischen Beamten mit zivilem "
            "Personal statt mit Soldaten unterstützen.",
            "de",
        ),
        ("북한이 러시아에 군 병력이 아닌 민간 인력을 지원하고 있을 가능성이 있다고 국방차관이 밝혔다.", "ko"),
        ("Россия и Северная Корея подписали договор о всеобъемлющем стратегическом партнёрстве.", "ru"),
    ],
)
def test_detects_iso_639_1_codes_with_a_confidence(text: str, code: str) -> None:
    found = detect(text)
    assert found.language == code
    assert found.confidence is not None and MIN_CONFIDENCE <= found.confidence <= 1.0
    assert detect_language(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Short text.",
        "NATO summit today",
        "12345 67890 12345 67890 — 2024-10-17",
        # py3langid said Tagalog (p = 0.84): a headline of names tells no language.
        "Pyongyang and Moscow met.",
        "Seoul, Tokyo and Canberra talk",
    ],
)
def test_fewer_than_40_letters_is_undetermined_without_a_guess(text: str) -> None:
    assert sum(c.isalpha() for c in text) < MIN_LETTERS
    assert detect(text).language == UNDETERMINED
    assert detect(text).confidence is None


def test_forty_letters_of_a_real_sentence_are_enough() -> None:
    text = "Pyongyang and Moscow met on Tuesday to discuss the treaty."
    assert sum(c.isalpha() for c in text) >= MIN_LETTERS
    assert detect(text).language == "en"


def test_an_unsure_answer_is_undetermined_but_reports_its_confidence() -> None:
    names = "Moon Jae-in Kim Jong-un Xi Jinping Vladimir Putin Donald Trump Shinzo Abe Emmanuel Macron"
    found = detect(names)
    assert found.language == UNDETERMINED
    assert found.confidence is not None and found.confidence < MIN_CONFIDENCE


def test_long_text_is_classified_from_its_beginning() -> None:
    german = (
        "Die Bundesregierung hat am Donnerstag neue Hilfen für die Ukraine angekündigt und betont, dass "
        "die Unterstützung so lange fortgesetzt werde, wie es nötig sei. "
    )
    text = german * 20 + "This English tail is never read. " * 50
    assert len(text.encode()) > 4 * MAX_BYTES
    assert detect_language(text) == "de"


def test_always_a_two_letter_code_or_und() -> None:
    samples = [
        "Ukraine's president said the front line was holding despite heavy shelling overnight.",
        "El presidente de Ucrania dijo que la línea del frente resistía pese a los bombardeos.",
        "Il presidente ucraino ha detto che la linea del fronte reggeva nonostante i bombardamenti.",
        "日本政府は北朝鮮の弾道ミサイル発射を強く非難し、関係国と緊密に連携すると発表した。",
    ]
    for text in samples:
        code = detect_language(text)
        assert len(code) == 2 and code.isalpha() and code.islower()


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en", "en"), ("en-GB", "en"), ("EN_us", "en"), ("de-DE", "de"), ("sk", "sk"), ("zh-Hant-TW", "zh")],
)
def test_declared_tags_give_their_primary_language(tag: str, code: str) -> None:
    assert declared_language(tag) == code


@pytest.mark.parametrize("tag", [None, "", "english", "e", "12", "en GB"])
def test_what_is_not_a_language_tag_declares_nothing(tag: str | None) -> None:
    assert declared_language(tag) is None


def test_real_pages_detected_language_agrees_with_the_declared_one() -> None:
    """On the real pages of tests/data whose markup declares a language, detection from the extracted
    title and text start (what the pipeline classifies) finds the same language on every page."""
    data = json.loads((PAGES / "trafilatura" / "evaldata.json").read_text(encoding="utf-8"))
    checked = 0
    for url, item in sorted(data.items()):
        html = gzip.decompress((PAGES / "trafilatura" / item["file"]).read_bytes()).decode("utf-8", "replace")
        page = extract(html, url)
        if page.language is None:
            continue
        checked += 1
        assert detect(f"{page.title}. {page.text[:280]}").language == page.language, url
    assert checked >= 10


@given(
    st.text(
        alphabet=st.sampled_from(list("ab Z9_,.-\u00e9\u4e2d\u3042\ud55c\u0416\t1")),
        max_size=4 * MIN_LETTERS,
    )
)
def test_the_letter_count_read_from_the_first_words_agrees_with_the_whole_count(text: str) -> None:
    whole = len(_LETTER.findall(text)) + len(_SYLLABIC.findall(text))
    assert _has_letters(text) == (whole >= MIN_LETTERS)
