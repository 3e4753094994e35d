"""detect_language (py3langid)."""

from __future__ import annotations

import pytest

from app.ingestion.language import MAX_BYTES, detect_language


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
def test_detects_iso_639_1_codes(text: str, code: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize(
    "text", ["", "   ", "Short text.", "NATO summit today", "12345 67890 12345 67890 — 2024-10-17"]
)
def test_too_short_or_letterless_text_gives_none(text: str) -> None:
    assert detect_language(text) is None


def test_long_text_is_classified_from_its_beginning() -> None:
    german = (
        "Die Bundesregierung hat am Donnerstag neue Hilfen für die Ukraine angekündigt und betont, dass "
        "die Unterstützung so lange fortgesetzt werde, wie es nötig sei. "
    )
    text = german * 20 + "This English tail is never read. " * 50
    assert len(text.encode()) > 4 * MAX_BYTES
    assert detect_language(text) == "de"


def test_always_a_two_letter_code() -> None:
    samples = [
        "Ukraine's president said the front line was holding despite heavy shelling overnight.",
        "El presidente de Ucrania dijo que la línea del frente resistía pese a los bombardeos.",
        "Il presidente ucraino ha detto che la linea del fronte reggeva nonostante i bombardamenti.",
        "日本政府は北朝鮮の弾道ミサイル発射を強く非難し、関係国と緊密に連携すると発表した。",
    ]
    for text in samples:
        code = detect_language(text)
        assert code is not None and len(code) == 2 and code.isalpha() and code.islower()
