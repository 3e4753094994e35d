"""Load the curated knowledge in seed_data/ into the database, idempotently.

Every record has a natural key (actor slug, article canonical URL, event key, relation
subject/type/object/valid_from/title, proposition key, claim speaker/article/text), so loading twice
changes nothing and editing a seed file and loading again updates what changed. Each kind of record has
its loader (``actors``, ``articles``, ``relations``, ``events``, ``claims``); this module runs them in the
order their references need, in one transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..dialect import immediate_writes
from . import repository
from .actors import load_actors
from .articles import load_articles
from .claims import load_claims, load_propositions
from .context import SeedContext, SeedReport, read_json
from .events import load_event_types, load_events
from .places import load_places
from .relations import load_relations

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"

__all__ = ["SEED_DIR", "SeedReport", "is_empty", "load_all", "seed", "seed_dir_of"]


def load_all(session: Session, seed_dir: Path = SEED_DIR) -> SeedReport:
    """Load every seed file of ``seed_dir`` (a missing file loads nothing) and flush; the caller commits."""
    ctx = SeedContext(session)
    load_event_types(ctx, seed_dir / "cameo-event-codes.tsv")
    load_actors(ctx, read_json(seed_dir / "countries.json") + read_json(seed_dir / "actors.json"))
    load_places(ctx)
    load_articles(ctx, read_json(seed_dir / "articles.json"))
    load_relations(ctx, read_json(seed_dir / "relations.json"))
    load_events(ctx, read_json(seed_dir / "events.json"))
    load_propositions(ctx, read_json(seed_dir / "propositions.json"))
    load_claims(ctx, read_json(seed_dir / "claims.json"))
    session.flush()
    return ctx.report


def seed(engine: Engine, seed_dir: Path = SEED_DIR) -> SeedReport:
    """Load seed_dir into the database in one transaction (on SQLite it takes the write lock at BEGIN: it
    reads, then writes, and may run beside a serving process whose writes it must queue behind)."""
    with Session(immediate_writes(engine)) as session, session.begin():
        return load_all(session, seed_dir)


def seed_dir_of(settings: Any) -> Path:
    """GEONEWS_SEED_DIR when set, else the seed_data/ beside the code."""
    return Path(settings.seed_dir) if settings.seed_dir else SEED_DIR


def is_empty(engine: Engine) -> bool:
    """True when the database has no actor: it was never seeded."""
    with Session(engine) as session:
        return not repository.any_actor(session)
