"""Gazetteer entries from actor and alias rows (whoever reads them from storage), and the per-process
linker cache that rebuilds the automaton when the actors' version counter moves."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .linker import Gazetteer, GazetteerEntry

AMBIGUOUS_NAMES = frozenset(
    json.loads(Path(__file__).with_name("ambiguous_names.json").read_text(encoding="utf-8"))["names"]
)


def entries_from_rows(actors: Iterable[Any], aliases: Iterable[Any]) -> list[GazetteerEntry]:
    """`actors`: (id, kind, name) rows; `aliases`: (actor_id, alias, kind, ambiguous, case_sensitive)."""
    kinds: dict[int, str] = {}
    entries = []
    for actor_id, kind, name in actors:
        kinds[actor_id] = kind
        entries.append(GazetteerEntry(actor_id, kind, name, "name", ambiguous=name in AMBIGUOUS_NAMES))
    entries += [
        GazetteerEntry(
            actor_id, kinds[actor_id], alias, kind, ambiguous=ambiguous, case_sensitive=case_sensitive
        )
        for actor_id, alias, kind, ambiguous, case_sensitive in aliases
        if actor_id in kinds
    ]
    return entries


class VersionedCache:
    """One value per process, rebuilt when a version number moves.

    No lock: under AsyncSession.run_sync the loader's database reads switch to the event loop, and a
    thread lock held across them would block every other request on the same thread. Two requests may
    rebuild at once after a change; the last one to finish wins, both results are equal.
    """

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self._build = build
        self._current: tuple[int, Any] | None = None

    def get(self, version: int, source: Any) -> Any:
        current = self._current
        if current is not None and current[0] == version:
            return current[1]
        value = self._build(source)
        self._current = (version, value)
        return value


def gazetteer_cache(load_entries: Callable[[Any], list[GazetteerEntry]]) -> VersionedCache:
    return VersionedCache(lambda source: Gazetteer(load_entries(source)))
