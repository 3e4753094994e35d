"""Build test data through the API, as a client would."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

_seq = itertools.count(1)


def actor(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {"kind": "organization", "name": f"Test Organisation {n}", **overrides}
    r = client.post("/v1/actors", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def article(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {
        "url": f"https://news.example.com/2024/10/story-{n}",
        "title": f"Story number {n}",
        "body": f"Body of story {n}.",
        "published_at": "2024-10-18T09:30:00Z",
        **overrides,
    }
    r = client.post("/v1/articles", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


def event(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"type": "040", "title": f"Consultation {next(_seq)}", "start_date": "2024-10-17", **overrides}
    r = client.post("/v1/events", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()
