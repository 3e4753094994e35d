"""Language detection with py3langid, returning ISO 639-1 codes.

The model (~0.7 s to load) is loaded once, lazily, into a private identifier (the py3langid module
global is left alone), restricted to the languages that have a two-letter ISO 639-1 code, so every
answer is such a code. Only the first ``MAX_BYTES`` UTF-8 bytes are classified: py3langid walks the
input byte by byte in Python (~0.5 µs a byte), and an article's first few sentences are plenty
(600 bytes: ~0.3 ms). Text with fewer than 20 characters or no letters at all gets None.
"""

from __future__ import annotations

import re
import threading
from typing import Final

from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = ["MAX_BYTES", "MIN_CHARS", "detect_language", "preload"]

MIN_CHARS: Final = 20
MAX_BYTES: Final = 600

_LETTER = re.compile(r"[^\W\d_]")

_identifier: LanguageIdentifier | None = None
_lock = threading.Lock()


def _get_identifier() -> LanguageIdentifier:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                ident = LanguageIdentifier.from_model_file(MODEL_FILE)
                ident.set_languages([code for code in ident.labels if len(code) == 2])
                _identifier = ident
    return _identifier


def preload() -> None:
    """Load the model now (e.g. at application start-up) instead of on the first call."""
    _get_identifier()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language; None for fewer than 20 characters or no letters."""
    text = text.strip()
    if len(text) < MIN_CHARS or _LETTER.search(text) is None:
        return None
    data = text[:MAX_BYTES].encode("utf-8")
    if len(data) > MAX_BYTES:
        cut = data.rfind(b" ", MAX_BYTES // 2, MAX_BYTES)
        # Without a space (CJK) the cut may split a character: py3langid trims partial bytes.
        data = data[: cut if cut > 0 else MAX_BYTES]
    code, _score = _get_identifier().classify(data)
    return str(code)
