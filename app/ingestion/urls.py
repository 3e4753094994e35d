"""Canonical article URLs, so that one story reached through different links is stored once.

``canonicalize_url`` applies, in order:
- only absolute ``http``/``https`` URLs with a host are accepted (``ValueError`` otherwise);
- scheme and host lowercased, a trailing dot on the host dropped, IDN hosts converted to their ASCII
  (punycode) form, so ``Bücher.example`` and ``xn--bcher-kva.example`` are the same; ``www.`` is kept;
- default ports (80 for http, 443 for https) dropped; the fragment dropped;
- percent-encoding normalised in path and query: escapes of unreserved characters decoded
  (``%7E`` -> ``~``), other escapes upper-cased (``%2f`` -> ``%2F``), characters that must be
  escaped (spaces, non-ASCII) UTF-8 percent-encoded, a stray ``%`` encoded as ``%25``;
- ``.``/``..`` path segments removed, an empty path becomes ``/``, a trailing slash is dropped
  (except for the root ``/``);
- tracking parameters dropped (``utm_*``, ``fbclid``, ``gclid``, ``ref``, ...: see
  ``TRACKING_PARAMS``), the remaining ``key=value`` pairs sorted (stable, by key then value), and
  the ``?`` dropped when nothing remains.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final
from urllib.parse import quote, urlsplit

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "canonicalize_url", "source_from_url"]

TRACKING_PARAMS: Final[frozenset[str]] = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "igsh", "si", "ref", "ref_src", "ref_url", "referrer",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking",
        "mkt_tok", "spm", "scm", "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id", "rb_clickid",
        "s_cid", "wt.mc_id", "wt_mc_id", "cmpid", "ocid", "icid", "sr_share", "smid", "smtyp",
        "xtor", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3",
        "at_custom4", "guccounter", "guce_referrer", "guce_referrer_sig", "__twitter_impression",
        "sref", "soc_src", "soc_trk", "taid", "trk", "trkcampaign",
    }
)  # fmt: skip
TRACKING_PREFIXES: Final[tuple[str, ...]] = ("utm_", "pk_", "mtm_", "hmb_", "ga_")

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are (besides unreserved ones and escapes) in each component.
_PATH_SAFE: Final = "%/:@!$&'()*+,;="
_QUERY_PART_SAFE: Final = "%/:@!$'()*+,;?"  # '&' and '=' delimit the pairs


def _fix_escape(m: re.Match[str]) -> str:
    ch = chr(int(m.group(1), 16))
    return ch if ch in _UNRESERVED else "%" + m.group(1).upper()


def _normalize_component(s: str, safe: str) -> str:
    if "%" in s:
        s = _STRAY_PERCENT.sub("%25", s)
    s = quote(s, safe=safe)
    return _ESCAPE.sub(_fix_escape, s) if "%" in s else s


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for seg in segments[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/" + "/".join(out)


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def _normalize_host(host: str) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise ValueError("URL has no host")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"invalid internationalised host: {host!r}") from exc
    if any(c.isspace() or c in '<>"{}|\\^`' for c in host):
        raise ValueError(f"invalid host: {host!r}")
    return host


def canonicalize_url(url: str) -> str:
    """The canonical form of an absolute http(s) URL; ``ValueError`` for anything else."""
    if not isinstance(url, str):
        raise ValueError("URL must be a string")
    return _canonical(url)


# An article's URL is canonicalised twice in one process: when its schema checks the canonical form's
# length, and when the pipeline prepares it (~11 µs each): the second is a lookup. Errors are not cached.
@lru_cache(maxsize=4096)
def _canonical(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if not parts.netloc or parts.hostname is None:
            raise ValueError(f"URL has no host: {url!r}")
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as exc:
        raise ValueError(str(exc) or f"invalid URL: {url!r}") from None

    host = _normalize_host(parts.hostname)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"

    path = _remove_dot_segments(_normalize_component(parts.path, _PATH_SAFE)) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"

    query = ""
    if parts.query:
        pairs: list[tuple[str, str]] = []
        for item in parts.query.split("&"):
            if not item:
                continue
            key, eq, value = item.partition("=")
            key = _normalize_component(key, _QUERY_PART_SAFE)
            if _is_tracking(key):
                continue
            pairs.append((key, eq + _normalize_component(value, _QUERY_PART_SAFE + "=")))
        if pairs:
            pairs.sort()
            query = "?" + "&".join(k + v for k, v in pairs)
    return f"{scheme}://{netloc}{path}{query}"


def source_from_url(url: str) -> str:
    """The article's source: the canonical host without a leading ``www.`` (``ValueError`` as above)."""
    host = urlsplit(canonicalize_url(url)).hostname or ""
    return host.removeprefix("www.")
