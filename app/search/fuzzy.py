"""Typo- and transliteration-tolerant actor name search: one rapidfuzz index of every name and alias per
process, rebuilt when the gazetteer counter moves (the same triggers that refresh the linker).

Both engines use it, so "Zelensky", "Zelenskiy" and "Stoltenburg" find the same actors on SQLite and on
PostgreSQL; prefix matches are still answered by the indexed SQL condition.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..ingestion.service import gazetteer_version
from ..models import Actor, ActorAlias
from ..text import fold

MIN_LENGTH = 4
CUTOFF = 85
LIMIT = 50


class NameIndex:
    def __init__(self) -> None:
        self._current: tuple[int, list[str], list[int]] | None = None

    def _load(self, session: Session) -> tuple[list[str], list[int]]:
        version = gazetteer_version(session)
        current = self._current
        if current is not None and current[0] == version:
            return current[1], current[2]
        names: list[str] = []
        ids: list[int] = []
        for name, actor_id in session.execute(select(Actor.name, Actor.id)):
            names.append(fold(name))
            ids.append(actor_id)
        for norm, actor_id in session.execute(select(ActorAlias.normalized, ActorAlias.actor_id)):
            names.append(norm)
            ids.append(actor_id)
        self._current = (version, names, ids)
        return names, ids

    def search(self, session: Session, q: str) -> list[int]:
        q = fold(q)
        if len(q) < MIN_LENGTH:
            return []
        names, ids = self._load(session)
        hits = process.extract(q, names, scorer=fuzz.WRatio, limit=LIMIT * 4, score_cutoff=CUTOFF)
        return list(dict.fromkeys(ids[i] for _, _, i in hits))[:LIMIT]


NAMES = NameIndex()
