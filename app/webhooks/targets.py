"""Which URLs a webhook may call: http(s) only, no credentials in the URL, and never an address inside
the server's own network (link-local and cloud metadata always refused; loopback and private networks
only when GEONEWS_WEBHOOKS_ALLOW_PRIVATE is set). Checked at subscription and again before each delivery,
since a name can resolve elsewhere later."""

from __future__ import annotations

import ipaddress
import socket
from typing import cast
from urllib.parse import urlsplit

METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class TargetRefused(ValueError):
    pass


def check_url(url: str) -> tuple[str, int]:
    """The host and port of an acceptable URL (syntax only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("only http and https URLs can receive webhooks")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not accepted; use the signature to authenticate")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("the URL's port is invalid") from exc
    return parts.hostname, port


def check_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> None:
    if ip in METADATA or ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        raise TargetRefused(f"{ip} is a link-local, metadata or reserved address")
    if not allow_private and (ip.is_private or ip.is_loopback):
        raise TargetRefused(
            f"{ip} is on a private network or loopback (set GEONEWS_WEBHOOKS_ALLOW_PRIVATE to allow it)"
        )


def check_target(url: str, allow_private: bool) -> None:
    """Refuse a URL whose host resolves to any address a webhook must not reach (blocking: DNS)."""
    host, port = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise TargetRefused(f"the host {host!r} does not resolve") from exc
    for info in infos:
        # An AF_INET/AF_INET6 sockaddr (the only families TCP resolves to) starts with the host string.
        host_str = cast(str, info[4][0])
        check_address(ipaddress.ip_address(host_str.split("%", 1)[0]), allow_private)
