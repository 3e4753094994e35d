"""What every seed loader shares: the session, the report, the natural keys resolved so far, and the
helpers that read seed records."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from . import repository

SEED_SOURCE = "seed"  # articles.source (by default) and events.source of seeded records


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated))
        if not kinds:
            return "seed: nothing to change"
        return "seed: " + ", ".join(f"{k} +{self.created[k]} ~{self.updated[k]}" for k in kinds)


@dataclass
class SeedContext:
    """One seeding run: records refer to each other by natural key (actor slug, article key, event key,
    proposition key); each loader records the ids of what it loaded for the loaders after it."""

    session: Session
    report: SeedReport = field(default_factory=SeedReport)
    actor_ids: dict[str, int] = field(default_factory=dict)
    article_ids: dict[str, int] = field(default_factory=dict)
    event_ids: dict[str, int] = field(default_factory=dict)
    proposition_ids: dict[str, int] = field(default_factory=dict)

    def actor(self, slug: str) -> int:
        if slug not in self.actor_ids:
            found = repository.actor_id(self.session, slug)
            if found is None:
                raise ValueError(f"seed data refers to unknown actor {slug!r}")
            self.actor_ids[slug] = found
        return self.actor_ids[slug]

    def article(self, key: str) -> int:
        if key not in self.article_ids:
            raise ValueError(f"seed data refers to unknown article {key!r}")
        return self.article_ids[key]


def read_json(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def to_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def to_datetime(value: str) -> datetime:
    """An ISO timestamp as the naive UTC datetime the database stores."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)


def assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when any did (so the record counts as updated)."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed
