"""The linker of this process, rebuilt when actors or aliases change.

It reads the `gazetteer` counter that triggers bump on every change to actors or aliases
(app/models/state.py), so every worker notices a change on its next use. It runs on a sync Session
(`AsyncSession.run_sync` on the request path, a plain Session in the CLI).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..ingestion.gazetteer import VersionedCache, entries_from_rows
from ..ingestion.linker import Gazetteer, GazetteerEntry
from . import repository


def load_entries(session: Session) -> list[GazetteerEntry]:
    return entries_from_rows(*repository.gazetteer_rows(session))


_LINKER = VersionedCache(lambda session: Gazetteer(load_entries(session)))


def current_gazetteer(session: Session) -> Gazetteer:
    return _LINKER.get(repository.gazetteer_version(session), session)
