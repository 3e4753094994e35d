"""Typo- and transliteration-tolerant actor name search: one rapidfuzz index of every name and alias per
process, rebuilt when the gazetteer counter moves (the same triggers that refresh the linker).

Both engines use it, so "Zelensky", "Zelenskiy" and "Stoltenburg" find the same actors on SQLite and on
PostgreSQL; prefix matches are still answered by the indexed SQL condition.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from ..ingestion.gazetteer import VersionedCache
from ..text import fold
from . import repository

MIN_LENGTH = 4
CUTOFF = 85
LIMIT = 50


def _load(session: Session) -> tuple[list[str], list[int]]:
    names: list[str] = []
    ids: list[int] = []
    for name, actor_id in repository.name_rows(session):
        names.append(fold(name))
        ids.append(actor_id)
    for norm, actor_id in repository.alias_rows(session):
        names.append(norm)
        ids.append(actor_id)
    return names, ids


_NAMES = VersionedCache(_load)


def fuzzy_ids(session: Session, q: str) -> list[int]:
    """Actor ids whose name or an alias is close to `q`, best first (at most LIMIT)."""
    q = fold(q)
    if len(q) < MIN_LENGTH:
        return []
    names, ids = _NAMES.get(repository.gazetteer_version(session), session)
    hits = process.extract(q, names, scorer=fuzz.WRatio, limit=LIMIT * 4, score_cutoff=CUTOFF)
    return list(dict.fromkeys(ids[i] for _, _, i in hits))[:LIMIT]
