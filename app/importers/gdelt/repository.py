"""The GDELT importer's data access: every statement it runs, in SQLAlchemy Core on a sync ``Connection``.

Statements are bulk ones on purpose (``executemany`` of one ``INSERT … ON CONFLICT`` for a whole batch, one
``IN`` list look-up per batch): the importer writes thousands of rows a second and never queries per row.
No ``RETURNING``: a plain executemany (psycopg pipelines it) beats one huge multi-row statement on
PostgreSQL; new ids are read back with one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, delete, func, select

from ... import dialect
from ...models import Actor, ActorAlias, Article, Event, EventArticle, EventParticipant, EventType, ExternalId
from .columns import SOURCE

EVENTS: Table = Event.__table__  # type: ignore[assignment]
ARTICLES: Table = Article.__table__  # type: ignore[assignment]
PARTICIPANTS: Table = EventParticipant.__table__  # type: ignore[assignment]
LINKS: Table = EventArticle.__table__  # type: ignore[assignment]
EVENT_TYPES: Table = EventType.__table__  # type: ignore[assignment]

# The events columns an export row sets (besides source and external_id, its key).
EVENT_COLUMNS = (
    "type_code",
    "title",
    "start_date",
    "location_name",
    "location_country",
    "lat",
    "lon",
    "attributes",
)


def _insert(conn: Connection, table: Table) -> Any:
    return dialect.insert(table, conn.dialect.name)


# -- what the database knows, read once -------------------------------------------------------------------
def ensure_event_types(conn: Connection) -> int:
    """Load the CAMEO table when event_types is empty (a migrated but unseeded database)."""
    if conn.execute(select(func.count()).select_from(EVENT_TYPES)).scalar():
        return 0
    from ...seed.events import cameo_types
    from ...seed.loader import SEED_DIR

    path = SEED_DIR / "cameo-event-codes.tsv"
    if not path.exists():
        return 0
    rows = cameo_types(path)
    conn.execute(_insert(conn, EVENT_TYPES).on_conflict_do_nothing(), rows)
    return len(rows)


def event_type_names(conn: Connection) -> dict[str, str]:
    return {c: n for c, n in conn.execute(select(EventType.code, EventType.name))}


def actors(conn: Connection) -> Sequence[Row[int, str, str, str, str | None]]:
    """(id, kind, name, slug, country) of every actor."""
    return conn.execute(select(Actor.id, Actor.kind, Actor.name, Actor.slug, Actor.country)).all()


def external_ids(conn: Connection, schemes: Sequence[str]) -> Iterable[Row[str, str, int]]:
    """(scheme, value, actor_id) of the external ids in ``schemes``."""
    return conn.execute(
        select(ExternalId.scheme, ExternalId.value, ExternalId.actor_id).where(ExternalId.scheme.in_(schemes))
    )


def aliases(conn: Connection, kinds: Sequence[str]) -> Iterable[Row[int, str, bool]]:
    """(actor_id, normalized, ambiguous) of the aliases of ``kinds``."""
    return conn.execute(
        select(ActorAlias.actor_id, ActorAlias.normalized, ActorAlias.ambiguous).where(
            ActorAlias.kind.in_(kinds)
        )
    )


# -- events and participants --------------------------------------------------------------------------------
def events_by_external_id(conn: Connection, external_ids: Iterable[str]) -> dict[str, Row[Any]]:
    """The GDELT events already stored among ``external_ids``: id, external_id and the EVENT_COLUMNS."""
    ev = EVENTS
    stmt = select(ev.c.id, ev.c.external_id, *(ev.c[c] for c in EVENT_COLUMNS)).where(
        ev.c.source == SOURCE, dialect.in_list(ev.c.external_id, external_ids)
    )
    return {r.external_id: r for r in conn.execute(stmt)}


def event_ids(conn: Connection, external_ids: Iterable[str]) -> dict[str, int]:
    """external_id -> id of the GDELT events among ``external_ids``."""
    ev = EVENTS
    stmt = select(ev.c.external_id, ev.c.id).where(
        ev.c.source == SOURCE, dialect.in_list(ev.c.external_id, external_ids)
    )
    return dict(conn.execute(stmt).all())  # type: ignore[arg-type]


def participants_of(conn: Connection, event_ids: Iterable[int]) -> dict[int, set[tuple[int, str]]]:
    """event id -> its (actor_id, role) pairs; events without participants map to an empty set."""
    pt = PARTICIPANTS
    out: dict[int, set[tuple[int, str]]] = defaultdict(set)
    stmt = select(pt.c.event_id, pt.c.actor_id, pt.c.role).where(dialect.in_list(pt.c.event_id, event_ids))
    for part in conn.execute(stmt):
        out[part.event_id].add((part.actor_id, part.role))
    return out


def upsert_events(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> None:
    """Insert GDELT events, or update the EVENT_COLUMNS of those already stored (keyed by external_id)."""
    ins = _insert(conn, EVENTS)
    stmt = ins.on_conflict_do_update(
        index_elements=[EVENTS.c.source, EVENTS.c.external_id],
        set_={**{c: ins.excluded[c] for c in EVENT_COLUMNS}, "updated_at": now},
    )
    values = [
        {"source": SOURCE, "status": "reported", "created_at": now, "updated_at": now} | row for row in rows
    ]
    conn.execute(stmt, values)


def delete_participants(conn: Connection, event_ids: Sequence[int]) -> None:
    conn.execute(delete(PARTICIPANTS).where(dialect.in_list(PARTICIPANTS.c.event_id, event_ids)))


def add_participants(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert (event_id, actor_id, role) rows; those already there are left alone."""
    conn.execute(_insert(conn, PARTICIPANTS).on_conflict_do_nothing(), rows)


# -- articles and links -------------------------------------------------------------------------------------
def article_ids(conn: Connection, canonical_urls: Iterable[str]) -> dict[str, int]:
    """canonical_url -> id of the stored articles among ``canonical_urls``."""
    art = ARTICLES
    stmt = select(art.c.canonical_url, art.c.id).where(dialect.in_list(art.c.canonical_url, canonical_urls))
    return dict(conn.execute(stmt).all())  # type: ignore[arg-type]


def add_articles(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert article rows; one whose canonical URL is already stored is left alone."""
    conn.execute(
        _insert(conn, ARTICLES).on_conflict_do_nothing(index_elements=[ARTICLES.c.canonical_url]), rows
    )


def links_of(conn: Connection, event_ids: Iterable[int]) -> set[tuple[int, int]]:
    """The (event_id, article_id) links of ``event_ids``."""
    lk = LINKS
    stmt = select(lk.c.event_id, lk.c.article_id).where(dialect.in_list(lk.c.event_id, event_ids))
    return set(conn.execute(stmt).all())  # type: ignore[arg-type]


def add_links(conn: Connection, pairs: list[tuple[int, int]]) -> None:
    conn.execute(
        _insert(conn, LINKS).on_conflict_do_nothing(), [{"event_id": e, "article_id": a} for e, a in pairs]
    )
