"""Main-text extraction from whole web pages with trafilatura.

A client that posts a whole HTML document as an article body (or asks for `extract`) gets the article's
main text, not the page: menus, cookie banners, language pickers, share bars and "related" lists go.
Kept as the body they were indexed for full text and, worse, linked as actor mentions — a DW page's
language menu ("Albanian / Bulgarian / Russian …") produced 172 country mentions. Fragments and feed
summaries keep going through the cheaper cleaner in `cleaning.py`.

trafilatura is the field's standard extractor: on the 29 real news pages of tests/data/pages with an
expected main text, its words have a precision of 0.986 and a recall of 0.993 (F1 0.990); the fragment
cleaner's have 0.595 and 0.931 (bench/extraction.py prints the table; docs/real-input.md has it). Its metadata gives the title, author and date;
the language a page declares (``<html lang>``, Content-Language, og:locale) is read from the same tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from .language import declared_language

__all__ = ["Extracted", "ExtractionError", "extract", "is_whole_document"]

# A document starts (after a BOM, an XML declaration and comments) with a doctype or an <html> tag; one
# without either (hand-written or cut) still has its own <head> and <body>.
_DOCUMENT_START = re.compile(
    r"\A\ufeff?\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.{0,2000}?-->\s*){0,5}(?:<!doctype\s+html|<html[\s>])",
    re.IGNORECASE | re.DOTALL,
)
_HEAD = re.compile(r"<head[\s>]", re.IGNORECASE)
_BODY = re.compile(r"<body[\s>]", re.IGNORECASE)
_TITLE_PIPE = re.compile(r"\s+\|\s+")
_TITLE_DASH_TAIL = re.compile(r"(.*\S)\s+[-–—]\s+(\S.{0,30})")
# A date, or a short all-capitals label such as a site's initials ("DW", "BBC NEWS").
_SHORT_LABEL = re.compile(r"[\d./ -]+|[A-Z0-9 .&]{1,16}")

# The trafilatura settings bench/extraction.py compared. favor_precision: on the real pages it lifts the
# mean word precision from 0.970 to 0.986 (one page from 0.62 to 0.98) for a recall of 0.993 instead of
# 0.995. Boilerplate kept in an article becomes wrong actor mentions; a lost credit line costs little.
# Tables are kept (news pages put figures in them); comments below an article are not its text.
EXTRACT_OPTIONS: Final[dict[str, Any]] = {
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "favor_precision": True,
    "favor_recall": False,
    "fast": False,
}
# htmldate: the original publication date, from the page's markup only (the "extensive" search also
# guesses from dates anywhere in the text), with its time of day when the markup has one.
DATE_OPTIONS: Final[dict[str, Any]] = {
    "original_date": True,
    "extensive_search": False,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


class ExtractionError(ValueError):
    """The document has no main text that trafilatura could find."""


@dataclass(frozen=True)
class Extracted:
    text: str  # paragraphs separated by a blank line, not yet cleaned
    title: str | None
    author: str | None
    published: datetime | None  # naive UTC
    language: str | None  # what the page declares (ISO 639 primary subtag), not a guess
    sitename: str | None


def is_whole_document(body: str) -> bool:
    """True when the body is a whole HTML document rather than an article's text or a fragment."""
    if "<" not in body:
        return False
    head = body[:4096]
    if _DOCUMENT_START.match(head):
        return True
    return _HEAD.search(body) is not None and _BODY.search(body) is not None


def _page_language(tree: Any) -> str | None:
    for xpath in (
        "/html/@lang",
        "/html/@xml:lang",
        '//meta[translate(@http-equiv, "CONTENTLANGUAGE", "contentlanguage")="content-language"]/@content',
        '//meta[@property="og:locale"]/@content',
    ):
        try:
            values = tree.xpath(xpath, namespaces={"xml": "http://www.w3.org/XML/1998/namespace"})
        except Exception:  # an odd tree (no namespace support) is a page that declares nothing
            continue
        for value in values:
            lang = declared_language(str(value).split(",")[0])
            if lang:
                return lang
    return None


def _title(raw: str | None, sitename: str | None) -> str | None:
    """trafilatura's title without what pages append to it: the site's name, a section, a date
    ("Berlin confronts Germany's colonial past with new initiative | DW | 19.01.2020")."""
    if not raw:
        return None
    title = " ".join(raw.split())
    site = (sitename or "").casefold()

    def appended(part: str) -> bool:
        return part.casefold() == site or _SHORT_LABEL.fullmatch(part) is not None

    kept = [p for p in _TITLE_PIPE.split(title) if p and not appended(p)]
    if kept and (m := _TITLE_DASH_TAIL.match(kept[-1])) and appended(m.group(2)):
        kept[-1] = m.group(1)
    return " | ".join(kept) if kept else title


def _published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
        except ValueError:
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def extract(html: str, url: str | None = None) -> Extracted:
    """The main text and metadata of an HTML page (or fragment); ExtractionError when it has no main text."""
    from trafilatura import bare_extraction
    from trafilatura.utils import load_html

    if not is_whole_document(html):
        # A fragment (a client that asks for `extract`): trafilatura expects a document around it.
        html = f"<!DOCTYPE html><html><head></head><body>{html}</body></html>"
    try:
        tree = load_html(html)
        if tree is None:
            raise ExtractionError("the HTML document could not be parsed")
        language = _page_language(tree)
        doc = bare_extraction(
            tree, url=url, with_metadata=True, date_extraction_params=dict(DATE_OPTIONS), **EXTRACT_OPTIONS
        )
    except ExtractionError:
        raise
    except Exception as exc:  # a parser's failure on what a client sent is the client's 422, not a 500
        raise ExtractionError(f"the HTML document could not be read: {type(exc).__name__}: {exc}") from exc
    text = getattr(doc, "text", None) if doc is not None else None
    if doc is None or isinstance(doc, dict) or not text or not text.strip():
        raise ExtractionError("no article text found in the HTML document")
    # trafilatura puts one paragraph (or heading, or list item) on each line.
    paragraphs = (" ".join(line.split()) for line in text.splitlines())
    sitename = doc.sitename or None
    return Extracted(
        text="\n\n".join(p for p in paragraphs if p),
        title=_title(doc.title, sitename),
        author=" ".join(doc.author.split()) if doc.author else None,
        published=_published(doc.date),
        language=language,
        sitename=sitename,
    )
