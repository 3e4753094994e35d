"""Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`
and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the secret's bytes
(the base64 after `whsec_`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key of a `whsec_…` secret; ValueError when it is not one."""
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret is `whsec_` followed by base64 (at least 16 bytes)")
    key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    if len(key) < 16:
        raise ValueError("a webhook secret needs at least 16 bytes of key")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret_bytes(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(secret: str, header: dict[str, str], body: bytes) -> bool:
    """What a receiver does: any of the space-separated v1 signatures matches."""
    expected = sign(secret, header["webhook-id"], int(header["webhook-timestamp"]), body).split(",", 1)[1]
    return any(
        hmac.compare_digest(sig.split(",", 1)[1], expected)
        for sig in header["webhook-signature"].split()
        if sig.startswith("v1,")
    )
