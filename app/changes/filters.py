"""What a consumer of the change feed asks for, evaluated in Python by the followers (app/changes/hub.py)
and in SQL by the pull endpoint (repository.feed_statement) — the same rules, tested to agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

Memberships = list[tuple[int, date | None, date | None]]


def change_day(change: dict[str, Any]) -> date:
    """The day a change is judged on for `member_of`: an article's publication day, else the change's."""
    moment: datetime = change.get("published_at") or change["at"]
    return moment.date()


@dataclass(frozen=True)
class ChangeFilter:
    entities: frozenset[str] | None = None
    actor_ids: frozenset[int] | None = None
    org_id: int | None = None
    sources: frozenset[str] | None = None

    def as_sql(self) -> dict[str, Any]:
        """Keyword arguments of repository.feed_statement."""
        return {
            "entities": sorted(self.entities) if self.entities else None,
            "actor_ids": sorted(self.actor_ids) if self.actor_ids else None,
            "org_id": self.org_id,
            "sources": sorted(self.sources) if self.sources else None,
        }

    def as_json(self) -> dict[str, Any]:
        """For storing with a webhook subscription."""
        return {k: v for k, v in self.as_sql().items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChangeFilter:
        return cls(
            entities=frozenset(data["entities"]) if data.get("entities") else None,
            actor_ids=frozenset(data["actor_ids"]) if data.get("actor_ids") else None,
            org_id=data.get("org_id"),
            sources=frozenset(data["sources"]) if data.get("sources") else None,
        )

    def matches(self, change: dict[str, Any], members: Memberships | None = None) -> bool:
        """`change` as repository.newer returns it (with `actor_ids`, `source`, `published_at`, `at`);
        `members`: the organisation's memberships when `org_id` is set."""
        if self.entities and change["entity"] not in self.entities:
            return False
        if self.sources and change.get("source") not in self.sources:
            return False
        ids = change.get("actor_ids") or ()
        if self.actor_ids and self.actor_ids.isdisjoint(ids):
            return False
        if self.org_id is not None and self.org_id not in ids:
            day = change_day(change)
            present = set(ids)
            if not any(
                actor in present and (start is None or start <= day) and (end is None or end > day)
                for actor, start, end in members or ()
            ):
                return False
        return True
