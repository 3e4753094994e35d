"""canonicalize_url / source_from_url."""

from __future__ import annotations

import pytest

from app.ingestion.urls import canonicalize_url, source_from_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # scheme and host lowercased, default port, fragment, trailing slash
        ("HTTP://WWW.Example.COM:80/News/Story/#comments", "http://www.example.com/News/Story"),
        ("https://example.com:443/a/", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com//", "https://example.com/"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        # www is kept: it may be a different host
        ("https://www.example.com/a", "https://www.example.com/a"),
        # tracking parameters dropped, the rest sorted
        (
            "https://example.com/a?utm_source=tw&b=2&utm_MEDIUM=x&a=1&fbclid=Z&gclid=Q",
            "https://example.com/a?a=1&b=2",
        ),
        (
            "https://example.com/a?ref=rss&ref_src=twsrc&mc_cid=1&mc_eid=2&igshid=3&yclid=4&_ga=5&spm=6&id=7",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?utm_campaign=x", "https://example.com/a"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&b=1", "https://example.com/a?a=1&b=1&b=2"),
        ("https://example.com/a?flag&x=", "https://example.com/a?flag&x="),
        # percent-encoding normalised
        ("https://example.com/caf%c3%a9/%7Euser/a%2fb", "https://example.com/caf%C3%A9/~user/a%2Fb"),
        ("https://example.com/café story", "https://example.com/caf%C3%A9%20story"),
        ("https://example.com/s?q=a b&n=%e2%82%ac", "https://example.com/s?n=%E2%82%AC&q=a%20b"),
        ("https://example.com/100%", "https://example.com/100%25"),
        # dot segments
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        # IDN hosts: lowercase, ASCII form
        ("https://Bücher.Example/x", "https://xn--bcher-kva.example/x"),
        ("https://xn--bcher-kva.example/x", "https://xn--bcher-kva.example/x"),
        ("https://example.com./a", "https://example.com/a"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_canonicalize_url(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical
    assert canonicalize_url(canonical) == canonical  # idempotent


def test_variants_of_one_link_collapse() -> None:
    variants = [
        "https://www.koreaherald.com/view.php?ud=20241018000512&utm_source=twitter",
        "HTTPS://WWW.KOREAHERALD.COM:443/view.php?ud=20241018000512#top",
        "https://www.koreaherald.com/view.php?fbclid=abc&ud=20241018000512",
    ]
    assert len({canonicalize_url(v) for v in variants}) == 1


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a url",
        "/relative/path",
        "//example.com/a",
        "example.com/a",
        "ftp://example.com/a",
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "https://",
        "http://:80/",
        "http://example.com:99999/",
        "http://example.com:port/",
    ],
)
def test_non_http_urls_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        canonicalize_url(bad)


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://www.BBC.co.uk/news/world-123", "bbc.co.uk"),
        ("https://news.example.com/a", "news.example.com"),
        ("http://example.com:8080/a", "example.com"),
        ("https://wwwexample.com/", "wwwexample.com"),
    ],
)
def test_source_from_url(url: str, source: str) -> None:
    assert source_from_url(url) == source


def test_source_from_url_rejects_relative() -> None:
    with pytest.raises(ValueError):
        source_from_url("/a/b")
