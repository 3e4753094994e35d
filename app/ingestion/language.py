"""Language detection with py3langid: ISO 639-1 codes, "und" when the text cannot tell, and a confidence.

The model (~0.7 s to load) is loaded once, lazily, into a private identifier (the py3langid module
global is left alone), restricted to the languages that have a two-letter ISO 639-1 code, with
probabilities normalised so that the confidence means something (py3langid calibrates them by text
length).

Rules, in the order the pipeline applies them:

1. A language that the client, the feed or the page declares wins; it is not second-guessed, and its
   confidence is None (nothing was detected).
2. Text with fewer than ``MIN_LETTERS`` letters (a Hangul, kana or Han character counts as two) is ``und`` (ISO 639-2 "undetermined"): a headline of
   names says nothing about its language — py3langid calls "Pyongyang and Moscow met." Tagalog with
   a probability of 0.84.
3. Otherwise the detector's answer, unless its probability is below ``MIN_CONFIDENCE`` (a list of names,
   mixed languages): then ``und`` too, with that probability reported.

Only the first ``MAX_BYTES`` UTF-8 bytes are classified: py3langid walks the input byte by byte, and an
article's first sentences are plenty (600 bytes: ~0.3 ms).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Final

from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = [
    "MAX_BYTES",
    "MIN_CONFIDENCE",
    "MIN_LETTERS",
    "UNDETERMINED",
    "Detected",
    "declared_language",
    "detect",
    "detect_language",
    "preload",
]

UNDETERMINED: Final = "und"
MIN_LETTERS: Final = 40
MIN_CONFIDENCE: Final = 0.4
MAX_BYTES: Final = 600

_LETTER = re.compile(r"[^\W\d_]")
# A Hangul, kana or Han character carries about a syllable: it counts as two letters.
_SYLLABIC = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")

_identifier: LanguageIdentifier | None = None
_lock = threading.Lock()


@dataclass(frozen=True)
class Detected:
    language: str  # ISO 639-1, or "und"
    confidence: float | None  # the detector's probability; None when it did not run


def _get_identifier() -> LanguageIdentifier:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                ident.set_languages([code for code in ident.labels if len(code) == 2])
                _identifier = ident
    return _identifier


def preload() -> None:
    """Load the model now (e.g. at application start-up) instead of on the first call."""
    _get_identifier()


def declared_language(value: str | None) -> str | None:
    """The primary subtag of a declared language tag ("en-GB", "EN_us" -> "en"); None if it is not one."""
    if not value:
        return None
    m = _TAG.match(value.strip())
    return m.group(1).lower() if m else None


def detect(text: str) -> Detected:
    """The language of `text` with the detector's probability; "und" below MIN_LETTERS letters or
    MIN_CONFIDENCE probability."""
    sample = text.strip()[: 2 * MAX_BYTES]
    if len(_LETTER.findall(sample)) + len(_SYLLABIC.findall(sample)) < MIN_LETTERS:
        return Detected(UNDETERMINED, None)
    data = sample.encode("utf-8")
    if len(data) > MAX_BYTES:
        cut = data.rfind(b" ", MAX_BYTES // 2, MAX_BYTES)
        # Without a space (CJK) the cut may split a character: py3langid trims partial bytes.
        data = data[: cut if cut > 0 else MAX_BYTES]
    code, confidence = _get_identifier().classify(data)
    confidence = round(float(confidence), 4)
    if confidence < MIN_CONFIDENCE:
        return Detected(UNDETERMINED, confidence)
    return Detected(str(code), confidence)


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "und" (see `detect`)."""
    return detect(text).language
