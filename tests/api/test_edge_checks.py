"""The schemas' edge checks take shortcuts for the common case; each must say what the plain check says.

`text_problem` skips its regex for a string without a NUL that is ASCII or encodes to UTF-8: compared
here with the regex on random strings that reach every branch. `_check_web_url` tries to parse a host as
an IP address only when it ends in a digit or holds a colon: that premise is checked on every form of
thousands of random addresses, and addresses and near-addresses are checked to be accepted and refused."""

from __future__ import annotations

import ipaddress
import random

import pytest

from app.schemas import _UNSTORABLE, _check_web_url, text_problem


def plain_text_problem(value: str) -> str | None:
    m = _UNSTORABLE.search(value)
    if m is None:
        return None
    return "contains a NUL character" if m.group() == "\x00" else "contains a lone surrogate"


def test_text_problem_says_what_the_regex_says():
    rng = random.Random(16)
    # ASCII, Latin-1, two-byte and four-byte characters, NUL, both halves of a surrogate pair alone.
    alphabet = ["a", " ", "é", "ß", "—", "中", "\U0001f600", "\x00", "\ud800", "\udfff", "\x7f"]
    cases = ["", "plain", "\x00", "\ud83d", "é\x00\ud800", "\ud800\x00", "中文", "\U0001f600"]
    for _ in range(5000):
        weights = [30, 10, 5, 5, 5, 5, 3] + [rng.choice([0, 1]) for _ in range(4)]
        cases.append("".join(rng.choices(alphabet, weights=weights, k=rng.randint(0, 40))))
    problems = 0
    for value in cases:
        assert text_problem(value) == plain_text_problem(value), ascii(value)
        problems += plain_text_problem(value) is not None
    assert 0 < problems < len(cases)  # both outcomes were met


def test_every_ip_address_ends_in_a_digit_or_holds_a_colon():
    """_check_web_url's premise for trying a host as an IP address only then: every form Python's
    ipaddress accepts (random v4 and v6, compressed, exploded, v4-mapped, scoped) does one or the other."""
    rng = random.Random(6)
    hosts = ["::", "::1", "::ffff:1.2.3.4", "fe80::1%eth0", "0.0.0.0"]
    for _ in range(2000):
        v4 = ipaddress.IPv4Address(rng.getrandbits(32))
        v6 = ipaddress.IPv6Address(rng.getrandbits(128))
        hosts += [str(v4), str(v6), v6.exploded]
    for host in hosts:
        ipaddress.ip_address(host)  # each is an address
        assert host[-1:].isdigit() or ":" in host, host


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/a", "http://10.0.0.1:8080/", "http://[::1]/x", "http://[2001:db8::1]:443/"],
)
def test_an_address_host_is_accepted(url):
    assert _check_web_url(url) == url


@pytest.mark.parametrize(
    "url",
    ["https://1.2.3/", "https://999.1.1.1/", "https://example.123/", "https://[::g]/", "https://a..b/"],
)
def test_what_is_neither_an_address_nor_a_host_name_is_refused(url):
    with pytest.raises(ValueError):
        _check_web_url(url)


@pytest.mark.parametrize("url", ["https://163.com/news", "https://a1.b2/", "https://bücher.example/"])
def test_a_host_name_is_accepted(url):
    assert _check_web_url(url) == url
