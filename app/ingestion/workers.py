"""The pipeline in worker processes: what a process pool's initializer and tasks run.

Each worker builds its own linkers once from the entries it is started with (an actor or alias change
starts a new pool, see app/articles/preparer.py) and loads the language model once. A task is a chunk of
(index, ArticleInput); it comes back as Prepared objects, or (index, reason) for an article that cannot
be prepared. Only app.ingestion is imported here: a spawned worker starts in about a second.
"""

from __future__ import annotations

import contextlib
from typing import Any

from .linker import Gazetteer, GazetteerEntry
from .pipeline import ArticleInput, Prepared, prepare_many
from .places import PlaceLinker

_gazetteer: Gazetteer | None = None
_places: PlaceLinker | None = None


def init_worker(entries: list[GazetteerEntry], place_records: list[Any], nice: int = 0) -> None:
    """Build this process's linkers and load the language model, at `nice` more niceness
    (GEONEWS_INGEST_NICE): preparing is throughput work, and the one process that stores each batch is
    what a run waits for (on 2 cores, two preparing processes and the storing one share the cores evenly
    otherwise). The server's reads keep the CPU first too."""
    global _gazetteer, _places
    import gc
    import os

    if nice:
        # First, while this is the process's only thread: Linux keeps a niceness per thread, and the
        # threads started later take their creator's.
        with contextlib.suppress(OSError, AttributeError):  # AttributeError: no os.nice (Windows)
            os.nice(nice)

    from .language import preload

    _gazetteer = Gazetteer(entries)
    _places = PlaceLinker(place_records)
    preload()
    # The linkers, the model and the modules live as long as the process: frozen, the full collections
    # that each chunk's garbage triggers no longer walk them (~20 -> ~4 µs an article of collections
    # while preparing, `gc.callbacks` timed around prepare_many).
    gc.freeze()


def ready() -> bool:
    """A no-op task: the pool's workers have started and built their linkers."""
    return _gazetteer is not None


def prepare_items(
    items: list[tuple[int, ArticleInput]], gazetteer: Any, places: Any
) -> list[Prepared | tuple[int, str]]:
    """Each (index, article) prepared, or (index, why not) for one that cannot be stored."""
    return prepare_many(items, gazetteer, places)


def prepare_chunk(chunk: list[tuple[int, ArticleInput]]) -> list[Prepared | tuple[int, str]]:
    """Extract, clean, fingerprint, detect and link (the CPU-heavy part) in this worker process."""
    assert _gazetteer is not None, "init_worker did not run"
    return prepare_items(chunk, _gazetteer, _places)


def chunks(items: list[Any], workers: int, per_worker: int = 2, smallest: int = 16) -> list[list[Any]]:
    """`items` cut into about `per_worker` chunks per worker (none smaller than `smallest`), in order."""
    step = max(smallest, -(-len(items) // max(1, workers * per_worker)))
    return [items[k : k + step] for k in range(0, len(items), step)]


__all__ = ["chunks", "init_worker", "prepare_chunk", "ready"]
