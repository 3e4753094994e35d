"""Building a small corpus whose mentions are exactly the ones a test says (the linker is not what is under
test here), and reading whole lists."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert

from app import outbox
from app.models import Mention, Relation
from tests import factories

_words = itertools.count(1)


@dataclass
class Corpus:
    """Articles posted through the API whose mentions are then replaced by the ones given."""

    client: TestClient
    headers: dict[str, str]
    engine: Engine
    articles: dict[int, tuple[str, list[int]]] = field(default_factory=dict)

    def actor(self, **overrides: Any) -> dict[str, Any]:
        n = next(_words)
        return factories.actor(self.client, self.headers, name=f"Graphtest Body {n}", **overrides)

    def ref(self, slug: str) -> int:
        r = self.client.get(f"/v1/actors/{slug}")
        assert r.status_code == 200, r.text
        return int(r.json()["id"])

    def article(self, published_at: str, actor_ids: Sequence[int]) -> int:
        """One article mentioning these actors (an id twice means two mentions of it)."""
        n = next(_words)
        art = factories.article(
            self.client,
            self.headers,
            url=f"https://graph.example.org/{n}",
            title=f"Graph test item {n}",
            body=f"Text of graph test item number {n}.",
            published_at=published_at,
        )
        with self.engine.begin() as conn:
            conn.execute(delete(Mention).where(Mention.article_id == art["id"]))
            if actor_ids:
                conn.execute(
                    insert(Mention),
                    [
                        {
                            "article_id": art["id"],
                            "actor_id": actor_id,
                            "start_offset": 10 * i,
                            "end_offset": 10 * i + 4,
                            "text": "Text",
                        }
                        for i, actor_id in enumerate(actor_ids)
                    ],
                )
            # A writer behind the API's back still tells the change log (the search index follows it).
            outbox.write(conn, [outbox.PendingChange("article", "updated", art["id"], {}, tuple(actor_ids))])
        self.articles[art["id"]] = (art["published_at"], list(actor_ids))
        return int(art["id"])

    def relation(self, subject: int | str, type: str, object: int | str, **kw: Any) -> dict[str, Any]:
        body = {"subject": subject, "type": type, "object": object, **kw}
        r = self.client.post("/v1/relations", json=body, headers=self.headers)
        assert r.status_code == 201, r.text
        return r.json()

    def stored_relation(self, subject: int, type: str, object: int) -> None:
        """A relation written behind the API's back: data the API refuses now (a self-relation) may have
        been stored before it did, or by another writer."""
        with self.engine.begin() as conn:
            conn.execute(insert(Relation).values(subject_id=subject, type=type, object_id=object))


def all_pages(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params = {"limit": 200, **params}
    while True:
        r = client.get(path, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        items.extend(body["items"])
        if not body["next_cursor"]:
            return items
        params["cursor"] = body["next_cursor"]
